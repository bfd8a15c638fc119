"""Two nodes share domain events through Redis; nothing echoes back."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis

from acd.events import AgentStateChanged, CallQueued
from callcenter.bus import EventBus
from callcenter.events import DomainEvent
from callcenter.redis_bus import RedisBridge

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not _redis_up(), reason="no Redis server at 127.0.0.1:6379"),
]


async def test_events_published_on_one_node_reach_the_other_once() -> None:
    channel = f"callcenter-test:{uuid.uuid4().hex}"
    bus_a, bus_b = EventBus(), EventBus()
    seen_a: list[DomainEvent] = []
    seen_b: list[DomainEvent] = []
    bus_a.add_listener(seen_a.append)
    bus_b.add_listener(seen_b.append)
    bridge_a = RedisBridge(bus_a, REDIS_URL, channel=channel, node_id="a")
    bridge_b = RedisBridge(bus_b, REDIS_URL, channel=channel, node_id="b")
    await bridge_a.start()
    await bridge_b.start()
    try:
        queued = CallQueued(call_id="c1", queue="support", priority=5, enter_time=1.0, required_skills=(("en", 3),))
        bus_a.publish(queued)
        bus_b.publish(AgentStateChanged(agent_id="1001", state="ready", previous="logged_out"))
        async with asyncio.timeout(5):
            while len(seen_a) < 2 or len(seen_b) < 2:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # an echo, if any, would arrive by now
        assert queued in seen_b
        assert [type(e) for e in seen_a] == [CallQueued, AgentStateChanged]
        assert sorted(type(e).__name__ for e in seen_b) == ["AgentStateChanged", "CallQueued"]
        assert bridge_a.sent == 1 and bridge_a.received == 1
        assert bridge_b.sent == 1 and bridge_b.received == 1
    finally:
        await bridge_a.close()
        await bridge_b.close()


async def test_an_unreadable_message_is_ignored() -> None:
    channel = f"callcenter-test:{uuid.uuid4().hex}"
    bus = EventBus()
    seen: list[DomainEvent] = []
    bus.add_listener(seen.append)
    bridge = RedisBridge(bus, REDIS_URL, channel=channel, node_id="a")
    await bridge.start()
    try:
        client = redis.Redis.from_url(REDIS_URL)
        client.publish(channel, b'other\n{"type": "NoSuchEvent", "at": 1}')
        client.publish(channel, b"other\nnot json")
        good = CallQueued(call_id="c9", queue="q", priority=1, enter_time=0.0)
        client.publish(channel, f"other\n{good.to_json()}".encode())
        async with asyncio.timeout(5):
            while not seen:
                await asyncio.sleep(0.01)
        assert [getattr(e, "call_id", None) for e in seen] == ["c9"]
    finally:
        await bridge.close()
