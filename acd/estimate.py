"""Estimated wait from the live service rate: smoothed handle times over the agents staffing a queue."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(slots=True)
class HandleTimeEstimate:
    """Exponentially weighted mean of handle times (talk plus wrap-up), seeded with an expected value."""

    mean_seconds: float
    weight: float = 0.05  # each new call moves the mean 5% of the way: about the last 20-40 calls count

    def observe(self, handle_seconds: float) -> None:
        self.mean_seconds += self.weight * (max(handle_seconds, 0.0) - self.mean_seconds)

    def wait_for_position(self, position: int, staffed_agents: int) -> float | None:
        """Seconds until the ``position``-th caller (1 = head) reaches an agent; None when nobody staffs."""
        if staffed_agents <= 0:
            return None
        # Agents free up at rate staffed/mean; the head waits on average for the next one to free.
        return position * self.mean_seconds / staffed_agents
