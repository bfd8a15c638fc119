"""Erlang C: waiting probability, service level and average speed of answer of an M/M/N queue."""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass(frozen=True, slots=True)
class ErlangC:
    """Steady-state figures for ``agents`` agents, ``calls_per_hour`` arrivals, ``handle_seconds`` mean."""

    calls_per_hour: float
    handle_seconds: float
    agents: int

    @property
    def traffic(self) -> float:
        """Offered load in erlangs."""
        return self.calls_per_hour / 3600.0 * self.handle_seconds

    @property
    def stable(self) -> bool:
        return self.agents > self.traffic

    def wait_probability(self) -> float:
        """Probability that an arriving call has to wait (1.0 when the queue is unstable)."""
        a, n = self.traffic, self.agents
        if not self.stable:
            return 1.0
        blocking = 1.0  # Erlang B by its recurrence, which stays within floating-point range
        for k in range(1, n + 1):
            blocking = a * blocking / (k + a * blocking)
        return n * blocking / (n - a * (1.0 - blocking))

    def service_level(self, seconds: float) -> float:
        """Fraction of calls answered within ``seconds``."""
        if not self.stable:
            return 0.0
        decay = (self.agents - self.traffic) * seconds / self.handle_seconds
        return 1.0 - self.wait_probability() * math.exp(-decay)

    def average_speed_of_answer(self) -> float:
        """Mean wait in seconds over all calls (infinite when unstable)."""
        if not self.stable:
            return math.inf
        return self.wait_probability() * self.handle_seconds / (self.agents - self.traffic)


def agents_for_service_level(calls_per_hour: float, handle_seconds: float, percent: float,
                             seconds: float) -> int:
    """Fewest agents reaching ``percent`` of calls answered within ``seconds``."""
    n = max(1, math.floor(calls_per_hour / 3600.0 * handle_seconds) + 1)
    while ErlangC(calls_per_hour, handle_seconds, n).service_level(seconds) * 100.0 < percent:
        n += 1
    return n
