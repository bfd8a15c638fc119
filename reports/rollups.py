"""What one interaction row (a call leg) or one agent-state stretch adds to the report rollups, and which
buckets a period reads: pure.

A rollup is a table of counters keyed by a time bucket and a few dimensions. Every contribution is added
to a quarter-hour bucket (:data:`QUARTER`) and to a UTC day bucket (:data:`DAY`): a report reads whole
UTC days from the day buckets and the ragged ends from the quarter-hours (:func:`cover`), so a year costs
about as much as a few days. A period must start and end on quarter-hours, which local midnights and
local 15/30/60-minute interval starts are in every zone whose offset from UTC is a whole number of
quarter-hours: all of today's zones, Asia/Kathmandu's +5:45 and the Chatham Islands' +12:45 included
(:func:`check_zone_offsets` refuses the rest, e.g. a zone's 19th-century local mean time).

Each customer call's queue outcome counts once, as the definitions say (``docs/kpis.md``): its first leg
(the leg whose id is the call id) decides it, in the queue the call first entered, at the time it happened
(answered: when answered; otherwise when the leg ended). The call's later legs (queued again after a blind
transfer, a call-back's ring, a consultation about it) never count it again: they add only their agents'
handling (talk, hold, wrap-up) to that call, in its queue and at its outcome time (:func:`call_contributions`).
A leg counts once it is closed. Later writes to a closed leg (its disposition, its wrap-up) change its
contribution: the store takes the old one back out and adds the new (:func:`delta`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

from acd.config import QueueConfig
from reports.definitions import KpiSettings, Outcome, abandon_outcome

QUARTER = 900
DAY = 86400
GRAINS = (QUARTER, DAY)
CONSULT, OUTBOUND, MANUAL = "consult", "outbound", "manual"
TRANSFERRED = "transferred"  # the outcome of a leg its agent transferred (blind or attended)
CALLBACK_LEG = "#callback"  # the id of a call-back's ring leg is the call id and this
QUEUE_TABLE, AGENT_TABLE, IVR_TABLE, STATE_TABLE = "rollup_queue", "rollup_agent", "rollup_ivr", "rollup_agent_state"
# Each rollup's dimensions and counters, in column order (the store's tables have exactly these columns
# after ``grain`` and ``bucket``).
DIMENSIONS: Mapping[str, tuple[str, ...]] = {
    QUEUE_TABLE: ("direction", "queue", "campaign", "result"),
    AGENT_TABLE: ("direction", "queue", "campaign", "agent_id", "disposition"),
    IVR_TABLE: ("outcome", "last_node"),
    STATE_TABLE: ("agent_id", "state", "reason"),
}
COUNTERS: Mapping[str, tuple[str, ...]] = {
    # calls: customer calls (by queue outcome); handled: those answered, or whose call-back was answered
    QUEUE_TABLE: ("calls", "in_sl", "wait_sum", "handle_sum", "handled", "transfers", "consultations"),
    # calls: legs the agent talked on; handled: the calls the agent answered first (or rang back)
    AGENT_TABLE: ("calls", "talk_sum", "hold_sum", "wrap_sum", "handled"),
    IVR_TABLE: ("calls",),
    STATE_TABLE: ("seconds",),
}
ROUTED = "queue"  # the IVR outcome of a call the IVR handed to a queue
UNTRACKED_STATES = frozenset({"logged_out"})  # no report reads time logged out; it would fill the buckets


class ZoneNotQuarterHour(ValueError):
    """A time zone whose offset from UTC in the period is not a whole number of quarter-hours."""


# A queue's KPI parameters (its service-level and short-abandon thresholds), by queue name.
KpisOf = Callable[[str], KpiSettings]


def same_kpis(settings: KpiSettings) -> KpisOf:
    """Every queue with the same parameters."""
    return lambda _queue: settings


def queue_kpis(queues: Callable[[], Iterable[QueueConfig]]) -> KpisOf:
    """Each queue's parameters as the ACD's queue configuration has them when asked (``queues()``, so a change
    in the admin console counts from then on): its service-level threshold. Short abandons are configured
    nowhere, so there are none, as on the wall; a queue not configured gets the defaults."""

    def of(queue: str) -> KpiSettings:
        config = next((q for q in queues() if q.name == queue), None)
        return KpiSettings(sl_seconds=config.service_level_seconds) if config is not None else KpiSettings()

    return of


@dataclasses.dataclass(frozen=True, slots=True)
class LegFacts:
    """The columns of an interaction row the rollups read (``None`` where the row holds NULL)."""

    leg_id: str
    call_id: str
    direction: str
    queue: str | None
    campaign: str | None
    agent_id: str | None
    enter_at: float
    answer_at: float | None
    end_at: float | None
    outcome: str | None
    disposition: str | None
    wait_seconds: float | None
    talk_seconds: float | None
    hold_seconds: float
    wrap_up_seconds: float | None
    ivr_last_node: str | None  # set when the IVR itself ended the call

    @property
    def closed(self) -> bool:
        """Whether the leg has ended with an outcome: only then does it count."""
        return self.end_at is not None and self.outcome is not None

    @property
    def first_leg(self) -> bool:
        """The call's first leg (the one that went through the IVR): it decides the call's queue outcome."""
        return self.leg_id == self.call_id

    @property
    def callback_leg(self) -> bool:
        """The leg that rang the caller back."""
        return self.leg_id == self.call_id + CALLBACK_LEG


@dataclasses.dataclass(frozen=True, slots=True)
class CallOutcome:
    """A customer call's queue outcome as its first leg holds it: where and when the call counts."""

    direction: str
    queue: str
    campaign: str
    result: str  # an Outcome value, or the row's own outcome (an outbound dial's, e.g. busy)
    at: float
    settings: KpiSettings


