"""The yardstick of predictive pacing: a VICIdial-ADAPT-style dial level (pure).

Lines in progress plus calls with agents are kept at ``level * agents logged in``, as VICIdial's dial level
is applied. Every ``period`` seconds (15) the level is steered toward the drop-percentage target, the way
VICIdial's ADAPT_HARD_LIMIT method does it:

- the day's drop rate (drops over live answers since the pacer started) at or over the target: the level
  falls to ``floor`` (1.0, no over-dialling) until the rate is back under, the "hard limit";
- else the last ``lookback`` seconds (60) steer it: down by ``step`` times how far that minute's drop rate
  is over the target (at most three steps), up by one ``step`` when that minute had no drop over the target
  and an agent stood ready at some tick of the period (nothing to gain from dialling more when every agent
  is busy);
- the level stays within ``[floor, ceiling]``.

No model of answer, ring or handle times: the feedback loop alone, which is what our model must beat at no
higher abandon rate. It only learns from drops after they happened, so a small team overshoots first.
"""

from __future__ import annotations

import collections

from outbound.pacing import Pacer, PacingState


class AdaptPacer(Pacer):
    """Dial level steered every 15 s toward the drop target, with the day's rate as a hard limit."""

    name = "adapt"

    def __init__(self, *, target: float = 0.03, level: float = 1.0, step: float = 0.02, period: float = 15.0,
                 lookback: float = 60.0, floor: float = 1.0, ceiling: float = 4.0) -> None:
        self.target = target
        self.level = level
        self.step = step
        self.period = period
        self.lookback = lookback
        self.floor = floor
        self.ceiling = ceiling
        self.lives = 0
        self.drops = 0
        self._next_adjust: float | None = None
        self._recent: collections.deque[tuple[float, bool]] = collections.deque()
        self._ready_seen = False  # an agent stood ready at some tick since the last adjustment

    def reserves_agents(self) -> bool:
        return False

    def lines(self, state: PacingState) -> int:
        now = state.now
        if self._next_adjust is None:
            self._next_adjust = now + self.period
        while now >= self._next_adjust:
            self._adjust(self._next_adjust)
            self._next_adjust += self.period
        self._ready_seen = self._ready_seen or state.ready > 0
        in_use = len(state.ringing_elapsed) + len(state.busy_elapsed) + len(state.wrapping_elapsed)
        return max(0, int(self.level * state.agents) - in_use)

    def _adjust(self, now: float) -> None:
        ready_seen, self._ready_seen = self._ready_seen, False
        if self.lives and self.drops >= self.target * self.lives:
            self.level = self.floor
            return
        while self._recent and self._recent[0][0] < now - self.lookback:
            self._recent.popleft()
        lives = len(self._recent)
        drops = sum(1 for _, dropped in self._recent if dropped)
        drop_rate = drops / lives if lives else 0.0
        if drop_rate > self.target:
            self.level -= self.step * min(3.0, (drop_rate - self.target) / self.target)
        elif ready_seen:
            self.level += self.step
        self.level = max(self.floor, min(self.ceiling, self.level))

    def live(self, at: float, *, abandoned: bool) -> None:
        self.lives += 1
        self.drops += abandoned
        self._recent.append((at, abandoned))
