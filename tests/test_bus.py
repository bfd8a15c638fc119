"""The in-process bus and domain-event serialisation."""

from __future__ import annotations

import asyncio

import pytest

from acd.events import AgentStateChanged, CallOffered, CallQueued
from bus.eventbus import EventBus, SubscriptionOverflow
from bus.events import DomainEvent, UnknownEventType


def test_events_round_trip_through_json_with_their_type() -> None:
    event = CallQueued(
        at=10.5, call_id="c1", queue="support", priority=3, enter_time=10.0, required_skills=(("en", 5),)
    )
    again = DomainEvent.from_json(event.to_json())
    assert again == event
    assert isinstance(again, CallQueued)


def test_unknown_type_is_a_specific_error() -> None:
    with pytest.raises(UnknownEventType):
        DomainEvent.from_record({"type": "NoSuchEvent", "at": 1.0})


async def test_listeners_run_inline_and_subscribers_get_only_their_types() -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.add_listener(lambda e: seen.append(e.type_name), AgentStateChanged)
    offers = bus.subscribe(CallOffered)
    bus.publish(AgentStateChanged(at=1.0, agent_id="a1", state="ready", previous="logged_out"))
    bus.publish(CallOffered(at=1.0, call_id="c1", queue="q", agent_id="a1"))
    assert seen == ["AgentStateChanged"]
    got = await asyncio.wait_for(offers.get(), 1)
    assert isinstance(got, CallOffered) and got.call_id == "c1"
    assert offers.get_nowait() is None


async def test_a_failing_listener_does_not_stop_delivery() -> None:
    bus = EventBus()
    seen: list[DomainEvent] = []

    def broken(event: DomainEvent) -> None:
        raise RuntimeError("boom")

    bus.add_listener(broken)
    bus.add_listener(seen.append)
    bus.publish(AgentStateChanged(at=1.0, agent_id="a1", state="ready", previous="logged_out"))
    assert len(seen) == 1


async def test_a_slow_subscriber_is_cut_off_not_the_publisher() -> None:
    bus = EventBus()
    slow = bus.subscribe(maxsize=3)
    for i in range(10):
        bus.publish(AgentStateChanged(at=1.0, agent_id=f"a{i}", state="ready", previous="logged_out"))
    assert slow.overflowed and slow.closed
    drained = [await slow.get() for _ in range(3)]
    assert [e.agent_id for e in drained if isinstance(e, AgentStateChanged)] == ["a0", "a1", "a2"]
    with pytest.raises(SubscriptionOverflow):
        await slow.get()


async def test_closing_a_subscription_ends_its_iteration() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    bus.publish(AgentStateChanged(at=1.0, agent_id="a1", state="ready", previous="logged_out"))
    sub.close()
    got = [e async for e in sub]
    assert len(got) == 1
