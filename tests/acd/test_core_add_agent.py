"""Agents added to a running ACD (the admin console's way in): routed like the configured ones, at once."""

import pytest
from acd_helpers import agents, make_acd

from acd.config import AgentConfig
from acd.decisions import Offer
from acd.errors import AcdError, UnknownQueue


def test_an_agent_added_at_run_time_takes_the_call_waiting_for_its_skill() -> None:
    acd, clock = make_acd({"queues": [{"name": "support"}],
                           "agents": agents(("a1", {"en": 5}, ["support"]))})
    acd.login("a1", ready=True)
    assert [d.agent_id for d in acd.enqueue("c1", "support", skills={"fr": 3}).decisions] == []  # nobody speaks it
    clock.advance(5)
    acd.add_agent(AgentConfig("a2", "Grace", phone="PJSIP/2001", skills=(("fr", 7),), queues=("support",)))
    assert [c.id for c in acd.agent_configs()] == ["a1", "a2"]
    fx = acd.login("a2", ready=True)
    assert [(d.call_id, d.agent_id, d.interface) for d in fx.decisions if isinstance(d, Offer)] == [
        ("c1", "a2", "PJSIP/2001")]


def test_an_added_agent_needs_a_new_id_and_known_queues() -> None:
    acd, _ = make_acd({"queues": [{"name": "support"}], "agents": agents(("a1", {"en": 5}, ["support"]))})
    with pytest.raises(AcdError, match="already exists"):
        acd.add_agent(AgentConfig("a1", queues=("support",)))
    with pytest.raises(UnknownQueue):
        acd.add_agent(AgentConfig("a9", queues=("nowhere",)))
    assert [c.id for c in acd.agent_configs()] == ["a1"]


def test_a_logged_out_agent_changed_at_run_time_routes_with_its_new_skills_and_queues() -> None:
    acd, _ = make_acd({"queues": [{"name": "support"}, {"name": "sales"}],
                       "agents": agents(("a1", {"en": 5}, ["support"]))})
    acd.login("a1", ready=True)
    with pytest.raises(AcdError, match="logged out"):
        acd.update_agent(AgentConfig("a1", skills=(("fr", 6),), queues=("sales",)))
    acd.logout("a1")
    assert acd.enqueue("c1", "sales", skills={"fr": 3}).decisions == []
    acd.update_agent(AgentConfig("a1", "Ada", phone="PJSIP/1001", skills=(("fr", 6),), queues=("sales",)))
    assert acd.agent_configs()[0].queues == ("sales",)
    fx = acd.login("a1", ready=True)
    assert [(d.call_id, d.agent_id) for d in fx.decisions if isinstance(d, Offer)] == [("c1", "a1")]
    acd.hangup("c1")
    assert acd.enqueue("c2", "support", skills={"en": 1}).decisions == []  # no longer a support agent
