"""The report tables the report pages show and export, from rollup sums (:mod:`reports.rollup_store`): pure.

Each report is a header of column keys, rows of plain cells and the chart drawn from them; the page shows
and the CSV/XLSX files hold exactly these rows. Every figure comes from :mod:`reports.definitions`.

* interval: the inbound queues' totals per local 15/30/60-minute interval, every interval of the period;
* queue: per queue, then the total (queue ``*``);
* agent: per agent, seconds in each state, not-ready seconds by reason, calls taken (each agent who talked on
  a call counts it), AHT (talk + hold + wrap-up of those calls over the calls), occupancy and utilisation
  (from the state seconds);
* disposition: calls handled (answered, or rung back) per queue, campaign or agent (who answered them),
  direction and disposition;
* ivr: calls by how they left the IVR (``queue``: handed to a queue) and the node they left at;
* campaign: outbound legs per campaign and result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from crm_core.table_files import Cell
from reports.definitions import (
    KpiSettings,
    Outcome,
    QueueTally,
    abandon_rate,
    average_handle_time,
    average_speed_of_answer,
    occupancy,
    service_level,
    utilisation,
)
from reports.history import HANDLING_STATES
from reports.rollups import (
    AGENT_TABLE,
    COUNTERS,
    DAY,
    IVR_TABLE,
    QUARTER,
    QUEUE_TABLE,
    STATE_TABLE,
    interval_start,
)

REPORTS = ("interval", "queue", "agent", "disposition", "ivr", "campaign")
INTERVAL_MINUTES = (15, 30, 60)
GROUPINGS = ("queue", "campaign", "agent_id")
TOTAL = "*"
STATES = ("ready", "reserved", "on_call", "wrap_up", "not_ready")
QUEUE_FIGURES = ("offered", "answered", "answered_in_sl", "abandoned", "short_abandoned", "callbacks",
                 "callbacks_answered", "service_level", "asa", "abandon_rate", "aht", "transfers", "consultations")
CONTAINED, ABANDONED_IN_IVR = "hangup", "abandoned_in_ivr"
_HANDLED = COUNTERS[AGENT_TABLE].index("handled")  # the disposition report counts the calls handled
# (result, calls, answered in SL, wait seconds, handle seconds, ...) and the like: what the store sums.
SumRow = Sequence[Any]


@dataclasses.dataclass(frozen=True, slots=True)
class Chart:
    """How the page draws a report: one data set per ``series`` column, or per value of ``pivot`` (whose
    heights are the ``value`` column), against the ``labels`` column; ``unit`` names what the axis counts."""

    kind: str  # "bar" or "line"
    labels: str
    series: tuple[str, ...] = ()
    pivot: str | None = None
    value: str | None = None
    unit: str = "calls"  # "calls", "seconds" or "share"
    stacked: bool = False
    horizontal: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Report:
    """A report's table, its chart and its headline figures."""

    name: str
    columns: tuple[str, ...]
    rows: list[list[Cell]]
    chart: Chart
    summary: Mapping[str, float | None] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"report": self.name, "columns": list(self.columns), "rows": self.rows,
                "chart": dataclasses.asdict(self.chart), "summary": dict(self.summary)}


def _plain(value: float | None, digits: int) -> float | int | None:
    """Rounded; a whole number as an integer, so a page and a file write it alike (``150``, not ``150.0``)."""
    if value is None:
        return None
    rounded = round(value, digits)
    return int(rounded) if rounded.is_integer() else rounded


def _share(value: float | None) -> float | int | None:
    return _plain(value, 4)


def _seconds(value: float | None) -> float | int | None:
    return _plain(value, 1)


def _count(value: float) -> int:
    return round(value)


@dataclasses.dataclass(slots=True)
class _Sums:
    tally: QueueTally = dataclasses.field(default_factory=QueueTally)
    handle: float = 0.0
    handled: int = 0
    callbacks_answered: int = 0
    transfers: int = 0
    consultations: int = 0

    def add(self, result: str, calls: float, in_sl: float, wait: float, handle: float, handled: float,
            transfers: float, consultations: float) -> None:
        n = _count(calls)
        t = self.tally
        self.handle += handle
        self.handled += _count(handled)
        self.transfers += _count(transfers)
        self.consultations += _count(consultations)
        if result == Outcome.ANSWERED.value:
            t.answered += n
            t.answered_in_sl += _count(in_sl)
            t.total_wait += wait
        elif result == Outcome.ABANDONED.value:
            t.abandoned += n
        elif result == Outcome.SHORT_ABANDONED.value:
            t.short_abandoned += n
        elif result == Outcome.CALLBACK.value:
            t.callbacks += n
            self.callbacks_answered += _count(handled)

    def cells(self, settings: KpiSettings) -> list[Cell]:
        t = self.tally
        return [t.offered, t.answered, t.answered_in_sl, t.abandoned, t.short_abandoned, t.callbacks,
                self.callbacks_answered, _share(service_level(t, settings.sl_variant)),
                _seconds(average_speed_of_answer(t)), _share(abandon_rate(t)),
                _seconds(self.handle / self.handled if self.handled else None), self.transfers, self.consultations]


