"""How many lines to dial now: progressive and predictive pacing (pure; the caller passes the time in).

Every second or so the dialer builds a :class:`PacingState` (agents ready, how long each busy agent has been
busy, how long each line in progress has been ringing) and asks its pacer for :meth:`Pacer.lines`; it reports
back what happened (:meth:`Pacer.resolved`, :meth:`Pacer.handled`, :meth:`Pacer.wrapped`, :meth:`Pacer.live`,
:meth:`Pacer.machine`).

- :class:`ProgressivePacer`: one line per ready agent, each line's agent reserved: nobody is ever abandoned.
  (Lines of other pacers hold no agent; their progressive fallback is one line per ready agent that no line
  in progress may claim.)
- :class:`PredictivePacer`: a model of the next 25 seconds (:class:`DialStats` learns it from recent dials and
  calls). For each horizon ``h`` (4, 7, ... 25 s): the connects ``C(h)`` expected by then, each line in
  progress counted with the chance that a line still unresolved after as long connects within ``h`` (from the
  delays of earlier connects and other ends, and the connect share of the latest 600 dials); the agents
  ``A(h)`` free by ``h`` plus the 2 s a person waits: an agent on a call counted with the chance that a talk
  that already lasted as long, and the after-call work after it, end by then (the conditional remaining
  time); an agent already wrapping up with the chance that an after-call work that lasted as long ends by
  then (the end of a call is the best news of an agent about to free: the wrap-up's length is known far
  better than a talk's). Each new line connects
  within ``h`` with the learned chance. The person of the ``n``-th new line is abandoned when it connects in
  some horizon bin while ``C(h) >= A(h)`` already: a Poisson-binomial tail, taken as a normal with continuity
  correction, weighted over the bins its connect may fall in. Lines are added while that chance stays under
  a threshold (the marginal rule: abandons are spent where they buy the most talk; with fewer than
  ``wary_room`` abandons of room left, in proportion to the room) and the chance that the lines in progress
  abandon more people than the target still has room for (whole abandons of
  ``target * lives - abandoned``, by the US 30-day or the Ofcom 24-hour formula of
  :class:`outbound.abandon.AbandonLedger`) stays under ``risk`` (5%): a Poisson tail of the abandons expected
  from the lines dialled in the last 30 s and the new ones, not their mean, so a small team with room for
  one abandon does not bet two. The threshold is learned from each live answer (times
  ``exp(gain * (aim - abandoned))``), so it settles where the measured rate is the aim, ``target * margin``;
  answers that come while it falls back teach it nothing (their lack of abandons says nothing of the
  threshold, and would raise it just before predictive dialling resumes). With no room for one more
  abandon, or before it has seen three talk times per agent (the first calls to end are the short ones, so
  earlier samples promise agents free too soon), or before ``settle_until`` (a restarted dialer cannot see the
  lines of its earlier run that may still ring), it falls back to progressive. A model is saved and restored
  as JSON (:meth:`DialStats.snapshot`, :meth:`DialStats.restore`).
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from outbound.abandon import FORMULAS, US, AbandonLedger


class PacingError(ValueError):
    """Pacing parameters that cannot work, or a stored model that is not one."""


#: How a predictive pacer paces now (:attr:`PredictivePacer.state`): from its model; progressive until the model
#: has learned (or until ``settle_until``: lines it cannot see may still ring); progressive because the abandon
#: target leaves no room for one more abandon.
PREDICTING, LEARNING, AT_LIMIT = "predictive", "learning", "at_limit"
#: The version of :meth:`DialStats.snapshot`'s data; a stored model of another version is not read.
SNAPSHOT_VERSION = 1
_SAMPLED = ("connects", "others", "talks", "wraps")
#: The longest duration a stored model may hold (a day): the look-up grid has a cell per second up to the longest.
MAX_DURATION = 86400.0


@dataclasses.dataclass(frozen=True, slots=True)
class PacingState:
    """What a pacer sees: agents free and unreserved, how long each agent on a call has been talking, how long
    each agent in after-call work has been wrapping up, how long each line in progress has been ringing."""

    now: float
    ready: int
    busy_elapsed: tuple[float, ...] = ()
    ringing_elapsed: tuple[float, ...] = ()
    wrapping_elapsed: tuple[float, ...] = ()

    @property
    def agents(self) -> int:
        return self.ready + len(self.busy_elapsed) + len(self.wrapping_elapsed)


class _Samples:
    """The latest ``size`` durations, with their survival counts on a one-second grid for fast look-ups."""

    def __init__(self, size: int) -> None:
        self.order: collections.deque[float] = collections.deque()
        self.sorted: list[float] = []
        self.size = size
        self._above: list[int] = []  # [t]: samples longer than t seconds; rebuilt lazily
        self._stale = 0
        self._spread: tuple[float, ...] | None = None  # spread(), until the next sample
        self.added = 0  # samples ever added

    def add(self, value: float) -> None:
        self.added += 1
        self.order.append(value)
        bisect.insort(self.sorted, value)
        if len(self.order) > self.size:
            del self.sorted[bisect.bisect_left(self.sorted, self.order.popleft())]
        self._stale += 1
        self._spread = None

    def __len__(self) -> int:
        return len(self.sorted)

    def beyond(self, value: float) -> int:
        """How many samples are longer than ``value`` (on the one-second grid)."""
        # a grid rebuilt every 20 samples: the decision loop looks this up thousands of times a second
        if self._stale > 20 or not self._above:
            top = int(self.sorted[-1]) + 1 if self.sorted else 0
            self._above = [len(self.sorted) - bisect.bisect_right(self.sorted, t) for t in range(top + 1)]
            self._stale = 0
        index = int(value)
        return self._above[index] if 0 <= index < len(self._above) else (len(self.sorted) if index < 0 else 0)

    def mean(self, default: float) -> float:
        return sum(self.sorted) / len(self.sorted) if self.sorted else default

    def spread(self) -> tuple[float, ...]:
        """Three quantiles (1/6, 1/2, 5/6), or one value when they are within a second of each other."""
        if self._spread is None:  # asked for each agent at each horizon, many times a second
            n = len(self.sorted)
            points = tuple(self.sorted[min(n - 1, int(n * q))] for q in (1 / 6, 1 / 2, 5 / 6))
            self._spread = points[1:2] if points[2] - points[0] < 1.0 else points
        return self._spread


class DialStats:
    """What recent dials and calls teach: connect share, when lines resolve, how long agents talk and wrap up."""

    def __init__(self, *, answer_prior: float = 0.3, talk_prior: float = 180.0, connect_prior: float = 12.0,
                 size: int = 2000, share_size: int = 600, min_samples: int = 30) -> None:
        self.answer_prior = answer_prior
        self.talk_prior = talk_prior
        self.connect_prior = connect_prior
        self.min_samples = min_samples
        self.connects = _Samples(size)  # dial to "person, pass to an agent"
        self.others = _Samples(size)  # dial to any other end (busy, no answer, machine, failure)
        self.talks = _Samples(size)
        self.wraps = _Samples(size)  # after-call work, however it ended
        self.recent: collections.deque[bool] = collections.deque()  # the latest dials: connect or not
        self.recent_connects = 0
        self.share_size = share_size  # fewer than ``size``: answer rates move with the callees' hour

    def snapshot(self) -> dict[str, Any]:
        """What was learned, as JSON data for :meth:`restore`: the samples (latest last) and the latest dials."""
        return {"version": SNAPSHOT_VERSION,
                **{name: [round(value, 2) for value in getattr(self, name).order] for name in _SAMPLED},
                "recent": "".join("1" if connect else "0" for connect in self.recent)}

    def restore(self, data: Mapping[str, Any]) -> None:
        """Learn what :meth:`snapshot` gave, after what this one has learned (a restart's dialer: nothing yet).
        :class:`PacingError`, and nothing learned, if ``data`` is not such a snapshot."""
        version = data.get("version") if isinstance(data, Mapping) else None
        if version != SNAPSHOT_VERSION:
            raise PacingError(f"not a pacing model of version {SNAPSHOT_VERSION} (version {version!r})")
        samples: dict[str, list[Any]] = {}
        for name in _SAMPLED:
            values = data.get(name)
            if not isinstance(values, list):
                raise PacingError(f"not a pacing model: its {name} are not a list")
            samples[name] = values
        recent = data.get("recent")
        if not isinstance(recent, str):
            raise PacingError("not a pacing model: its dials are not a text")
        durations = [value for values in samples.values() for value in values]
        if not all(isinstance(value, int | float) and 0 <= value <= MAX_DURATION for value in durations) \
                or set(recent) - {"0", "1"}:
            raise PacingError(f"not a pacing model: a duration that is not 0-{MAX_DURATION:g} s, or a dial that "
                              "is not 0 or 1")
        for name, values in samples.items():
            for value in values:
                getattr(self, name).add(value)
        for flag in recent:
            self._count_dial(flag == "1")

    @property
    def seen(self) -> int:
        """How many samples it has learned in all (restored ones included): changes whenever it learns."""
        return sum(getattr(self, name).added for name in _SAMPLED)

    def resolved(self, delay: float, *, connect: bool) -> None:
        (self.connects if connect else self.others).add(delay)
        self._count_dial(connect)

    def _count_dial(self, connect: bool) -> None:
        self.recent.append(connect)
        self.recent_connects += connect
        if len(self.recent) > self.share_size:
            self.recent_connects -= self.recent.popleft()

    def connect_share(self) -> float:
        if len(self.recent) < self.min_samples:
            return self.answer_prior
        return self.recent_connects / len(self.recent)

    def learned(self, agents: int) -> bool:
        """Whether enough lines and calls ended to trust the distributions over the priors.

        Three talk times per agent: the first calls to end are the short ones, and a talk-time sample taken
        before the long calls could end would promise agents free too soon."""
        return (min(len(self.connects), len(self.others), len(self.wraps)) >= self.min_samples
                and len(self.talks) >= max(self.min_samples, 3 * agents))

    def connect_chance(self, elapsed: float, share: float, within: float = math.inf) -> float:
        """The chance that a line unresolved after ``elapsed`` seconds becomes a connect (within ``within``
        more seconds): connects still to come over all ends still to come, weighted by the connect share."""
        if len(self.connects) < self.min_samples or len(self.others) < self.min_samples:
            if math.isinf(within):
                return share
            return share * min(1.0, max(0.0, (elapsed + within) / self.connect_prior))
        connects, others = self.connects, self.others
        yes = share * connects.beyond(elapsed) / len(connects)
        no = (1 - share) * others.beyond(elapsed) / len(others)
        if yes + no <= 0:
            return 0.0
        later = 0.0 if math.isinf(within) else share * connects.beyond(elapsed + within) / len(connects)
        return (yes - later) / (yes + no)

    def free_chance(self, elapsed: float, horizon: float) -> float:
        """The chance that an agent talking for ``elapsed`` seconds is free within ``horizon`` more: talks
        that lasted as long and ended early enough for the after-call work to end within ``horizon`` too
        (at each of a few after-call lengths seen), over the talks that lasted as long."""
        if len(self.talks) < self.min_samples or len(self.wraps) < self.min_samples:
            return 1 - math.exp(-horizon / self.talk_prior)  # memoryless until we know better
        wraps = self.wraps.spread()
        return sum(_ends_within(self.talks, elapsed, horizon - wrap) for wrap in wraps) / len(wraps)

    def wrap_free_chance(self, elapsed: float, horizon: float) -> float:
        """The chance that an agent wrapping up for ``elapsed`` seconds is free within ``horizon`` more."""
        if len(self.wraps) < self.min_samples:
            return 1.0  # unknown after-call work: the call has ended, take the agent as about free
        return _ends_within(self.wraps, elapsed, horizon)


def _ends_within(samples: _Samples, elapsed: float, more: float) -> float:
    """Of the durations that lasted ``elapsed``, the share that ended within ``more`` seconds after."""
    if more < 0:
        return 0.0
    alive = samples.beyond(elapsed)
    if alive == 0:
        return 1.0  # longer than anything seen: due any moment
    return 1 - samples.beyond(elapsed + more) / alive


def poisson_beyond(mean: float, count: int) -> float:
    """``P(N > count)`` for a Poisson ``N`` of ``mean``: the chance that lines expected to abandon ``mean``
    people in all abandon more than ``count``."""
    term = total = math.exp(-mean)
    for k in range(1, count + 1):
        term *= mean / k
        total += term
    return max(0.0, 1.0 - total)


class Pacer:
    """Progressive pacing, and the interface every pacer has."""

    name = "progressive"

    def lines(self, state: PacingState) -> int:
        """New lines to dial now: here one per ready agent, whose line then holds them (``ready`` counts
        agents free and unreserved, so lines in progress already have theirs)."""
        return state.ready

    def reserves_agents(self) -> bool:
        """Whether each line holds a ready agent from dial to outcome (no abandons possible)."""
        return True

    def resolved(self, at: float, delay: float, *, connect: bool) -> None:
        """A line ended ringing ``delay`` s after its dial: a person to pass to an agent, or anything else."""

    def handled(self, seconds: float) -> None:
        """An agent's call ended after ``seconds`` of talk; after-call work follows."""

    def wrapped(self, seconds: float) -> None:
        """An agent's after-call work ended after ``seconds`` (by a disposition, its timer or a pause)."""

    def live(self, at: float, *, abandoned: bool) -> None:
        """A person answered; ``abandoned`` when no agent took them in time."""

    def machine(self, at: float) -> None:
        """AMD called an answer a machine."""


ProgressivePacer = Pacer


class PredictivePacer(Pacer):
    """Lines from the model in the module doc, under the abandon target, else progressive."""

    name = "predictive"
    #: Seconds ahead at which a new line's person may connect: the model is checked at each.
    HORIZONS = (4.0, 7.0, 10.0, 13.0, 16.0, 20.0, 25.0)
    #: Seconds after which a dialled line's expected abandons no longer count as pending (ring time-out + grace).
    COMMIT_SPAN = 30.0

    def __init__(self, *, target: float = 0.03, margin: float = 1.0, formula: str = US,
                 stats: DialStats | None = None, ledger: AbandonLedger | None = None,
                 max_ratio: float = 6.0, threshold: float = 0.015, gain: float = 0.2,
                 grace: float = 2.0, risk: float = 0.05, wary_room: float = 8.0) -> None:
        if not 0 < margin <= 1:
            raise PacingError("the margin must be in (0, 1]")
        self.margin = margin
        self.stats = stats if stats is not None else DialStats()
        self.ledger = ledger if ledger is not None else AbandonLedger()
        self.retarget(target, formula, self.ledger.false_positive)
        self.max_ratio = max_ratio
        self.fallbacks = 0  # decisions that fell back to progressive
        self.gain = gain
        self.threshold = threshold  # the highest chance of abandoning the person of an added line
        self.grace = grace  # how long a connected person waits for an agent before being abandoned
        self.risk = risk  # the highest chance that the lines in progress abandon more people than the room left
        self._committed: collections.deque[tuple[float, float]] = collections.deque()  # (dialled at, abandons)
        self._pending = 0.0
        self.wary_room = wary_room
        self.state = LEARNING  # of the latest decision: PREDICTING, LEARNING or AT_LIMIT
        self.settle_until = -math.inf  # progressive before then (lines of an earlier run may still ring)

    def retarget(self, target: float, formula: str, false_positive: float) -> None:
        """Follow a campaign's abandon target, formula and AMD false-positive estimate (what was learned stays)."""
        if not 0 < target < 1 or formula not in FORMULAS:
            raise PacingError(f"the abandon target must be in (0, 1) and the formula one of {', '.join(FORMULAS)}")
        self.target = target
        self.aim = target * self.margin
        self.formula = formula
        self.ledger.false_positive = false_positive

    def reserves_agents(self) -> bool:
        return False

    def lines(self, state: PacingState) -> int:
        # progressive without reserving agents: one line per ready agent no line in progress may claim
        progressive = max(0, state.ready - len(state.ringing_elapsed))
        abandoned, lives = self.ledger.budget(self.formula, state.now)
        while self._committed and self._committed[0][0] < state.now - self.COMMIT_SPAN:
            self._pending -= self._committed.popleft()[1]
        # whole abandons the target still allows; lines dialled and not yet resolved may spend some
        room = math.floor(self.target * lives - abandoned + 1e-9)
        stats = self.stats
        unsure = state.now < self.settle_until or not stats.learned(state.agents)
        self.state = LEARNING if unsure else AT_LIMIT if room < 1 else PREDICTING
        if self.state != PREDICTING:  # too little seen to predict, or one more abandon would breach
            self.fallbacks += 1
            return progressive
        share = stats.connect_share()
        # little room left: spend it more warily (a burst of abandons would stop predictive dialling for long)
        threshold = self.threshold * min(1.0, room / self.wary_room)
        # per horizon h: connects by h minus agents free by h + grace (mean, variance), and the chance that a
        # line dialled now connects within h
        gaps: list[tuple[float, float, float]] = []
        for h in self.HORIZONS:
            chances = [stats.connect_chance(e, share, h) for e in state.ringing_elapsed]
            frees = [stats.free_chance(e, h + self.grace) for e in state.busy_elapsed]
            frees += [stats.wrap_free_chance(e, h + self.grace) for e in state.wrapping_elapsed]
            var = sum(p * (1 - p) for p in chances) + sum(q * (1 - q) for q in frees)
            gaps.append((sum(chances) - state.ready - sum(frees), var, stats.connect_chance(0.0, share, h)))
        best, expected = 0, 0.0
        for n in range(int(self.max_ratio * state.agents) - len(state.ringing_elapsed)):
            chance = self._abandon_chance(gaps, n, share)
            if chance > threshold or poisson_beyond(self._pending + expected + chance * share, room) > self.risk:
                break
            best, expected = n + 1, expected + chance * share
        if expected > 0:
            self._committed.append((state.now, expected))
            self._pending += expected
        return max(best, progressive)

    @staticmethod
    def _abandon_chance(gaps: list[tuple[float, float, float]], n: int, share: float) -> float:
        """The chance that the person of one more line, after ``n`` new ones, finds no agent: over the
        horizons it may connect in, the chance that the connects before it already take every free agent."""
        chance, earlier = 0.0, 0.0
        for gap, var, p in gaps:
            mean, sd = gap + n * p, math.sqrt(var + n * p * (1 - p))
            # P(connects >= free agents) for integer counts, normal with a continuity correction
            busy = 0.5 * math.erfc((-0.5 - mean) / (sd * math.sqrt(2))) if sd > 1e-9 else float(mean > -0.5)
            chance += (p - earlier) * busy
            earlier = p
        return chance / max(share, 1e-6)


    def resolved(self, at: float, delay: float, *, connect: bool) -> None:
        self.stats.resolved(delay, connect=connect)

    def handled(self, seconds: float) -> None:
        self.stats.talks.add(seconds)

    def wrapped(self, seconds: float) -> None:
        self.stats.wraps.add(seconds)

    def live(self, at: float, *, abandoned: bool) -> None:
        self.ledger.live(at, abandoned=abandoned)
        if self.state != PREDICTING:  # answers while it falls back teach the threshold nothing
            return
        step = math.exp(self.gain * (self.aim - float(abandoned)))
        self.threshold = min(0.9, max(0.005, self.threshold * step))

    def machine(self, at: float) -> None:
        self.ledger.machine(at)
