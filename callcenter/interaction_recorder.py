"""Keeps the interaction history: every call's events on the bus become its one interaction row.

The mechanism is :class:`~callcenter.recorder.EventRecorder`'s (taken inline, written in batches from a
worker thread; a batch the database refuses is retried one event at a time and the event it cannot take
is set aside); what is written is :func:`crm_core.interactions.apply_event`,
which is idempotent per leg, so a retried or replayed batch leaves the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import EventBus
from callcenter.events import DomainEvent
from callcenter.recorder import EventRecorder
from crm_core.interactions import INBOUND_CONTEXTS, LEG_EVENTS, UnknownLeg, apply_event

log = logging.getLogger(__name__)


class InteractionRecorder(EventRecorder):
    """Applies the call events of the bus to the ``interactions`` table, in publish order, in batches.

    ``keep(event)`` narrows further which call events are applied (e.g. only this node's own).
    """

    def __init__(
        self,
        bus: EventBus,
        sessions: sessionmaker[Session],
        *,
        flush_interval: float = 0.1,
        inbound_contexts: frozenset[str] = INBOUND_CONTEXTS,
        keep: Callable[[DomainEvent], bool] | None = None,
    ) -> None:
        def keep_leg_event(event: DomainEvent) -> bool:
            return isinstance(event, LEG_EVENTS) and (keep is None or keep(event))

        super().__init__(bus, sessions, flush_interval=flush_interval, keep=keep_leg_event)
        self._inbound_contexts = inbound_contexts

    def _write(self, batch: list[DomainEvent]) -> None:
        with self._sessions() as session, session.begin():
            for event in batch:
                try:
                    apply_event(session, event, inbound_contexts=self._inbound_contexts)
                except UnknownLeg as exc:
                    # A disposition for a call this store never saw: retrying cannot help, the rest can go in.
                    log.warning("%s for unrecorded call %s ignored", event.type_name, exc)