_QUEUE_CHART_SERIES = ("answered", "abandoned", "short_abandoned", "callbacks")


def queue_report(rows: Iterable[SumRow], settings: KpiSettings) -> Report:
    """``rows``: (queue, result, then the queue rollup's counters)."""
    by_queue: dict[str, _Sums] = defaultdict(_Sums)
    total = _Sums()
    for queue, *sums in rows:
        by_queue[queue].add(*sums)
        total.add(*sums)
    table = [[q, *by_queue[q].cells(settings)] for q in sorted(by_queue)]
    return Report("queue", ("queue", *QUEUE_FIGURES), [*table, [TOTAL, *total.cells(settings)]],
                  Chart("bar", "queue", _QUEUE_CHART_SERIES, stacked=True))


def interval_keys(start: int, end: int, zone: ZoneInfo, minutes: int) -> list[str]:
    """Every local interval of the period, in order, as its ISO start with the UTC offset (so the two
    01:00s of the night the clocks go back stay two intervals)."""
    keys = dict.fromkeys(interval_start(b, zone, minutes).isoformat() for b in range(start, end, QUARTER))
    return list(keys)


def interval_report(rows: Iterable[SumRow], start: int, end: int, zone: ZoneInfo, minutes: int,
                    settings: KpiSettings) -> Report:
    """``rows``: (time, result, then the queue rollup's counters); the time is a quarter-hour bucket or, for
    a recount from the rows themselves, the exact time of the outcome."""
    if minutes not in INTERVAL_MINUTES:
        raise ValueError("intervals are 15, 30 or 60 minutes")
    sums: dict[str, _Sums] = {key: _Sums() for key in interval_keys(start, end, zone, minutes)}
    for at, *rest in rows:
        sums[interval_start(at, zone, minutes).isoformat()].add(*rest)
    return Report("interval", ("interval_start", *QUEUE_FIGURES),
                  [[key, *s.cells(settings)] for key, s in sums.items()],
                  Chart("line", "interval_start", ("offered", "answered", "abandoned")))


def agent_report(state_rows: Iterable[SumRow], call_rows: Iterable[SumRow]) -> Report:
    """``state_rows``: (agent, state, reason, seconds); ``call_rows``: (agent, calls, talk, hold, wrap-up, ...)."""
    states: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    reasons: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for agent, state, reason, seconds in state_rows:
        states[agent][state] += seconds
        if state == "not_ready":
            reasons[agent][reason] += seconds
    calls: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for agent, *sums in call_rows:
        calls[agent] = [a + b for a, b in zip(calls[agent], sums[:4], strict=True)]
    all_reasons = sorted({r for by_reason in reasons.values() for r in by_reason})
    table: list[list[Cell]] = []
    for agent in sorted(set(states) | set(calls)):
        by_state = states[agent]
        n, talk, hold, wrap = calls[agent]
        handling = sum(by_state.get(s, 0.0) for s in HANDLING_STATES)
        logged_in = sum(by_state.values())
        table.append([
            agent, *(_seconds(by_state.get(s, 0.0)) for s in STATES),
            *(_seconds(reasons[agent].get(r, 0.0)) for r in all_reasons), _count(n),
            _seconds(average_handle_time(talk, hold, wrap, _count(n))),
            _share(occupancy(handling, handling + by_state.get("ready", 0.0))),
            _share(utilisation(handling, logged_in)),
        ])
    columns = ("agent_id", *(f"{s}_seconds" for s in STATES), *(f"not_ready:{r}" for r in all_reasons), "calls",
               "aht", "occupancy", "utilisation")
    return Report("agent", columns, table, Chart("bar", "agent_id", tuple(f"{s}_seconds" for s in STATES),
                                                 unit="seconds", stacked=True, horizontal=True))


def disposition_report(rows: Iterable[SumRow], by: str) -> Report:
    """``rows``: (group, direction, disposition, calls handled), grouped ``by`` queue, campaign or agent."""
    if by not in GROUPINGS:
        raise ValueError(f"group by one of {', '.join(GROUPINGS)}")
    counts: dict[tuple[str, str, str], float] = defaultdict(float)
    for group, direction, disposition, calls in rows:
        counts[(group, direction, disposition)] += calls
    table: list[list[Cell]] = [[*key, _count(n)] for key, n in sorted(counts.items()) if _count(n)]
    return Report("disposition", (by, "direction", "disposition", "calls"), table,
                  Chart("bar", by, pivot="disposition", value="calls", stacked=True))


