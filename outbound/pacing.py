"""How many lines to dial now: progressive and predictive pacing (pure; the caller passes the time in).

Every second or so the dialer builds a :class:`PacingState` (agents ready, how long each busy agent has been
busy, how long each line in progress has been ringing) and asks its pacer for :meth:`Pacer.lines`; it reports
back what happened (:meth:`Pacer.resolved`, :meth:`Pacer.handled`, :meth:`Pacer.live`, :meth:`Pacer.machine`).

- :class:`ProgressivePacer`: one line per ready agent, each line's agent reserved: nobody is ever abandoned.
- :class:`PredictivePacer`: a model of the next few seconds. Each line in progress becomes a person for an agent
  with the probability learned from earlier dials that were still unresolved after as long (:class:`DialStats`);
  each busy agent frees before a new line would connect with the probability learned from handle times that
  already lasted as long. Connects ``C`` and free agents ``A`` are sums of such chances; the expected abandons
  are ``E[(C - A)+]`` (normal approximation). It adds lines while the chance that the added line's person is
  abandoned stays under a threshold, the marginal rule (abandons are spent where they buy the most talk);
  the threshold is learned from each live answer (multiplied by ``exp(gain * (aim - abandoned))``), so it
  settles where the measured rate equals the aim, ``target * margin``. The campaign's rate is counted by the
  US 30-day or the Ofcom 24-hour formula (:class:`outbound.abandon.AbandonLedger`). When one more abandon
  would take that rate over the aim (so also at the start, before ``1 / aim`` live answers), it falls back
  to progressive.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import math

from outbound.abandon import US, AbandonLedger


class PacingError(ValueError):
    """Pacing parameters that cannot work."""


@dataclasses.dataclass(frozen=True, slots=True)
class PacingState:
    """What a pacer sees: agents free and unreserved, busy agents' elapsed handle times, lines' ringing times."""

    now: float
    ready: int
    busy_elapsed: tuple[float, ...] = ()
    ringing_elapsed: tuple[float, ...] = ()

    @property
    def agents(self) -> int:
        return self.ready + len(self.busy_elapsed)


class _Samples:
    """The latest ``size`` durations, kept sorted for survival look-ups."""

    def __init__(self, size: int) -> None:
        self.order: collections.deque[float] = collections.deque()
        self.sorted: list[float] = []
        self.size = size

    def add(self, value: float) -> None:
        self.order.append(value)
        bisect.insort(self.sorted, value)
        if len(self.order) > self.size:
            del self.sorted[bisect.bisect_left(self.sorted, self.order.popleft())]

    def beyond(self, value: float) -> int:
        """How many samples are longer than ``value``."""
        return len(self.sorted) - bisect.bisect_right(self.sorted, value)

    def mean(self, default: float) -> float:
        return sum(self.sorted) / len(self.sorted) if self.sorted else default


class DialStats:
    """What recent dials and calls teach: connect share, when lines resolve, how long agents stay busy."""

    def __init__(self, *, answer_prior: float = 0.3, handle_prior: float = 180.0, size: int = 2000,
                 min_samples: int = 30) -> None:
        self.answer_prior = answer_prior
        self.handle_prior = handle_prior
        self.min_samples = min_samples
        self.connects = _Samples(size)  # dial to "person, pass to an agent"
        self.others = _Samples(size)  # dial to any other end (busy, no answer, machine, failure)
        self.handles = _Samples(size)
        self.recent: collections.deque[bool] = collections.deque()  # the latest dials: connect or not
        self.recent_connects = 0
        self.size = size

    def resolved(self, delay: float, *, connect: bool) -> None:
        (self.connects if connect else self.others).add(delay)
        self.recent.append(connect)
        self.recent_connects += connect
        if len(self.recent) > self.size:
            self.recent_connects -= self.recent.popleft()

    def connect_share(self) -> float:
        if len(self.recent) < self.min_samples:
            return self.answer_prior
        return self.recent_connects / len(self.recent)

    def connect_delay(self) -> float:
        return self.connects.mean(12.0)

    def connect_chance(self, elapsed: float, share: float) -> float:
        """The chance that a line unresolved after ``elapsed`` seconds still becomes a connect."""
        if len(self.connects.sorted) < self.min_samples or len(self.others.sorted) < self.min_samples:
            return share
        yes = share * self.connects.beyond(elapsed) / len(self.connects.sorted)
        no = (1 - share) * self.others.beyond(elapsed) / len(self.others.sorted)
        return yes / (yes + no) if yes + no > 0 else 0.0

    def free_chance(self, elapsed: float, horizon: float) -> float:
        """The chance that an agent busy for ``elapsed`` seconds is free within ``horizon`` more."""
        if len(self.handles.sorted) < self.min_samples:
            return 1 - math.exp(-horizon / self.handle_prior)  # memoryless until we know better
        alive = self.handles.beyond(elapsed)
        if alive == 0:
            return 1.0  # longer than anything seen: due any moment
        return 1 - self.handles.beyond(elapsed + horizon) / alive


def expected_excess(mean: float, sd: float) -> float:
    """``E[max(X, 0)]`` for a normal ``X``."""
    if sd <= 1e-9:
        return max(mean, 0.0)
    z = mean / sd
    return mean * 0.5 * (1 + math.erf(z / math.sqrt(2))) + sd * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


class Pacer:
    """Progressive pacing, and the interface every pacer has."""

    name = "progressive"

    def lines(self, state: PacingState) -> int:
        """New lines to dial now."""
        return max(0, state.ready - len(state.ringing_elapsed))

    def reserves_agents(self) -> bool:
        """Whether each line holds a ready agent from dial to outcome (no abandons possible)."""
        return True

    def resolved(self, at: float, delay: float, *, connect: bool) -> None:
        """A line ended ringing ``delay`` s after its dial: a person to pass to an agent, or anything else."""

    def handled(self, seconds: float) -> None:
        """An agent finished a call (talk and wrap-up) that kept them ``seconds``."""

    def live(self, at: float, *, abandoned: bool) -> None:
        """A person answered; ``abandoned`` when no agent took them in time."""

    def machine(self, at: float) -> None:
        """AMD called an answer a machine."""


ProgressivePacer = Pacer


class PredictivePacer(Pacer):
    """Lines from the model in the module doc, under the abandon target, else progressive."""

    name = "predictive"

    def __init__(self, *, target: float = 0.03, margin: float = 0.8, formula: str = US,
                 stats: DialStats | None = None, ledger: AbandonLedger | None = None,
                 max_ratio: float = 6.0, threshold: float = 0.1, gain: float = 0.05) -> None:
        if not 0 < target < 1 or not 0 < margin <= 1:
            raise PacingError("the abandon target must be in (0, 1) and the margin in (0, 1]")
        self.target = target
        self.aim = target * margin
        self.formula = formula
        self.stats = stats if stats is not None else DialStats()
        self.ledger = ledger if ledger is not None else AbandonLedger()
        self.max_ratio = max_ratio
        self.fallbacks = 0  # decisions that fell back to progressive
        self.gain = gain
        self.threshold = threshold  # the highest chance of abandoning the person of an added line

    def reserves_agents(self) -> bool:
        return False

    def lines(self, state: PacingState) -> int:
        progressive = super().lines(state)
        abandoned, lives = self.ledger.budget(self.formula, state.now)
        if abandoned + 1 > self.aim * lives:  # one more abandon would breach the aim
            self.fallbacks += 1
            return progressive
        stats = self.stats
        share = stats.connect_share()
        horizon = stats.connect_delay()
        chances = [stats.connect_chance(e, share) for e in state.ringing_elapsed]
        frees = [stats.free_chance(e, horizon) for e in state.busy_elapsed]
        connects = sum(chances)
        connects_var = sum(p * (1 - p) for p in chances)
        free = state.ready + sum(frees)
        free_var = sum(q * (1 - q) for q in frees)
        before = expected_excess(connects - free, math.sqrt(connects_var + free_var))
        best = 0
        for n in range(1, int(self.max_ratio * state.agents) - len(chances) + 1):
            excess = expected_excess(connects + n * share - free,
                                     math.sqrt(connects_var + n * share * (1 - share) + free_var))
            if (excess - before) / max(share, 1e-6) > self.threshold:
                break
            before, best = excess, n
        return max(best, progressive)

    def resolved(self, at: float, delay: float, *, connect: bool) -> None:
        self.stats.resolved(delay, connect=connect)

    def handled(self, seconds: float) -> None:
        self.stats.handles.add(seconds)

    def live(self, at: float, *, abandoned: bool) -> None:
        self.ledger.live(at, abandoned=abandoned)
        step = math.exp(self.gain * (self.aim - float(abandoned)))
        self.threshold = min(0.9, max(0.005, self.threshold * step))

    def machine(self, at: float) -> None:
        self.ledger.machine(at)
