"""What the event-log writer must offer: the recorder on the roof batches events into any such log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bus.events import DomainEvent


class EventLogUnavailable(ConnectionError):
    """The store behind the log cannot be reached; nothing of the batch was written, all can be retried."""


class EventLogWriter(Protocol):
    """Appends events to a durable log."""

    def append(self, events: Sequence[DomainEvent]) -> None:
        """Write ``events`` in order, all or none.

        Raises :class:`EventLogUnavailable` when the store is unreachable (every event would fail alike);
        any other exception means something in this batch cannot be stored.
        """
