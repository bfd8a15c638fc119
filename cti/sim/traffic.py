"""Random inbound traffic: Poisson arrivals, exponential handle times and patience, from a fixed seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from cti.sim.config import TrafficSettings


@dataclass(frozen=True, slots=True)
class Arrival:
    """One generated call: when it arrives (s after the start), its caller and its timings."""

    at: float
    caller_num: str
    handle_time: float
    patience: float | None
    code: str = ""


def arrivals(settings: TrafficSettings, seed: int) -> Iterator[Arrival]:
    """Arrivals in time order; the same seed always gives the same calls."""
    if settings.calls_per_hour <= 0:
        return
    rng = random.Random(seed)
    rate = settings.calls_per_hour / 3600.0
    at = 0.0
    n = 0
    while settings.max_calls is None or n < settings.max_calls:
        at += rng.expovariate(rate)
        handle = rng.expovariate(1.0 / settings.mean_handle_s)
        patience = (
            None if settings.mean_patience_s is None else rng.expovariate(1.0 / settings.mean_patience_s)
        )
        n += 1
        caller_num = f"555{rng.randrange(10**7):07d}"
        code = rng.choice(settings.caller_codes) if settings.caller_codes else ""
        yield Arrival(at=at, caller_num=caller_num, handle_time=handle, patience=patience, code=code)
