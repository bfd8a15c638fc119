"""The wall's staffing advice: a live fold of the customer calls (the reports' own history) and, per queue,
the panel of :func:`reports.staffing.queue_staffing`, recomputed at most every ``refresh_seconds``."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Any

from agent_desktop.wall import QueueTargets
from bus.clock import Clock
from bus.events import DomainEvent
from reports.history import CallHistory
from reports.staffing import WEEK, queue_staffing

KEPT_SECONDS = WEEK + 2 * 3600.0  # a week ago and its next hour must stay known
WINDOW_SECONDS = 15 * 60.0


class StaffingPanel:
    """Folds bus events; :meth:`panels` gives each queue's advice as plain data for the wall's push,
    recomputed every ``refresh_seconds``, or after ``changed_refresh_seconds`` when events came in."""

    def __init__(self, *, clock: Clock, targets: Mapping[str, QueueTargets] | None = None,
                 window_seconds: float = WINDOW_SECONDS, refresh_seconds: float = 30.0,
                 changed_refresh_seconds: float = 2.0) -> None:
        self._clock = clock
        self._targets = dict(targets or {})
        self._window = window_seconds
        self._refresh = refresh_seconds
        self._changed_refresh = changed_refresh_seconds  # sooner when calls came in meanwhile
        self._history = CallHistory(keep_segments=False)
        self._events = 0
        self._cached: tuple[float, tuple[tuple[str, int], ...], int, list[dict[str, Any]]] | None = None

    def set_targets(self, queue: str, targets: QueueTargets) -> None:
        """A queue's changed service-level target (the admin console's), for the next advice computed."""
        self._targets[queue] = targets
        self._cached = None

    def apply(self, event: DomainEvent) -> None:
        self._history.apply(event)
        self._events += 1
        if self._events % 5000 == 0:
            self._history.forget_before(self._clock() - KEPT_SECONDS)

    def panels(self, logged_in: Mapping[str, int], queues: Iterable[str]) -> list[dict[str, Any]]:
        """One panel per queue (its SL target and threshold from the queue's targets)."""
        now = self._clock()
        key = tuple(sorted((q, logged_in.get(q, 0)) for q in queues))
        if self._cached is not None and self._cached[1] == key:
            at, _, events, panels = self._cached
            age = now - at
            if age < self._refresh and (events == self._events or age < self._changed_refresh):
                return panels
        records = list(self._history.calls.values())
        out = []
        for queue, agents in key:
            targets = self._targets.get(queue, QueueTargets())
            panel = queue_staffing(queue, records, now, window=self._window, sl_target=targets.sl_target,
                                   sl_seconds=targets.sl_seconds, logged_in=agents)
            out.append(_finite({**dataclasses.asdict(panel), "window_seconds": self._window,
                                "sl_target": targets.sl_target, "sl_seconds": targets.sl_seconds}))
        self._cached = (now, key, self._events, out)
        return out


def _finite(data: dict[str, Any]) -> dict[str, Any]:
    """JSON has no infinity: an unbounded figure (ASA with too few agents) goes out as null."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out[key] = _finite(value)
        elif isinstance(value, float) and not math.isfinite(value):
            out[key] = None
        else:
            out[key] = value
    return out
