"""The yardstick of predictive pacing: a VICIdial-ADAPT-style dial level (pure).

Lines in progress plus calls with agents are kept at ``level * agents logged in``. Every ``period`` seconds
(15) the level moves from the drop rate of the last ``lookback`` seconds (60): down when it is over the
target, up when under, by ``step`` scaled by how far off it is; bounded to ``[floor, ceiling]``. No model of
answer or handle times: this is the heuristic our model must beat at the same abandon rate.
"""

from __future__ import annotations

import collections

from outbound.pacing import Pacer, PacingState


class AdaptPacer(Pacer):
    """Dial level steered from the last minute's drop rate toward the target."""

    name = "adapt"

    def __init__(self, *, target: float = 0.03, level: float = 1.5, step: float = 0.1, period: float = 15.0,
                 lookback: float = 60.0, floor: float = 1.0, ceiling: float = 4.0) -> None:
        self.target = target
        self.level = level
        self.step = step
        self.period = period
        self.lookback = lookback
        self.floor = floor
        self.ceiling = ceiling
        self._next_adjust: float | None = None
        self._lives: collections.deque[tuple[float, bool]] = collections.deque()

    def reserves_agents(self) -> bool:
        return False

    def lines(self, state: PacingState) -> int:
        now = state.now
        if self._next_adjust is None:
            self._next_adjust = now + self.period
        while now >= self._next_adjust:
            self._adjust(self._next_adjust)
            self._next_adjust += self.period
        in_use = len(state.ringing_elapsed) + len(state.busy_elapsed)
        return max(0, int(self.level * state.agents) - in_use)

    def _adjust(self, now: float) -> None:
        while self._lives and self._lives[0][0] < now - self.lookback:
            self._lives.popleft()
        lives = len(self._lives)
        drops = sum(1 for _, dropped in self._lives if dropped)
        drop_rate = drops / lives if lives else 0.0
        # as far off as the target is wide moves a whole step; never more than three
        off = max(-3.0, min(1.0, (self.target - drop_rate) / self.target))
        self.level = max(self.floor, min(self.ceiling, self.level + self.step * off))

    def live(self, at: float, *, abandoned: bool) -> None:
        self._lives.append((at, abandoned))