def ivr_report(rows: Iterable[SumRow]) -> Report:
    """``rows``: (outcome, last node, calls)."""
    counts: dict[tuple[str, str], float] = defaultdict(float)
    for outcome, node, calls in rows:
        counts[(outcome, node)] += calls
    total = sum(_count(n) for n in counts.values())
    by_outcome: dict[str, int] = defaultdict(int)
    for (outcome, _), n in counts.items():
        by_outcome[outcome] += _count(n)
    table: list[list[Cell]] = [[outcome, node, _count(n), _share(_count(n) / total if total else None)]
                               for (outcome, node), n in sorted(counts.items()) if _count(n)]
    summary = {"calls": float(total),
               "containment": _share(by_outcome[CONTAINED] / total if total else None),
               "abandon_rate": _share(by_outcome[ABANDONED_IN_IVR] / total if total else None)}
    return Report("ivr", ("outcome", "last_node", "calls", "share"), table,
                  Chart("bar", "outcome", pivot="last_node", value="calls", stacked=True), summary)


def campaign_report(rows: Iterable[SumRow]) -> Report:
    """``rows``: (campaign, result, calls): the outbound legs of each campaign by result."""
    counts: dict[tuple[str, str], float] = defaultdict(float)
    for campaign, result, calls in rows:
        counts[(campaign, result)] += calls
    table: list[list[Cell]] = [[*key, _count(n)] for key, n in sorted(counts.items()) if _count(n)]
    return Report("campaign", ("campaign", "result", "calls"), table,
                  Chart("bar", "campaign", pivot="result", value="calls", stacked=True))


def quick_period(pick: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of a quick pick: ``today``, ``yesterday`` or ``last_7_days`` (today included)."""
    if pick == "today":
        return today, today
    if pick == "yesterday":
        day = today - dt.timedelta(days=1)
        return day, day
    if pick == "last_7_days":
        return today - dt.timedelta(days=6), today
    raise ValueError(f"no quick period {pick!r}")


MAX_INTERVAL_DAYS = 31  # an interval table longer than a month is no table to read


class ReportRefused(ValueError):
    """A report asked for in a way that cannot be answered (the message says why)."""


@dataclasses.dataclass(frozen=True, slots=True)
class ReportQuery:
    """Which report, over ``[start, end)`` (epoch seconds on quarter-hours), in which zone, with which filters
    (``""``: all)."""

    report: str
    start: int
    end: int
    zone: ZoneInfo
    minutes: int = 60
    by: str = "queue"
    queue: str = ""
    agent_id: str = ""
    campaign: str = ""

    def __post_init__(self) -> None:
        if self.report not in REPORTS:
            raise ReportRefused(f"no report {self.report!r}: one of {', '.join(REPORTS)}")
        if self.minutes not in INTERVAL_MINUTES:
            raise ReportRefused("intervals are 15, 30 or 60 minutes")
        if self.by not in GROUPINGS:
            raise ReportRefused(f"group by one of {', '.join(GROUPINGS)}")
        if self.report == "interval" and self.end - self.start > MAX_INTERVAL_DAYS * DAY:
            raise ReportRefused(f"the interval report covers at most {MAX_INTERVAL_DAYS} days")


class RollupReader(Protocol):
    """Sums a rollup's counters over a period, grouped by some of its dimensions (led by the time when
    ``by_quarter``), with equality filters on others (``""``: no filter)."""

    def __call__(self, name: str, start: int, end: int, group_by: Sequence[str],
                 filters: Mapping[str, str], *, by_quarter: bool = False) -> list[tuple[Any, ...]]: ...


def build_report(query: ReportQuery, read: RollupReader, settings: KpiSettings) -> Report:
    """The report ``query`` asks for, from the sums ``read`` gives."""
    q = query
    inbound = {"direction": "inbound", "queue": q.queue}
    builders: dict[str, Callable[[], Report]] = {
        "interval": lambda: interval_report(read(QUEUE_TABLE, q.start, q.end, ("result",), inbound, by_quarter=True),
                                            q.start, q.end, q.zone, q.minutes, settings),
        "queue": lambda: queue_report(read(QUEUE_TABLE, q.start, q.end, ("queue", "result"), inbound), settings),
        "agent": lambda: agent_report(
            read(STATE_TABLE, q.start, q.end, ("agent_id", "state", "reason"), {"agent_id": q.agent_id}),
            read(AGENT_TABLE, q.start, q.end, ("agent_id",),
                 {"agent_id": q.agent_id, "queue": q.queue, "campaign": q.campaign})),
        "disposition": lambda: disposition_report(
            [(*row[:3], row[3 + _HANDLED]) for row in read(
                AGENT_TABLE, q.start, q.end, (q.by, "direction", "disposition"),
                {"agent_id": q.agent_id, "queue": q.queue, "campaign": q.campaign})], q.by),
        "ivr": lambda: ivr_report(read(IVR_TABLE, q.start, q.end, ("outcome", "last_node"), {})),
        "campaign": lambda: campaign_report(
            [row[:3] for row in read(QUEUE_TABLE, q.start, q.end, ("campaign", "result"),
                                     {"direction": "outbound", "campaign": q.campaign})]),
    }
    return builders[q.report]()
