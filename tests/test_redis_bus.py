"""Two nodes share domain events through Redis; nothing echoes back."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable

import pytest
import redis

from acd.events import AgentStateChanged, CallQueued
from bus.eventbus import EventBus
from bus.events import DomainEvent
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
        queued = CallQueued(at=1.0, call_id="c1", queue="support", priority=5, enter_time=1.0,
                            required_skills=(("en", 3),))
        bus_a.publish(queued)
        bus_b.publish(AgentStateChanged(at=1.0, agent_id="1001", state="ready", previous="logged_out"))
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


@pytest.mark.parametrize(
    "bad",
    [
        [b'other\n{"type": "NoSuchEvent", "at": 1}', b"other\nnot json"],
        [b"\xff\xfeother\n{}"],  # not UTF-8: reading must go on
    ],
    ids=["unreadable", "not-utf8"],
)
async def test_a_bad_message_is_ignored_and_reading_goes_on(bad: list[bytes]) -> None:
    channel = f"callcenter-test:{uuid.uuid4().hex}"
    bus = EventBus()
    seen: list[DomainEvent] = []
    bus.add_listener(seen.append)
    bridge = RedisBridge(bus, REDIS_URL, channel=channel, node_id="a")
    await bridge.start()
    try:
        client = redis.Redis.from_url(REDIS_URL)
        for payload in bad:
            client.publish(channel, payload)
        good = CallQueued(at=1.0, call_id="c9", queue="q", priority=1, enter_time=0.0)
        client.publish(channel, f"other\n{good.to_json()}".encode())
        async with asyncio.timeout(5):
            while not seen:
                await asyncio.sleep(0.01)
        assert [getattr(e, "call_id", None) for e in seen] == ["c9"]
    finally:
        await bridge.close()


class RedisLink:
    """A TCP relay to the Redis server that a test can cut (every connection dropped) and restore."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in tuple(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        redis_r, redis_w = await asyncio.open_connection("127.0.0.1", 6379)
        self._writers |= {client_w, redis_w}

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await reader.read(65536):
                    writer.write(data)
            writer.close()

        await asyncio.gather(pipe(client_r, redis_w), pipe(redis_r, client_w))
        self._writers -= {client_w, redis_w}


async def _until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_the_bridge_reconnects_after_redis_goes_away_and_comes_back() -> None:
    channel = f"callcenter-test:{uuid.uuid4().hex}"
    link = RedisLink()
    await link.up()
    bus_a, bus_b = EventBus(), EventBus()
    seen_b: list[DomainEvent] = []
    bus_b.add_listener(seen_b.append)
    bridge_a = RedisBridge(bus_a, link.url, channel=channel, node_id="a")
    bridge_b = RedisBridge(bus_b, link.url, channel=channel, node_id="b")
    await bridge_a.start()
    await bridge_b.start()
    try:
        await link.down()
        bus_a.publish(CallQueued(at=1.0, call_id="during-outage", queue="q", priority=1, enter_time=0.0))
        await asyncio.sleep(0.3)  # publishing fails and is retried meanwhile
        await link.up()
        await _until(lambda: bridge_b.reconnects >= 1)
        await bridge_a.flush()
        bus_a.publish(CallQueued(at=1.0, call_id="after", queue="q", priority=1, enter_time=0.0))
        await _until(lambda: any(getattr(e, "call_id", None) == "after" for e in seen_b))
        assert bridge_a.sent == 2
    finally:
        await bridge_a.close()
        await bridge_b.close()
        await link.down()


async def test_while_redis_is_away_the_outbox_keeps_only_the_newest_events() -> None:
    channel = f"callcenter-test:{uuid.uuid4().hex}"
    link = RedisLink()
    await link.up()
    bus_a, bus_b = EventBus(), EventBus()
    seen_b: list[DomainEvent] = []
    bus_b.add_listener(seen_b.append)
    bridge_a = RedisBridge(bus_a, link.url, channel=channel, node_id="a", outbox_limit=10)
    bridge_b = RedisBridge(bus_b, REDIS_URL, channel=channel, node_id="b")
    await bridge_a.start()
    await bridge_b.start()
    try:
        await link.down()
        for i in range(50):
            bus_a.publish(CallQueued(at=1.0, call_id=f"c{i}", queue="q", priority=1, enter_time=float(i)))
        await link.up()
        await _until(lambda: any(getattr(e, "call_id", None) == "c49" for e in seen_b))
        received = [getattr(e, "call_id", None) for e in seen_b]
        # Published in one go, so the writer took none of them before the outbox filled.
        assert received == [f"c{i}" for i in range(40, 50)]
        assert bridge_a.dropped == 40
    finally:
        await bridge_a.close()
        await bridge_b.close()
        await link.down()


async def test_relayed_events_are_marked_and_reactions_to_them_are_sent_on() -> None:
    channel = f"callcenter-test:{uuid.uuid4().hex}"
    bus_a, bus_b = EventBus(), EventBus()
    seen_a: list[DomainEvent] = []
    bus_a.add_listener(seen_a.append)
    bridge_a = RedisBridge(bus_a, REDIS_URL, channel=channel, node_id="a")
    bridge_b = RedisBridge(bus_b, REDIS_URL, channel=channel, node_id="b")
    relayed_on_b: list[bool] = []

    def react(event: DomainEvent) -> None:
        relayed_on_b.append(bridge_b.is_relayed(event))
        if isinstance(event, CallQueued):  # node b's own fact, published inline while relaying
            bus_b.publish(AgentStateChanged(agent_id="1001", state="reserved", previous="ready", at=event.at))

    bus_b.add_listener(react)
    await bridge_a.start()
    await bridge_b.start()
    try:
        bus_a.publish(CallQueued(at=1.0, call_id="c1", queue="q", priority=1, enter_time=0.0))
        await _until(lambda: any(isinstance(e, AgentStateChanged) for e in seen_a))
        assert relayed_on_b == [True, False]
        assert bridge_b.sent == 1 and bridge_a.received == 1
    finally:
        await bridge_a.close()
        await bridge_b.close()


async def test_close_ends_the_bridge_even_while_it_is_publishing() -> None:
    channel = f"callcenter-test:{uuid.uuid4().hex}"
    for _ in range(5):  # the cancel has to land inside a PUBLISH, which takes a few tries
        bus = EventBus()
        bridge = RedisBridge(bus, REDIS_URL, channel=channel, node_id="a")
        await bridge.start()
        for i in range(500):
            bus.publish(CallQueued(at=1.0, call_id=f"c{i}", queue="q", priority=1, enter_time=0.0))
        await asyncio.sleep(0.01)
        started = time.monotonic()
        await asyncio.wait_for(asyncio.shield(bridge.close()), 5)
        assert time.monotonic() - started < 2.0
