"""The KPI definitions every report and the supervisor wall share: counts and the formulas over them.

``docs/kpis.md`` states each formula in words; this module is the only place that computes them. A
queue outcome (answered, abandoned, call-back asked) is counted once per customer call, in the queue
and at the time it happened; what happens to the call later (transfers, consultations, the call-back
itself) never counts it again.
"""

from __future__ import annotations

import dataclasses
import enum


class ServiceLevelVariant(enum.Enum):
    """Which calls the service level is taken over; every report names the one it uses."""

    # answered within T / (offered - short abandons): the default, callers who gave up long are misses
    OFFERED_LESS_SHORT = "offered_less_short"
    # answered within T / answered: how fast the answered ones were answered, abandons left out
    ANSWERED = "answered"
    # answered within T / offered: short abandons count as misses too
    OFFERED = "offered"


@dataclasses.dataclass(frozen=True, slots=True)
class KpiSettings:
    """The parameters of the definitions (per queue or site)."""

    sl_seconds: float = 20.0
    short_abandon_seconds: float = 0.0
    sl_variant: ServiceLevelVariant = ServiceLevelVariant.OFFERED_LESS_SHORT

    def __post_init__(self) -> None:
        if self.sl_seconds < 0 or self.short_abandon_seconds < 0:
            raise ValueError("service-level and short-abandon thresholds cannot be negative")


class Outcome(enum.Enum):
    """How a customer call left its queue."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    SHORT_ABANDONED = "short_abandoned"  # gave up within the short-abandon threshold
    CALLBACK = "callback"  # asked to be called back; the call-back is linked to this call


def abandon_outcome(wait_seconds: float, settings: KpiSettings) -> Outcome:
    """A caller who hung up while queued: short when they waited less than the threshold."""
    return Outcome.SHORT_ABANDONED if wait_seconds < settings.short_abandon_seconds else Outcome.ABANDONED


@dataclasses.dataclass(slots=True)
class QueueTally:
    """Counts one queue's (or the total's) outcomes over a period; ``add`` with ``sign=-1`` takes one back
    out (a sliding window)."""

    answered: int = 0
    answered_in_sl: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    callbacks: int = 0
    total_wait: float = 0.0  # of the answered calls

    def add(self, outcome: Outcome, wait_seconds: float, settings: KpiSettings, sign: int = 1) -> None:
        if outcome is Outcome.ANSWERED:
            self.answered += sign
            self.total_wait += sign * wait_seconds
            if wait_seconds <= settings.sl_seconds:
                self.answered_in_sl += sign
        elif outcome is Outcome.ABANDONED:
            self.abandoned += sign
        elif outcome is Outcome.SHORT_ABANDONED:
            self.short_abandoned += sign
        else:
            self.callbacks += sign

    @property
    def offered(self) -> int:
        """Every customer call that reached a queue outcome."""
        return self.answered + self.abandoned + self.short_abandoned + self.callbacks


def service_level(t: QueueTally, variant: ServiceLevelVariant) -> float | None:
    """Share answered within the threshold, over the variant's base (None when the base is empty)."""
    if variant is ServiceLevelVariant.ANSWERED:
        base = t.answered
    elif variant is ServiceLevelVariant.OFFERED:
        base = t.offered
    else:
        base = t.offered - t.short_abandoned
    return t.answered_in_sl / base if base else None


def average_speed_of_answer(t: QueueTally) -> float | None:
    """Mean queue wait of the answered calls."""
    return t.total_wait / t.answered if t.answered else None


def abandon_rate(t: QueueTally) -> float | None:
    """Abandoned (short ones excluded) over offered minus short abandons."""
    base = t.offered - t.short_abandoned
    return t.abandoned / base if base else None


def average_handle_time(talk: float, hold: float, after_call_work: float, handled: int) -> float | None:
    """AHT = (talk + hold + after-call work) / calls handled."""
    return (talk + hold + after_call_work) / handled if handled else None


def occupancy(handling_seconds: float, available_seconds: float) -> float | None:
    """Time handling calls (reserved, on call, wrap-up) over that time plus time ready."""
    return handling_seconds / available_seconds if available_seconds > 0 else None


def utilisation(handling_seconds: float, logged_in_seconds: float) -> float | None:
    """Time handling calls over all logged-in time (not-ready included)."""
    return handling_seconds / logged_in_seconds if logged_in_seconds > 0 else None


def first_contact_resolution(resolved_first_time: int, customers: int) -> float | None:
    """Customers whose first answered call was not followed by another within the window, over customers."""
    return resolved_first_time / customers if customers else None
