"""Live staffing advice: the traffic a queue just had, and the agents its service-level target needs by
Erlang C (callers never give up: :mod:`acd.erlang`) and by Erlang A (callers give up after an exponential
patience, measured from the abandons). Pure.

Erlang A (M/M/N+M) is solved from its birth-death chain: the state an arriving caller finds, then, for a
caller who must wait, the race between reaching an agent and their own patience. It is worked out by
uniformisation, so the service level is exact up to the truncation of the chain.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from acd.erlang import ErlangC, agents_for_service_level
from reports.definitions import Outcome
from reports.history import CallRecord

_TAIL = 1e-12  # states less likely than this (relative) are left out of the chain
_MAX_AGENTS = 2000
_SHORTEST = 1.0  # seconds: handle times and patience measured shorter are taken as this (no division by 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Traffic:
    """A queue's traffic over a window: arrivals per hour, mean handle time, callers' mean patience (None
    when nobody abandoned: patience not measurable, taken as endless)."""

    calls_per_hour: float
    handle_seconds: float
    patience_seconds: float | None


def measure_traffic(records: Iterable[CallRecord], start: float, end: float,
                    default_handle_seconds: float = 180.0) -> Traffic:
    """Traffic of the calls that entered in ``[start, end)``: patience is the time all callers spent
    waiting over the number who abandoned (the estimate for an exponential patience, answered callers'
    waits counting as patience not yet used up)."""
    entered = [r for r in records if start <= r.entered_at < end]
    hours = (end - start) / 3600.0
    handled = [r for r in entered if r.outcome is Outcome.ANSWERED]
    handle = sum(r.talk_seconds + r.hold_seconds + r.after_call_work for r in handled)
    abandons = sum(1 for r in entered if r.outcome is Outcome.ABANDONED)
    waited = sum(r.wait_seconds for r in entered if r.outcome in (Outcome.ANSWERED, Outcome.ABANDONED))
    return Traffic(
        calls_per_hour=len(entered) / hours if hours > 0 else 0.0,
        handle_seconds=max(_SHORTEST, handle / len(handled)) if handled else default_handle_seconds,
        patience_seconds=max(_SHORTEST, waited / abandons) if abandons else None,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class ErlangA:
    """Steady-state figures of ``agents`` agents when callers abandon after ``patience_seconds`` on average."""

    calls_per_hour: float
    handle_seconds: float
    patience_seconds: float
    agents: int

    def _states(self) -> list[float]:
        """The probabilities of 0, 1, 2, ... callers in the system (truncated)."""
        lam, mu, theta, n = self.calls_per_hour / 3600.0, 1.0 / self.handle_seconds, 1.0 / self.patience_seconds, \
            self.agents
        weights = [1.0]
        k = 0
        while True:
            k += 1
            rate_out = min(k, n) * mu + max(0, k - n) * theta
            weights.append(weights[-1] * lam / rate_out)
            if k > n and weights[-1] < _TAIL * max(weights):
                break
            if weights[-1] > 1e250:  # rescale to stay in floating-point range
                weights = [w / 1e250 for w in weights]
        total = sum(weights)
        return [w / total for w in weights]

    def service_level(self, seconds: float) -> float:
        """Share of callers answered within ``seconds`` (over all callers: answered plus abandoned)."""
        states = self._states()
        n = self.agents
        mu, theta = 1.0 / self.handle_seconds, 1.0 / self.patience_seconds
        now = sum(states[:n])
        ahead = states[n:]  # probability that an arriving caller finds j callers waiting ahead
        if not ahead or seconds <= 0:
            return now
        # Chain of "callers ahead": from j, one fewer at n*mu + j*theta; from 0, answered at n*mu; the
        # caller's own patience ends it at theta from any state.
        top = len(ahead) - 1
        uniform = n * mu + top * theta + theta
        step_on = [(n * mu + j * theta) / uniform for j in range(top + 1)]
        return now + self._poisson_mix(ahead, step_on, theta / uniform, uniform * seconds)

    @staticmethod
    def _poisson_mix(start: list[float], step_on: list[float], quit_: float, mean_steps: float) -> float:
        """Σ_m Poisson(m; mean_steps) * P(answered within m uniformised steps)."""
        top = len(start) - 1
        mass = list(start)
        answered = 0.0
        weight = math.exp(-mean_steps)
        total = weight * answered
        seen = weight
        m = 0
        while seen < 1.0 - 1e-10 and m < 100_000:
            m += 1
            answered += mass[0] * step_on[0]
            mass = [mass[j] * (1.0 - step_on[j] - quit_) + (mass[j + 1] * step_on[j + 1] if j < top else 0.0)
                    for j in range(top + 1)]
            weight *= mean_steps / m
            total += weight * answered
            seen += weight
        return total

    def abandon_rate(self) -> float:
        """Share of callers who give up: patience rate * mean callers waiting / arrival rate."""
        states = self._states()
        waiting = sum(max(0, k - self.agents) * p for k, p in enumerate(states))
        return waiting / self.patience_seconds / (self.calls_per_hour / 3600.0) if self.calls_per_hour else 0.0


@dataclasses.dataclass(frozen=True, slots=True)
class WhatIf:
    """The figures with ``agents`` agents: service level and ASA by Erlang C, and by Erlang A when the
    patience is known (service level and abandon rate)."""

    agents: int
    service_level: float
    asa: float
    service_level_a: float | None
    abandon_rate_a: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class StaffingAdvice:
    """Agents the target needs by Erlang C and by Erlang A (None without a measured patience)."""

    traffic: Traffic
    erlang_c_agents: int
    erlang_a_agents: int | None


def what_if(traffic: Traffic, agents: int, sl_seconds: float) -> WhatIf:
    """"With ``agents`` agents: SL x %, ASA y s"."""
    c = ErlangC(traffic.calls_per_hour, traffic.handle_seconds, agents)
    a = None if traffic.patience_seconds is None else ErlangA(
        traffic.calls_per_hour, traffic.handle_seconds, traffic.patience_seconds, agents)
    return WhatIf(agents=agents, service_level=c.service_level(sl_seconds), asa=c.average_speed_of_answer(),
                  service_level_a=a.service_level(sl_seconds) if a else None,
                  abandon_rate_a=a.abandon_rate() if a else None)


def advise(traffic: Traffic, sl_target: float, sl_seconds: float) -> StaffingAdvice:
    """The fewest agents reaching ``sl_target`` (0..1) of callers answered within ``sl_seconds``."""
    if traffic.calls_per_hour <= 0:
        return StaffingAdvice(traffic, 0, 0 if traffic.patience_seconds is not None else None)
    by_c = agents_for_service_level(traffic.calls_per_hour, traffic.handle_seconds, sl_target * 100.0, sl_seconds)
    by_a = None
    if traffic.patience_seconds is not None:
        by_a = 1
        while by_a < _MAX_AGENTS and ErlangA(traffic.calls_per_hour, traffic.handle_seconds,
                                             traffic.patience_seconds, by_a).service_level(sl_seconds) < sl_target:
            by_a += 1
    return StaffingAdvice(traffic, by_c, by_a)


WEEK = 7 * 86400.0


@dataclasses.dataclass(frozen=True, slots=True)
class QueueStaffing:
    """A queue's staffing panel: traffic of the last window and of the same window a week ago, the advice
    for now and for the next hour, beside the agents logged in, and the what-if for those agents."""

    queue: str
    now: Traffic
    week_ago: Traffic
    advice_now: StaffingAdvice
    advice_next_hour: StaffingAdvice
    logged_in: int
    with_logged_in: WhatIf | None


def next_hour_traffic(records: list[CallRecord], now: float, window: float) -> Traffic:
    """The next hour's traffic: the arrival rate now, scaled by how last week's next hour compared with
    last week's same window (unchanged when last week had no calls then); handle time and patience as now."""
    current = measure_traffic(records, now - window, now)
    before = measure_traffic(records, now - WEEK - window, now - WEEK)
    after = measure_traffic(records, now - WEEK, now - WEEK + 3600.0)
    scale = after.calls_per_hour / before.calls_per_hour if before.calls_per_hour else 1.0
    return dataclasses.replace(current, calls_per_hour=current.calls_per_hour * scale)


def queue_staffing(queue: str, records: Iterable[CallRecord], now: float, *, window: float, sl_target: float,
                   sl_seconds: float, logged_in: int) -> QueueStaffing:
    """The panel of ``queue`` at ``now`` from its customer calls, over the last ``window`` seconds."""
    mine = [r for r in records if r.queue == queue]
    current = measure_traffic(mine, now - window, now)
    coming = next_hour_traffic(mine, now, window)
    return QueueStaffing(
        queue=queue, now=current, week_ago=measure_traffic(mine, now - WEEK - window, now - WEEK),
        advice_now=advise(current, sl_target, sl_seconds), advice_next_hour=advise(coming, sl_target, sl_seconds),
        logged_in=logged_in,
        with_logged_in=what_if(current, logged_in, sl_seconds) if logged_in > 0 and current.calls_per_hour > 0
        else None,
    )
