"""Sharing domain events between nodes through Redis pub/sub.

Each node keeps its in-process :class:`~bus.eventbus.EventBus`; a :class:`RedisBridge` sends
every event that starts on this node to a Redis channel and publishes the other nodes' events
locally, so web nodes see what the ACD leader decides. Messages are ``<node id>\\n<event JSON>``;
a node ignores its own, and an event that came from Redis is never sent back out.

Events a listener publishes in reaction to a relayed event are this node's own facts and are sent
on like any other (as reactions from spawned tasks always were); only the relayed event itself is
held back. :meth:`RedisBridge.is_relayed` tells listeners which events came from another node: the
event log and interaction recorders skip those, since the node where an event started records it.

The link survives Redis restarts: reading resubscribes and writing retries, each with a growing
pause. Pub/sub keeps nothing for an absent subscriber, so other nodes' events published while this
node is cut off are lost to it; its own are held in a bounded outbox (the oldest dropped first).

Only one node runs the ACD, the FastAGI server and the PBX link at a time: the one holding the lead
(:mod:`callcenter.leadership`); the others wait on standby and take over when it goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bus.eventbus import EventBus
from bus.events import DomainEvent, UnknownEventType

log = logging.getLogger(__name__)

DEFAULT_CHANNEL = "callcenter:events"
DEFAULT_OUTBOX_LIMIT = 10_000
# Pauses between attempts while Redis is unreachable: from the first to the longest, doubling.
FIRST_RETRY_PAUSE = 0.05
LONGEST_RETRY_PAUSE = 2.0


class _Backoff:
    """The pause before the next attempt, doubling after each failure until :meth:`reset`."""

    def __init__(self) -> None:
        self.pause = FIRST_RETRY_PAUSE

    async def wait(self) -> None:
        await asyncio.sleep(self.pause)
        self.pause = min(self.pause * 2, LONGEST_RETRY_PAUSE)

    def reset(self) -> None:
        self.pause = FIRST_RETRY_PAUSE


class RedisBridge:
    """Relays events between the local bus and a Redis channel shared by every node.

    ``outbox_limit`` bounds the events waiting to be sent while Redis is away; :attr:`dropped`
    counts those given up to stay within it, :attr:`reconnects` the subscriptions renewed.
    """

    def __init__(
        self,
        bus: EventBus,
        url: str,
        *,
        channel: str = DEFAULT_CHANNEL,
        node_id: str | None = None,
        outbox_limit: int = DEFAULT_OUTBOX_LIMIT,
    ) -> None:
        self._bus = bus
        self._url = url
        self.channel = channel
        self.node_id = node_id or uuid.uuid4().hex
        self._redis: aioredis.Redis | None = None
        self._outbox: asyncio.Queue[str] = asyncio.Queue(outbox_limit)
        self._tasks: list[asyncio.Task[None]] = []
        self._relayed: DomainEvent | None = None
        self._subscribed = asyncio.Event()
        self.sent = 0
        self.received = 0
        self.dropped = 0
        self.reconnects = 0

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

    def is_relayed(self, event: DomainEvent) -> bool:
        """Whether ``event`` is being published here because another node published it."""
        return event is self._relayed

    def _outgoing(self, event: DomainEvent) -> None:
        if event is self._relayed:
            return
        if self._outbox.full():
            # Redis has been away for a while: the newest events matter most to the other nodes.
            self._outbox.get_nowait()
            self._outbox.task_done()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("Redis outbox full: %d events dropped so far", self.dropped)
        self._outbox.put_nowait(f"{self.node_id}\n{event.to_json()}")

    async def _write(self) -> None:
        assert self._redis is not None
        backoff = _Backoff()
        while True:
            message = await self._outbox.get()
            try:
                while True:
                    try:
                        await self._redis.publish(self.channel, message)
                    except (RedisError, OSError) as exc:
                        log.warning("publishing to Redis failed (%s); retrying in %.2f s", exc, backoff.pause)
                        await backoff.wait()
                    else:
                        backoff.reset()
                        self.sent += 1
                        break
            finally:
                self._outbox.task_done()

    async def _read(self) -> None:
        assert self._redis is not None
        backoff = _Backoff()
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    if self._subscribed.is_set():
                        self.reconnects += 1
                        log.info("subscribed to Redis channel %s again", self.channel)
                    self._subscribed.set()
                    backoff.reset()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._incoming(message["data"])
            except (RedisError, OSError) as exc:
                log.warning("Redis subscription lost (%s); resubscribing in %.2f s", exc, backoff.pause)
            else:
                log.warning("Redis subscription ended; resubscribing in %.2f s", backoff.pause)
            await backoff.wait()

    def _incoming(self, data: bytes) -> None:
        try:
            sender, _, payload = data.decode("utf-8").partition("\n")
        except UnicodeDecodeError:
            log.warning("ignoring a message on %s that is not UTF-8", self.channel)
            return
        if sender == self.node_id:
            return
        try:
            event = DomainEvent.from_json(payload)
        except (UnknownEventType, ValueError, KeyError, TypeError):
            log.warning("ignoring an event from node %s that this node cannot read", sender)
            return
        self.received += 1
        self._relayed = event
        try:
            self._bus.publish(event)
        finally:
            self._relayed = None

    async def flush(self) -> None:
        """Wait until every event published so far has been handed to Redis."""
        await self._outbox.join()

    async def close(self) -> None:
        self._bus.remove_listener(self._outgoing)
        for task in self._tasks:
            # redis-py (8.1) can absorb a cancellation that lands inside a command and carry on to the
            # next queue wait, so a single cancel() may never end the task: repeat until it is done.
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=0.1)
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._redis is not None:
            await self._redis.aclose()
