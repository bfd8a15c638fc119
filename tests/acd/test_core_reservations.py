"""Agents held for outbound calls: not offered inbound calls meanwhile, connected to their customer, freed."""

from __future__ import annotations

from acd_helpers import agents, make_acd

from acd.agents import AgentState
from acd.core import Acd
from acd.decisions import Offer, Refused


def blended() -> Acd:
    acd, clock = make_acd({
        "queues": [{"name": "sales"}, {"name": "support"}],
        "agents": agents(("a1", {}, ["sales", "support"]), ("a2", {}, ["sales"])),
    })
    acd.login("a1", ready=True)
    clock.advance(1)
    acd.login("a2", ready=True)
    return acd


def test_a_reserved_agent_gets_no_inbound_call_until_released() -> None:
    acd = blended()
    agent, _ = acd.reserve("dial-1", "sales")
    assert agent == "a1"  # ready longest
    assert acd.agent("a1").state is AgentState.RESERVED
    fx = acd.enqueue("in-1", "support")  # only a1 takes support: it waits
    assert not [d for d in fx.decisions if isinstance(d, Offer)]
    fx = acd.release("a1", "dial-1")
    assert [(d.call_id, d.agent_id) for d in fx.decisions if isinstance(d, Offer)] == [("in-1", "a1")]


def test_the_answered_customer_is_offered_to_the_reserved_agent_only() -> None:
    acd = blended()
    agent, _ = acd.reserve("dial-1", "sales")
    assert agent is not None
    other, _ = acd.reserve("dial-2", "sales")
    assert other == "a2"
    assert acd.reserve("dial-3", "sales")[0] is None  # nobody ready is left
    fx = acd.enqueue("dial-1", "sales", agent_id=agent)
    assert [(d.call_id, d.agent_id) for d in fx.decisions if isinstance(d, Offer)] == [("dial-1", "a1")]
    # The other reservation is not a way in for a different call.
    refused = acd.enqueue("dial-9", "sales", agent_id="a2")
    assert [d.reason for d in refused.decisions if isinstance(d, Refused)] == ["agent_unavailable"]
    acd.answered("dial-1")
    assert acd.agent("a1").state is AgentState.ON_CALL


def test_a_reservation_ends_with_a_pause_chosen_meanwhile_or_after_a_logout_changes_nothing() -> None:
    acd = blended()
    acd.reserve("dial-1", "sales")
    acd.pause("a1", "break")
    acd.release("a1", "dial-1")
    assert (acd.agent("a1").state, acd.agent("a1").reason) == (AgentState.NOT_READY, "break")
    acd.reserve("dial-2", "sales")
    acd.logout("a2")
    assert acd.release("a2", "dial-2").events == []
    assert acd.agent("a2").state is AgentState.LOGGED_OUT
    refused = acd.enqueue("dial-2", "sales", agent_id="a2")
    assert [d.reason for d in refused.decisions if isinstance(d, Refused)] == ["agent_unavailable"]
