"""The in-process event bus: publish domain events, fan them out to listeners and subscribers.

``publish`` never blocks and never awaits: synchronous listeners (cores, the event-log writer's
queue) run inline in publish order, async subscribers each get their own bounded queue. A slow
subscriber that overflows its queue is dropped with a counted loss instead of stalling the PBX
reader; a UI subscriber resyncs from state when that happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from bus.events import DomainEvent

log = logging.getLogger(__name__)

Listener = Callable[[DomainEvent], None]


class SubscriptionOverflow(RuntimeError):
    """The subscriber fell too far behind and was cut off; it must resync from current state."""


class Subscription:
    """An async iterator over the events a subscriber asked for."""

    def __init__(self, bus: EventBus, types: tuple[type[DomainEvent], ...], maxsize: int) -> None:
        self._bus = bus
        self.types = types
        self._queue: asyncio.Queue[DomainEvent | None] = asyncio.Queue(maxsize)
        self.overflowed = False
        self.closed = False

    def wants(self, event: DomainEvent) -> bool:
        return not self.types or isinstance(event, self.types)

    def _offer(self, event: DomainEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            self._bus.unsubscribe(self)

    async def get(self) -> DomainEvent:
        if self.overflowed and self._queue.empty():
            raise SubscriptionOverflow("subscriber overflowed its queue")
        item = await self._queue.get()
        if item is None:
            if self.overflowed:
                raise SubscriptionOverflow("subscriber overflowed its queue")
            raise StopAsyncIteration
        return item

    def get_nowait(self) -> DomainEvent | None:
        try:
            item = self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None
        return item

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[DomainEvent]:
        return self

    async def __anext__(self) -> DomainEvent:
        return await self.get()


class EventBus:
    """In-process publish/subscribe of :class:`DomainEvent` objects."""

    def __init__(self) -> None:
        self._listeners: list[tuple[tuple[type[DomainEvent], ...], Listener]] = []
        self._subscriptions: list[Subscription] = []
        self.published = 0

    def add_listener(self, listener: Listener, *types: type[DomainEvent]) -> None:
        """Call ``listener(event)`` inline for every published event of ``types`` (all if none)."""
        self._listeners.append((types, listener))

    def remove_listener(self, listener: Listener) -> None:
        self._listeners = [(t, fn) for t, fn in self._listeners if fn is not listener]

    def subscribe(self, *types: type[DomainEvent], maxsize: int = 10_000) -> Subscription:
        sub: Subscription = Subscription(self, types, maxsize)
        self._subscriptions.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)
            sub.closed = True
            # On a full queue the reader sees the overflow flag once it drains it.
            with contextlib.suppress(asyncio.QueueFull):
                sub._queue.put_nowait(None)

    def publish(self, event: DomainEvent) -> None:
        """Deliver ``event`` to every listener and subscriber; never blocks."""
        self.published += 1
        for types, listener in self._listeners:
            if not types or isinstance(event, types):
                try:
                    listener(event)
                except Exception:
                    log.exception("bus listener %r failed on %s", listener, event.type_name)
        for sub in tuple(self._subscriptions):
            if sub.wants(event):
                sub._offer(event)
