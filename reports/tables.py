"""Report tables over a replayed history: by queue (with the total), by interval, by agent, by disposition,
and first-contact resolution by customer. Pure; every figure comes from :mod:`reports.definitions`."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence

from reports.definitions import (
    KpiSettings,
    Outcome,
    QueueTally,
    abandon_rate,
    average_handle_time,
    average_speed_of_answer,
    first_contact_resolution,
    occupancy,
    service_level,
    utilisation,
)
from reports.history import HANDLING_STATES, AgentSegment, CallHistory, CallRecord

TOTAL = "*"  # the queue column of the totals row
FCR_WINDOW_SECONDS = 7 * 86400.0


@dataclasses.dataclass(frozen=True, slots=True)
class Period:
    """A half-open stretch of time, ``start`` included, ``end`` not (epoch seconds)."""

    start: float
    end: float

    def holds(self, at: float | None) -> bool:
        return at is not None and self.start <= at < self.end


@dataclasses.dataclass(frozen=True, slots=True)
class QueueRow:
    """One queue's (or the total's) figures over a period."""

    queue: str
    offered: int
    answered: int
    answered_in_sl: int
    abandoned: int
    short_abandoned: int
    callbacks: int
    callbacks_answered: int
    service_level: float | None
    sl_variant: str
    asa: float | None
    abandon_rate: float | None
    aht: float | None
    transfers: int
    consultations: int
    attended_transfers: int


@dataclasses.dataclass(frozen=True, slots=True)
class AgentRow:
    """One agent's time and calls over a period."""

    agent_id: str
    seconds_by_state: dict[str, float]
    not_ready_by_reason: dict[str, float]
    calls: int
    aht: float | None
    occupancy: float | None
    utilisation: float | None


def _row(queue: str, records: Sequence[CallRecord], settings: KpiSettings) -> QueueRow:
    tally = QueueTally()
    for r in records:
        assert r.outcome is not None  # only decided calls reach a row
        tally.add(r.outcome, r.wait_seconds, settings)
    handled = [r for r in records if r.outcome is Outcome.ANSWERED or r.callback_answered]
    return QueueRow(
        queue=queue, offered=tally.offered, answered=tally.answered, answered_in_sl=tally.answered_in_sl,
        abandoned=tally.abandoned, short_abandoned=tally.short_abandoned, callbacks=tally.callbacks,
        callbacks_answered=sum(1 for r in records if r.callback_answered),
        service_level=service_level(tally, settings.sl_variant), sl_variant=settings.sl_variant.value,
        asa=average_speed_of_answer(tally), abandon_rate=abandon_rate(tally),
        aht=average_handle_time(sum(r.talk_seconds for r in handled), sum(r.hold_seconds for r in handled),
                                sum(r.after_call_work for r in handled), len(handled)),
        transfers=sum(r.transfers for r in records), consultations=sum(r.consultations for r in records),
        attended_transfers=sum(r.attended_transfers for r in records),
    )


def decided_in(history: CallHistory, period: Period) -> list[CallRecord]:
    """The calls whose queue outcome falls in ``period``."""
    return [r for r in history.calls.values() if r.outcome is not None and period.holds(r.outcome_at)]


def queue_table(history: CallHistory, period: Period) -> list[QueueRow]:
    """One row per queue (sorted), then the totals row (queue ``*``)."""
    records = decided_in(history, period)
    by_queue: dict[str, list[CallRecord]] = defaultdict(list)
    for r in records:
        by_queue[r.queue].append(r)
    rows = [_row(q, by_queue[q], history.settings) for q in sorted(by_queue)]
    return [*rows, _row(TOTAL, records, history.settings)]


def interval_table(history: CallHistory, period: Period, minutes: int, utc_offset: float = 0.0) -> list[
        tuple[float, QueueRow]]:
    """The totals row of each ``minutes``-long interval in the period (aligned in local time, whose offset
    from UTC is ``utc_offset`` seconds), as (interval start, row)."""
    if minutes not in (15, 30, 60):
        raise ValueError("intervals are 15, 30 or 60 minutes")
    width = minutes * 60.0
    first = ((period.start + utc_offset) // width) * width - utc_offset
    out = []
    start = first
    while start < period.end:
        piece = Period(max(start, period.start), min(start + width, period.end))
        out.append((start, _row(TOTAL, decided_in(history, piece), history.settings)))
        start += width
    return out


def _clipped(segment: AgentSegment, period: Period) -> float:
    return max(0.0, min(segment.end, period.end) - max(segment.start, period.start))


def agent_table(history: CallHistory, period: Period) -> list[AgentRow]:
    """Per agent: seconds in each state, not-ready by reason, calls taken (customer calls the agent talked
    with, transferred ones and call-backs included, of the calls decided in the period), AHT (on call plus
    wrap-up over calls), occupancy and utilisation."""
    states: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    reasons: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for s in history.segments:
        seconds = _clipped(s, period)
        if seconds <= 0:
            continue
        states[s.agent_id][s.state] += seconds
        if s.state == "not_ready":
            reasons[s.agent_id][s.reason or ""] += seconds
    calls: dict[str, int] = defaultdict(int)
    for r in decided_in(history, period):
        for agent_id in r.handled_by:
            calls[agent_id] += 1
    rows = []
    for agent_id in sorted(set(states) | set(calls)):
        by_state = states[agent_id]
        handling = sum(by_state.get(s, 0.0) for s in HANDLING_STATES)
        logged_in = sum(v for s, v in by_state.items() if s != "logged_out")
        rows.append(AgentRow(
            agent_id=agent_id, seconds_by_state=dict(by_state), not_ready_by_reason=dict(reasons[agent_id]),
            calls=calls[agent_id],
            aht=average_handle_time(by_state.get("on_call", 0.0), 0.0, by_state.get("wrap_up", 0.0),
                                    calls[agent_id]),
            occupancy=occupancy(handling, handling + by_state.get("ready", 0.0)),
            utilisation=utilisation(handling, logged_in),
        ))
    return rows


def disposition_table(records: Iterable[CallRecord]) -> dict[tuple[str, str, str], int]:
    """Calls by (queue, agent, disposition); calls without one count under disposition ``""``."""
    out: dict[tuple[str, str, str], int] = defaultdict(int)
    for r in records:
        if r.outcome is Outcome.ANSWERED or r.callback_answered:
            out[(r.queue, r.agent_id or "", r.disposition or "")] += 1
    return dict(out)


def fcr_by_customer(history: CallHistory, period: Period, window: float = FCR_WINDOW_SECONDS) -> float | None:
    """First-contact resolution: of the customers whose first answered call in the period is known, the
    share who did not call again (any later call of theirs entering a queue) within ``window`` seconds."""
    by_customer: dict[str, list[CallRecord]] = defaultdict(list)
    for r in history.calls.values():
        if r.customer:
            by_customer[r.customer].append(r)
    customers = resolved = 0
    for calls in by_customer.values():
        calls.sort(key=lambda r: r.entered_at)
        first = next((r for r in calls if r.outcome is Outcome.ANSWERED and period.holds(r.entered_at)), None)
        if first is None:
            continue
        customers += 1
        if not any(first.entered_at < r.entered_at <= first.entered_at + window for r in calls):
            resolved += 1
    return first_contact_resolution(resolved, customers)
