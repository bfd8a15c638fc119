"""Queues, skills and pause reasons changed in a running ACD (the admin console's way in): the next call and
the next pause follow them, with no restart."""

import pytest
from acd_helpers import agents, make_acd

from acd.config import EscalationStep, QueueConfig
from acd.decisions import Offer, Refused
from acd.errors import UnknownPauseReason, UnknownQueue
from acd.events import AgentStateChanged
from acd.hours import parse_opening_hours


def test_a_changed_queue_routes_its_next_call_with_the_new_settings() -> None:
    acd, _ = make_acd({"queues": [{"name": "support"}], "agents": agents(("a1", {"en": 5}, ["support"]))})
    acd.login("a1", ready=True)
    closed = parse_opening_hours("UTC", [{"days": "mon", "open": "00:00", "close": "00:01"}])
    acd.update_queue(QueueConfig("support", hours=closed, max_length=1, dispositions=("sold",)))
    assert acd.config.queue("support").dispositions == ("sold",)
    fx = acd.enqueue("c1", "support")
    assert [(d.call_id, d.reason) for d in fx.decisions if isinstance(d, Refused)] == [("c1", "closed")]


def test_a_changed_wrap_up_applies_to_the_next_end_of_call() -> None:
    acd, clock = make_acd({"queues": [{"name": "support"}], "agents": agents(("a1", {"en": 5}, ["support"]))})
    acd.update_queue(QueueConfig("support", wrap_up_seconds=45.0, wrap_up_limit_seconds=45.0))
    acd.login("a1", ready=True)
    acd.enqueue("c1", "support")
    acd.answered("c1")
    clock.advance(30)
    fx = acd.hangup("c1")
    assert [e.until for e in fx.events if isinstance(e, AgentStateChanged) and e.state == "wrap_up"] == [
        clock.now + 45.0]


def test_only_a_declared_queue_changes() -> None:
    acd, _ = make_acd({"queues": [{"name": "support"}]})
    with pytest.raises(UnknownQueue):
        acd.update_queue(QueueConfig("nowhere"))
    assert [q.name for q in acd.config.queues] == ["support"]


def test_new_pause_reasons_are_accepted_and_the_acd_keeps_its_own() -> None:
    acd, _ = make_acd({"queues": [{"name": "support"}], "agents": agents(("a1", {"en": 5}, ["support"]))})
    acd.login("a1", ready=True)
    with pytest.raises(UnknownPauseReason):
        acd.pause("a1", "coaching")
    acd.set_names(["en", "fr"], ["coaching"])
    acd.pause("a1", "coaching")
    assert acd.agent("a1").reason == "coaching"
    assert {"missed", "busy", "failed"} <= acd.config.pause_reasons and "break" not in acd.config.pause_reasons
    assert acd.config.skills == ("en", "fr")


def test_a_new_overflow_step_moves_a_call_already_waiting_past_it_to_a_free_agent() -> None:
    acd, clock = make_acd({"queues": [{"name": "support"}, {"name": "sales"}],
                           "agents": agents(("a1", {"en": 5}, ["sales"]))})
    acd.login("a1", ready=True)
    assert acd.enqueue("c1", "support").decisions == []  # nobody in support
    clock.advance(90)
    fx = acd.update_queue(QueueConfig("support", escalation=(EscalationStep(after=60.0, overflow=("sales",)),)))
    assert [(d.call_id, d.agent_id) for d in fx.decisions if isinstance(d, Offer)] == [("c1", "a1")]
