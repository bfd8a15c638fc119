"""Waiting on what the ACD publishes, for the service tests' rigs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bus.events import DomainEvent

WAIT = 10.0  # real seconds any step may take at most


class EventWatch:
    """The domain events a rig has seen (``events``, in order), and a way to wait for the next ones."""

    events: list[DomainEvent]

    def of(self, kind: type[DomainEvent], **match: object) -> list[DomainEvent]:
        return [e for e in self.events if isinstance(e, kind)
                and all(getattr(e, k) == v for k, v in match.items())]

    async def until(self, predicate: Callable[[], object], what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not predicate():
            if time.monotonic() > deadline:
                names = [type(e).__name__ for e in self.events if not type(e).__module__.startswith("cti")]
                raise AssertionError(f"timed out waiting for {what}; ACD events: {names}")
            await asyncio.sleep(0.01)