Key = tuple[str, ...]
Counters = tuple[float, ...]
Contribution = tuple[str, float, Key, Counters]  # rollup, time, dimensions, counters


def result_of(leg: LegFacts, settings: KpiSettings) -> str | None:
    """The queue result of a first leg: an :class:`Outcome` value, the row's own outcome otherwise, ``None``
    while it is undecided (queued, or ringing an agent)."""
    if leg.outcome == "abandoned":
        return abandon_outcome(leg.wait_seconds or 0.0, settings).value
    if leg.outcome == "callback_requested":  # counted once, as asked for; the call-back is a later leg
        return Outcome.CALLBACK.value
    if leg.answer_at is not None:
        return Outcome.ANSWERED.value
    return leg.outcome


def call_outcome(first: LegFacts, kpis: KpisOf) -> CallOutcome | None:
    """The queue outcome of the call whose first leg is ``first``; ``None`` while undecided, and for a call
    the IVR ended (it never was in a queue)."""
    if not first.first_leg or first.direction == CONSULT or first.ivr_last_node is not None:
        return None
    queue = first.queue or ""
    settings = kpis(queue)
    result = result_of(first, settings)
    if result is None:
        return None
    answered = result == Outcome.ANSWERED.value
    at = first.answer_at if answered and first.answer_at is not None else first.end_at
    if at is None:
        return None
    return CallOutcome(first.direction, queue, first.campaign or "", result, at, settings)


def contributions(leg: LegFacts, call: CallOutcome | None) -> list[Contribution]:
    """What the closed ``leg`` of the call whose outcome is ``call`` adds to each call rollup: the first leg
    counts the call's outcome; every leg adds its agent's handling to the call (nothing while the leg is
    open, or while the call has no queue outcome)."""
    if not leg.closed:
        return []
    assert leg.outcome is not None  # closed
    out: list[Contribution] = []
    if leg.first_leg and leg.direction not in (OUTBOUND, CONSULT, MANUAL):
        ivr_outcome = leg.outcome if leg.ivr_last_node is not None else ROUTED
        out.append((IVR_TABLE, leg.enter_at, (ivr_outcome, leg.ivr_last_node or ""), (1.0,)))
    if call is None:
        return out
    answered_call = call.result == Outcome.ANSWERED.value
    talked = leg.answer_at is not None
    if leg.first_leg:
        calls, wait = 1.0, leg.wait_seconds or 0.0
        in_sl = 1.0 if answered_call and wait <= call.settings.sl_seconds else 0.0
        # A first leg whose outcome is no answer holds no handling of its own.
        handled = talked = talked and answered_call
    else:
        calls, wait, in_sl = 0.0, 0.0, 0.0
        handled = talked and leg.callback_leg and call.result == Outcome.CALLBACK.value
    talk, hold, wrap = (leg.talk_seconds or 0.0, leg.hold_seconds, leg.wrap_up_seconds or 0.0) if talked else (
        0.0, 0.0, 0.0)
    transfers = 1.0 if leg.outcome == TRANSFERRED else 0.0
    consultations = 1.0 if leg.direction == CONSULT else 0.0
    out.append((QUEUE_TABLE, call.at, (call.direction, call.queue, call.campaign, call.result),
                (calls, in_sl, wait, talk + hold + wrap, float(handled), transfers, consultations)))
    if talked and leg.agent_id:  # an agent talked with the caller (a consultation's colleague too)
        out.append((AGENT_TABLE, call.at, (call.direction, call.queue, call.campaign, leg.agent_id,
                                           leg.disposition or ""), (1.0, talk, hold, wrap, float(handled))))
    return out


