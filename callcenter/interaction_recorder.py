"""Keeps the interaction history: every call's events on the bus become its one interaction row.

The mechanism is :class:`~callcenter.recorder.EventRecorder`'s (taken inline, written in batches from a
worker thread; a batch the database refuses is retried one event at a time and the event it cannot take
is set aside); what is written is :func:`callcenter.interaction_rows.apply_event`, which is idempotent
per leg, so a retried or replayed batch leaves the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from bus.eventbus import EventBus
from bus.events import DomainEvent
from callcenter.interaction_rows import INBOUND_CONTEXTS, LEG_EVENTS, InteractionRowWriter
from callcenter.recorder import EventRecorder
from crm_core.interactions import UnknownLeg
from reports.rollups import KpisOf

log = logging.getLogger(__name__)


def _log_unknown_leg(event: DomainEvent, exc: UnknownLeg) -> None:
    log.warning("%s for unrecorded call %s ignored", event.type_name, exc)


class InteractionRecorder(EventRecorder):
    """Applies the call events of the bus to the ``interactions`` table, in publish order, in batches.

    ``keep(event)`` narrows further which call events are applied (e.g. only this node's own); ``kpis``
    gives each queue's KPI parameters the report rollups are counted with.
    """

    def __init__(
        self,
        bus: EventBus,
        sessions: sessionmaker[Session],
        *,
        flush_interval: float = 0.1,
        inbound_contexts: frozenset[str] = INBOUND_CONTEXTS,
        keep: Callable[[DomainEvent], bool] | None = None,
        kpis: KpisOf | None = None,
    ) -> None:
        def keep_leg_event(event: DomainEvent) -> bool:
            return isinstance(event, LEG_EVENTS) and (keep is None or keep(event))

        writer = InteractionRowWriter(sessions, inbound_contexts=inbound_contexts, on_unknown_leg=_log_unknown_leg,
                                      kpis=kpis)
        super().__init__(bus, writer, flush_interval=flush_interval, keep=keep_leg_event, store="interaction history")
