"""Short histories of wall figures for the tiles' sparklines: fixed-width time buckets, pure.

A figure is recorded whenever it may have changed; each bucket keeps one value (the peak, or the
last one), and a bucket in which nothing was recorded repeats the value before it, because the
figure held still. Buckets before the first record are None (nothing known yet).
"""

from __future__ import annotations

import enum
from collections import deque


class Combine(enum.Enum):
    """How several records in one bucket become its value."""

    PEAK = "peak"  # e.g. calls waiting: a burst inside the bucket must show
    LAST = "last"  # e.g. a service level: the value as the bucket closes


class TrendSeries:
    """The last ``points`` buckets of ``bucket_seconds`` each of one figure."""

    __slots__ = ("_buckets", "bucket_seconds", "combine", "points")

    def __init__(self, *, bucket_seconds: float = 30.0, points: int = 40, combine: Combine = Combine.LAST) -> None:
        if bucket_seconds <= 0 or points < 2:
            raise ValueError("a trend needs a positive bucket width and at least 2 points")
        self.bucket_seconds = bucket_seconds
        self.points = points
        self.combine = combine
        self._buckets: deque[tuple[int, float | None]] = deque()

    def record(self, at: float, value: float | None) -> None:
        """Note the figure's value at ``at``; a record older than the newest bucket counts in that bucket."""
        index = int(at // self.bucket_seconds)
        if self._buckets and index <= self._buckets[-1][0]:
            last_index, current = self._buckets[-1]
            if self.combine is Combine.PEAK and current is not None and (value is None or value < current):
                value = current
            self._buckets[-1] = (last_index, value)
            return
        self._buckets.append((index, value))
        # Keep one bucket older than the window: it gives the value the window starts with.
        while len(self._buckets) > 1 and self._buckets[1][0] <= index - self.points:
            self._buckets.popleft()

    def values(self, now: float) -> tuple[float | None, ...]:
        """One value per bucket, oldest first, the last being the bucket of ``now``."""
        end = int(now // self.bucket_seconds)
        start = end - self.points + 1
        out: list[float | None] = []
        held: float | None = None
        recorded = iter(self._buckets)
        pending = next(recorded, None)
        for index in range(start, end + 1):
            while pending is not None and pending[0] <= index:
                held = pending[1]
                pending = next(recorded, None)
            out.append(held)
        return tuple(out)