def call_contributions(legs: Sequence[LegFacts], kpis: KpisOf) -> list[Contribution]:
    """What all the legs of one call (the same call id, its consultations included) add to the rollups."""
    first = next((leg for leg in legs if leg.first_leg), None)
    call = call_outcome(first, kpis) if first is not None else None
    return [c for leg in legs for c in contributions(leg, call)]


def bucket_of(at: float, grain: int) -> int:
    return int(at // grain) * grain


RollupRow = tuple[str, int, int, Key, Counters]  # rollup, grain, bucket, dimensions, counters


def delta(old: Sequence[Contribution], new: Sequence[Contribution]) -> list[RollupRow]:
    """The counter changes (at both grains) that turn ``old`` into ``new``; rows that cancel are left out."""
    sums: dict[tuple[str, int, int, Key], list[float]] = {}
    for sign, items in ((-1.0, old), (1.0, new)):
        for table, at, key, counters in items:
            for grain in GRAINS:
                row = sums.setdefault((table, grain, bucket_of(at, grain), key), [0.0] * len(counters))
                for i, value in enumerate(counters):
                    row[i] += sign * value
    return [(table, grain, bucket, key, tuple(values)) for (table, grain, bucket, key), values in sums.items()
            if any(values)]


def state_seconds(agent_id: str, state: str, reason: str | None, start: float, end: float) -> list[RollupRow]:
    """An agent's stretch in a state split over the quarter-hours and days it covers."""
    if state in UNTRACKED_STATES or end <= start:
        return []
    key = (agent_id, state, reason or "")
    rows: list[RollupRow] = []
    for grain in GRAINS:
        bucket = bucket_of(start, grain)
        while bucket < end:
            seconds = min(end, bucket + grain) - max(start, bucket)
            if seconds > 0:
                rows.append((STATE_TABLE, grain, bucket, key, (seconds,)))
            bucket += grain
    return rows


@dataclasses.dataclass(frozen=True, slots=True)
class Span:
    """Buckets of one grain, ``start`` included, ``end`` not (epoch seconds)."""

    grain: int
    start: int
    end: int


def cover(start: int, end: int) -> list[Span]:
    """The fewest buckets that add up to ``[start, end)``: whole UTC days, quarter-hours at both ends."""
    if start % QUARTER or end % QUARTER:
        raise ZoneNotQuarterHour("a period starts and ends on a quarter-hour")
    first_day, last_day = -(-start // DAY) * DAY, end // DAY * DAY
    if first_day >= last_day:
        return [Span(QUARTER, start, end)] if start < end else []
    spans = [Span(QUARTER, start, first_day), Span(DAY, first_day, last_day), Span(QUARTER, last_day, end)]
    return [s for s in spans if s.start < s.end]


def check_zone_offsets(zone: ZoneInfo, start: float, end: float) -> None:
    """Refuse a zone whose UTC offset at any change in ``[start, end)`` is not whole quarter-hours."""
    for at in _offset_changes(zone, start, end):
        offset = dt.datetime.fromtimestamp(at, zone).utcoffset()
        if offset is not None and offset.total_seconds() % QUARTER:
            raise ZoneNotQuarterHour(f"{zone.key} is {offset} from UTC then: reports need whole quarter-hours")


def _offset_changes(zone: ZoneInfo, start: float, end: float) -> Iterator[float]:
    """``start`` and one instant a day after it: enough to meet every offset a zone takes in the period."""
    at = start
    while at < end:
        yield at
        at += DAY


def local_period(zone: ZoneInfo, first: dt.date, last: dt.date) -> tuple[int, int]:
    """The epoch seconds of local midnight starting ``first`` and ending ``last`` (both days included)."""
    if last < first:
        raise ValueError("the period ends before it starts")
    start = dt.datetime.combine(first, dt.time(), zone).timestamp()
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).timestamp()
    check_zone_offsets(zone, start, end)
    return int(start), int(end)


def interval_start(at: float, zone: ZoneInfo, minutes: int) -> dt.datetime:
    """The local interval of ``minutes`` an instant (or a quarter-hour bucket's start) falls in: its local start."""
    local = dt.datetime.fromtimestamp(at, zone)
    return local.replace(minute=local.minute // minutes * minutes, second=0, microsecond=0)
