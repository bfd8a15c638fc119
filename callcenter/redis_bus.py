"""Sharing domain events between nodes through Redis pub/sub.

Each node keeps its in-process :class:`~callcenter.bus.EventBus`; a :class:`RedisBridge` sends
every locally published event to a Redis channel and publishes the other nodes' events locally,
so web nodes see what the ACD leader decides. Messages are ``<node id>\\n<event JSON>``; a node
ignores its own, and events that came from Redis are never sent back out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import redis.asyncio as aioredis

from callcenter.bus import EventBus
from callcenter.events import DomainEvent, UnknownEventType

log = logging.getLogger(__name__)

DEFAULT_CHANNEL = "callcenter:events"


class RedisBridge:
    """Relays events between the local bus and a Redis channel shared by every node."""

    def __init__(self, bus: EventBus, url: str, *, channel: str = DEFAULT_CHANNEL, node_id: str | None = None) -> None:
        self._bus = bus
        self._url = url
        self.channel = channel
        self.node_id = node_id or uuid.uuid4().hex
        self._redis: aioredis.Redis | None = None
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._relaying = False
        self._subscribed = asyncio.Event()
        self.sent = 0
        self.received = 0

    async def start(self) -> None:
        """Connect, subscribe, and start relaying; raises ``redis.ConnectionError`` if Redis is down."""
        self._redis = aioredis.from_url(self._url)
        await self._redis.ping()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._read(), name="redis-bridge-read"),
            loop.create_task(self._write(), name="redis-bridge-write"),
        ]
        await asyncio.wait_for(self._subscribed.wait(), 5)
        self._bus.add_listener(self._outgoing)

    def _outgoing(self, event: DomainEvent) -> None:
        if not self._relaying:
            self._outbox.put_nowait(f"{self.node_id}\n{event.to_json()}")

    async def _write(self) -> None:
        assert self._redis is not None
        while True:
            message = await self._outbox.get()
            try:
                await self._redis.publish(self.channel, message)
                self.sent += 1
            finally:
                self._outbox.task_done()

    async def _read(self) -> None:
        assert self._redis is not None
        async with self._redis.pubsub() as pubsub:
            await pubsub.subscribe(self.channel)
            self._subscribed.set()
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                self._incoming(message["data"])

    def _incoming(self, data: bytes) -> None:
        sender, _, payload = data.decode("utf-8").partition("\n")
        if sender == self.node_id:
            return
        try:
            event = DomainEvent.from_json(payload)
        except (UnknownEventType, ValueError, KeyError, TypeError):
            log.warning("ignoring an event from node %s that this node cannot read", sender)
            return
        self.received += 1
        self._relaying = True
        try:
            self._bus.publish(event)
        finally:
            self._relaying = False

    async def flush(self) -> None:
        """Wait until every event published so far has been handed to Redis."""
        await self._outbox.join()

    async def close(self) -> None:
        self._bus.remove_listener(self._outgoing)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._redis is not None:
            await self._redis.aclose()
