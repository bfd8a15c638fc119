"""The supervisor wall's figures: a pure fold of ACD domain events with an injected clock.

The figures are those of :mod:`reports.definitions` (``docs/kpis.md``), the same as every report's:
each customer call's queue outcome (answered, abandoned, short abandon, call-back asked) counts once,
in the queue and at the moment it happened.

"Today" is the calendar date of ``tz`` (the system's zone when None) at each event, so days of 23
or 25 hours around a DST change end at the right midnight; "last 30 min" is a sliding window. Each call counts
once per period, whatever its later transfers. Threshold colours are "ok", "warn" or "alert".
Each tile carries short trends (calls waiting, service level of the last 30 min) for sparklines.

A consultation (an agent calling a colleague about a caller, ``consult_of`` set) is no customer call:
it is never waiting, offered, answered or abandoned in a queue's figures, even when completed (the
caller was counted when first answered). The agent grid still shows the colleague busy with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import deque
from collections.abc import Iterable, Mapping

from acd.agents import AgentState
from acd.config import QueueConfig
from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallbackRequested,
    CallConnected,
    CallEnded,
    CallHeld,
    CallOffered,
    CallOfferFailed,
    CallQueued,
    CallResumed,
    ConsultEnded,
)
from agent_desktop.trends import Combine, TrendSeries
from bus.clock import Clock
from bus.events import DomainEvent
from reports.definitions import (
    KpiSettings,
    Outcome,
    QueueTally,
    abandon_outcome,
    abandon_rate,
    average_handle_time,
    average_speed_of_answer,
    service_level,
)

AGENT_STATES = tuple(state.value for state in AgentState)
RECENT_WINDOW = 30 * 60.0
TREND_BUCKET_SECONDS = 30.0
TREND_POINTS = 40  # 20 minutes of history per sparkline


@dataclasses.dataclass(frozen=True, slots=True)
class QueueTargets:
    """What a queue promises and where the wall turns yellow (warn) or red (alert)."""

    sl_seconds: float = 20.0
    sl_target: float = 0.80
    sl_warn_margin: float = 0.05
    short_abandon_seconds: float = 0.0
    abandon_warn: float = 0.05
    abandon_alert: float = 0.10
    # The admin's alert thresholds: the longest wait (seconds) above, the last 30 min's service level below.
    alert_wait_seconds: float | None = None
    alert_sl: float | None = None

    @classmethod
    def of(cls, queue: QueueConfig) -> QueueTargets:
        """The targets and alert thresholds a queue of the ACD declares."""
        return cls(sl_seconds=queue.service_level_seconds, sl_target=queue.service_level_percent / 100.0,
                   alert_wait_seconds=queue.alert_wait_seconds,
                   alert_sl=None if queue.alert_service_level_percent is None
                   else queue.alert_service_level_percent / 100.0)


@dataclasses.dataclass(frozen=True, slots=True)
class PeriodFigures:
    answered: int
    answered_in_sl: int
    abandoned: int
    service_level: float | None
    asa: float | None
    abandon_rate: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class QueueTile:
    queue: str
    waiting: int
    callbacks: int
    longest_wait: float
    today: PeriodFigures
    last_30_min: PeriodFigures
    agents: Mapping[str, int]
    colours: Mapping[str, str]
    # Figure name -> one value per trend bucket, oldest first (None: not known yet).
    trends: Mapping[str, tuple[float | None, ...]]
    # The admin's thresholds this queue crosses now: "longest_wait" and/or "service_level" (of the last 30 min).
    alerts: tuple[str, ...] = ()
    thresholds: Mapping[str, float | None] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class AgentRow:
    agent_id: str
    name: str
    state: str
    reason: str | None
    since: float
    time_in_state: float
    call_id: str | None
    queue: str | None
    held_since: float | None = None  # the agent's caller is on hold since then
    answered_today: int = 0  # customer calls the agent answered today
    aht_today: float | None = None  # (talk + hold + wrap-up) / calls ended today (reports.definitions)


@dataclasses.dataclass(frozen=True, slots=True)
class WallSnapshot:
    at: float
    queues: tuple[QueueTile, ...]
    agents: tuple[AgentRow, ...]
    day: str = ""  # the ISO date "today" covers
    time_zone: str | None = None  # its IANA name; None: the server's own zone
    utc_offset: float = 0.0  # seconds east of UTC in that zone at ``at``, for showing the time

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(slots=True)
class _Outcome:
    at: float
    outcome: Outcome
    wait: float


def _figures(tally: QueueTally, settings: KpiSettings) -> PeriodFigures:
    return PeriodFigures(
        answered=tally.answered,
        answered_in_sl=tally.answered_in_sl,
        abandoned=tally.abandoned,
        service_level=service_level(tally, settings.sl_variant),
        asa=average_speed_of_answer(tally),
        abandon_rate=abandon_rate(tally),
    )


class _QueueState:
    def __init__(self, targets: QueueTargets) -> None:
        self.targets = targets
        self.settings = KpiSettings(sl_seconds=targets.sl_seconds,
                                    short_abandon_seconds=targets.short_abandon_seconds)
        self.waiting: dict[str, float] = {}  # call_id -> enter time
        self.callbacks: set[str] = set()
        self.today = QueueTally()
        self.recent = QueueTally()
        self.recent_outcomes: deque[_Outcome] = deque()
        self.waiting_trend = TrendSeries(
            bucket_seconds=TREND_BUCKET_SECONDS, points=TREND_POINTS, combine=Combine.PEAK
        )
        self.sl_trend = TrendSeries(bucket_seconds=TREND_BUCKET_SECONDS, points=TREND_POINTS)

    def record_trends(self, at: float) -> None:
        self.waiting_trend.record(at, len(self.waiting))
        self.sl_trend.record(at, service_level(self.recent, self.settings.sl_variant))


@dataclasses.dataclass(slots=True)
class _AgentState:
    state: str
    reason: str | None
    since: float
    call_id: str | None = None
    queue: str | None = None
    held_since: float | None = None
    answered: int = 0  # today's figures, reset at midnight
    handled: int = 0
    talk: float = 0.0
    hold: float = 0.0
    wrap_up: float = 0.0

    def reset_day(self) -> None:
        self.answered = self.handled = 0
        self.talk = self.hold = self.wrap_up = 0.0


class WallProjection:
    """Folds ACD events into queue tiles and the agent grid; call :meth:`apply` for each event."""

    def __init__(
        self,
        *,
        clock: Clock,
        queues: Iterable[str] = (),
        targets: Mapping[str, QueueTargets] | None = None,
        memberships: Mapping[str, Iterable[str]] | None = None,
        agent_names: Mapping[str, str] | None = None,
        tz: dt.tzinfo | None = None,
    ) -> None:
        self._clock = clock
        self._targets = dict(targets or {})
        self._tz = tz
        self._queues: dict[str, _QueueState] = {}
        self._agents: dict[str, _AgentState] = {}
        self._members: dict[str, frozenset[str]] = {a: frozenset(q) for a, q in (memberships or {}).items()}
        self._names = dict(agent_names or {})
        self._consultations: set[str] = set()  # call ids that are consultations, not customer calls
        self._counted_today: set[str] = set()  # customer calls whose queue outcome today counted
        self._day = self._local_date(clock())
        self.version = 0  # bumped by every event that changed something, for coalescing pushes
        for queue in (*queues, *(q for members in self._members.values() for q in members)):
            self._queue(queue)

    def apply(self, event: DomainEvent) -> None:
        """Fold one event in; events the wall does not show are ignored."""
        self._roll_day(event.at)
        if isinstance(event, CallQueued | CallOffered) and event.consult_of is not None:
            self._consultations.add(event.call_id)
        if _queue_call_of(event) in self._consultations:
            self._consultation(event)
        elif isinstance(event, CallQueued):
            q = self._queue(event.queue)
            q.waiting[event.call_id] = event.enter_time
            q.callbacks.discard(event.call_id)
            q.record_trends(event.at)
        elif isinstance(event, CallbackRequested):
            q = self._queue(event.queue)
            q.waiting.pop(event.call_id, None)
            q.callbacks.add(event.call_id)
            self._count(q, event.call_id, _Outcome(event.at, Outcome.CALLBACK, event.at - event.enter_time))
            q.record_trends(event.at)
        elif isinstance(event, CallOffered):
            self._queue(event.queue)  # the call stays waiting until connected
            self._agent_on(event.agent_id, event.call_id, event.queue)
        elif isinstance(event, CallOfferFailed):
            self._queue(event.queue)
        elif isinstance(event, CallConnected):
            q = self._queue(event.queue)
            self._leave(q, event.call_id)
            self._count(q, event.call_id, _Outcome(event.at, Outcome.ANSWERED, event.wait_seconds))
            q.record_trends(event.at)
            self._agent_on(event.agent_id, event.call_id, event.queue)
            if event.agent_id in self._agents:
                self._agents[event.agent_id].answered += 1
        elif isinstance(event, CallAbandoned):
            q = self._queue(event.queue)
            self._leave(q, event.call_id)
            outcome = abandon_outcome(event.wait_seconds, q.settings)
            self._count(q, event.call_id, _Outcome(event.at, outcome, event.wait_seconds))
            q.record_trends(event.at)
        elif isinstance(event, CallEnded):
            q = self._queue(event.queue)
            self._leave(q, event.call_id)
            q.record_trends(event.at)
            agent = self._agents.get(event.agent_id or "")
            if agent is not None and event.outcome == "answered":
                agent.handled += 1
                agent.talk += event.talk_seconds - event.held_seconds
                agent.hold += event.held_seconds
        elif isinstance(event, AgentStateChanged):
            self._agent_state(event)
        elif isinstance(event, CallHeld | CallResumed):
            agent = self._agents.get(event.agent_id)
            if agent is None or agent.call_id != event.call_id:
                return
            agent.held_since = event.at if isinstance(event, CallHeld) else None
        else:
            return
        self.version += 1

    def _consultation(self, event: DomainEvent) -> None:
        """A consultation's events move only the agent grid, and end its being one."""
        if isinstance(event, CallOffered | CallConnected):
            self._queue(event.queue)
            self._agent_on(event.agent_id, event.call_id, event.queue)
        elif isinstance(event, CallAbandoned | CallEnded) or (
            isinstance(event, ConsultEnded) and event.outcome != "completed"
        ):
            self._consultations.discard(_queue_call_of(event) or "")

    def set_targets(self, queue: str, targets: QueueTargets) -> None:
        """Apply a queue's changed targets and alert thresholds (the admin console's), from the next snapshot."""
        self._targets[queue] = targets
        q = self._queue(queue)
        q.targets = targets
        q.settings = KpiSettings(sl_seconds=targets.sl_seconds, short_abandon_seconds=targets.short_abandon_seconds)
        self.version += 1

    def set_membership(self, agent_id: str, queues: Iterable[str], name: str | None = None) -> None:
        """An agent's queues (and name), e.g. added or changed in the admin console."""
        if name:
            self._names[agent_id] = name
        self._members[agent_id] = frozenset(queues)
        for queue in self._members[agent_id]:
            self._queue(queue)
        self.version += 1

    def snapshot(self) -> WallSnapshot:
        """The wall as of now (the injected clock)."""
        now = self._clock()
        self._roll_day(now)
        tiles = []
        for name in sorted(self._queues):
            q = self._queues[name]
            self._expire_recent(q, now)
            q.record_trends(now)
            tiles.append(self._tile(name, q, now))
        rows = tuple(
            AgentRow(
                agent_id=agent_id,
                name=self._names.get(agent_id, agent_id),
                state=a.state,
                reason=a.reason,
                since=a.since,
                time_in_state=max(0.0, now - a.since),
                call_id=a.call_id,
                queue=a.queue,
                held_since=a.held_since,
                answered_today=a.answered,
                aht_today=average_handle_time(a.talk, a.hold, a.wrap_up, a.handled),
            )
            for agent_id, a in sorted(self._agents.items())
        )
        local = dt.datetime.fromtimestamp(now, self._tz).astimezone(self._tz)  # aware even for the system zone
        offset = local.utcoffset()
        return WallSnapshot(
            at=now, queues=tuple(tiles), agents=rows, day=self._day.isoformat(),
            time_zone=getattr(self._tz, "key", None), utc_offset=offset.total_seconds() if offset else 0.0,
        )

    def _tile(self, name: str, q: _QueueState, now: float) -> QueueTile:
        counts = dict.fromkeys(AGENT_STATES, 0)
        for agent_id, members in self._members.items():
            if name in members:
                agent = self._agents.get(agent_id)
                if agent is not None and agent.queue not in (None, name):
                    continue  # busy with another queue's call: not this queue's figure
                counts[agent.state if agent else "logged_out"] += 1
        longest = max((now - t for t in q.waiting.values()), default=0.0)
        today, recent = _figures(q.today, q.settings), _figures(q.recent, q.settings)
        return QueueTile(
            queue=name,
            waiting=len(q.waiting),
            callbacks=len(q.callbacks),
            longest_wait=max(0.0, longest),
            today=today,
            last_30_min=recent,
            agents=counts,
            colours=self._colours(q.targets, longest, today, recent),
            trends={"waiting": q.waiting_trend.values(now), "sl_30_min": q.sl_trend.values(now)},
            alerts=_alerts(q.targets, longest, recent),
            thresholds={"longest_wait": q.targets.alert_wait_seconds, "service_level": q.targets.alert_sl},
        )

    @staticmethod
    def _colours(
        t: QueueTargets, longest: float, today: PeriodFigures, recent: PeriodFigures
    ) -> dict[str, str]:
        def service(figures: PeriodFigures) -> str:
            sl = figures.service_level
            if sl is None or sl >= t.sl_target + t.sl_warn_margin:
                return "ok"
            return "warn" if sl >= t.sl_target else "alert"

        def abandon(figures: PeriodFigures) -> str:
            rate = figures.abandon_rate
            if rate is None or rate < t.abandon_warn:
                return "ok"
            return "warn" if rate < t.abandon_alert else "alert"

        wait = "ok" if longest <= t.sl_seconds / 2 else "warn" if longest <= t.sl_seconds else "alert"
        crossed = _alerts(t, longest, recent)
        return {
            "longest_wait": "alert" if "longest_wait" in crossed else wait,
            "sl_today": service(today),
            "sl_30_min": "alert" if "service_level" in crossed else service(recent),
            "abandon_today": abandon(today),
            "abandon_30_min": abandon(recent),
        }

    def _queue(self, name: str) -> _QueueState:
        q = self._queues.get(name)
        if q is None:
            q = self._queues[name] = _QueueState(self._targets.get(name, QueueTargets()))
        return q

    @staticmethod
    def _leave(q: _QueueState, call_id: str) -> None:
        q.waiting.pop(call_id, None)
        q.callbacks.discard(call_id)

    def _count(self, q: _QueueState, call_id: str, outcome: _Outcome) -> None:
        # Once per customer call (reports.definitions): a transfer or call-back never counts it again.
        if call_id in self._counted_today:
            return
        self._counted_today.add(call_id)
        q.today.add(outcome.outcome, outcome.wait, q.settings)
        q.recent.add(outcome.outcome, outcome.wait, q.settings)
        q.recent_outcomes.append(outcome)
        self._expire_recent(q, outcome.at)

    @staticmethod
    def _expire_recent(q: _QueueState, now: float) -> None:
        while q.recent_outcomes and now - q.recent_outcomes[0].at > RECENT_WINDOW:
            gone = q.recent_outcomes.popleft()
            q.recent.add(gone.outcome, gone.wait, q.settings, sign=-1)

    def _agent_state(self, event: AgentStateChanged) -> None:
        agent = self._agents.get(event.agent_id)
        if agent is None:
            agent = self._agents[event.agent_id] = _AgentState(event.state, event.reason, event.at)
        elif agent.state != event.state or agent.reason != event.reason:
            if agent.state == "wrap_up":  # after-call work counts into the agent's AHT, as in the reports
                agent.wrap_up += max(0.0, event.at - agent.since)
            agent.state, agent.reason, agent.since = event.state, event.reason, event.at
        if event.state in ("reserved", "on_call", "wrap_up"):
            agent.call_id = event.call_id or agent.call_id
        else:
            agent.call_id = agent.queue = None
        if event.state != "on_call":
            agent.held_since = None

    def _agent_on(self, agent_id: str, call_id: str, queue: str) -> None:
        agent = self._agents.get(agent_id)
        if agent is not None:
            if agent.call_id != call_id:
                agent.held_since = None
            agent.call_id, agent.queue = call_id, queue

    def _local_date(self, at: float) -> dt.date:
        # With tz None, fromtimestamp applies the system zone's rules for that very instant.
        return dt.datetime.fromtimestamp(at, self._tz).date()

    def _roll_day(self, at: float) -> None:
        day = self._local_date(at)
        if day <= self._day:
            return  # today, or a late event from yesterday whose counts stay with today
        self._day = day
        self._counted_today.clear()
        for q in self._queues.values():
            q.today = QueueTally()
        for agent in self._agents.values():
            agent.reset_day()


def _alerts(t: QueueTargets, longest: float, recent: PeriodFigures) -> tuple[str, ...]:
    """The admin's thresholds crossed now: the longest wait above its limit, the last 30 min's SL below."""
    crossed = []
    if t.alert_wait_seconds is not None and longest > t.alert_wait_seconds:
        crossed.append("longest_wait")
    if t.alert_sl is not None and recent.service_level is not None and recent.service_level < t.alert_sl:
        crossed.append("service_level")
    return tuple(crossed)


_QUEUE_CALL_EVENTS = (CallQueued, CallbackRequested, CallOffered, CallOfferFailed, CallConnected, CallAbandoned,
                      CallEnded)


def _queue_call_of(event: DomainEvent) -> str | None:
    """The call whose way through a queue ``event`` tells of; for a consultation's end, the
    consultation's own call."""
    if isinstance(event, ConsultEnded):
        return event.consult_id
    return event.call_id if isinstance(event, _QUEUE_CALL_EVENTS) else None
