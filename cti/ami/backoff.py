"""Reconnect delays: exponential, capped, with jitter so that many clients do not retry in step."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before reconnect attempt ``n`` (0-based): ``initial * 2**n`` capped at ``maximum``,
    then shortened by a random part of up to ``jitter`` (a fraction) of itself.
    """

    initial: float = 0.1
    maximum: float = 1.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.maximum < self.initial or not 0 <= self.jitter <= 1:
            raise ValueError(f"invalid backoff {self!r}")

    def ceiling(self, attempt: int) -> float:
        """The delay of ``attempt`` before jitter."""
        # Cap the exponent first: 2**attempt of a long outage would overflow a float.
        return min(self.maximum, self.initial * 2.0 ** min(attempt, 64))

    def delay(self, attempt: int, rng: random.Random) -> float:
        ceiling = self.ceiling(attempt)
        return ceiling * (1 - self.jitter * rng.random())
