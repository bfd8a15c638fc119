"""The campaign report's figures (pure): per campaign, list or agent, from attempts and lead counts.

An :class:`Attempt` is one dial as the dialer's interaction rows record it. :func:`campaign_figures` groups
attempts by ``campaign``, ``list`` or ``agent`` and computes: dials, contacts (a person answered), right-party
contacts (the agent confirmed the person), dispositions, abandon rate by the US and Ofcom formulas
(:mod:`outbound.abandon`), talk minutes per agent-hour, list penetration (leads dialled at least once over
leads), remaining leads and the expected completion time at the pace of the last ``pace_window`` seconds.
The page and the CSV/XLSX files show :meth:`GroupFigures.row` of each group, so they never disagree.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from outbound.abandon import Counts, ofcom_rate, us_rate
from outbound.rules import ABANDONED, ANSWERED, DO_NOT_CALL, MACHINE

GROUPINGS = ("campaign", "list", "agent")
CONTACT_OUTCOMES = (ANSWERED, DO_NOT_CALL, ABANDONED)


class ReportError(ValueError):
    """A report asked for in a way that cannot be computed."""


@dataclasses.dataclass(frozen=True, slots=True)
class Attempt:
    """One dial: when, of which lead, how it ended, and what the agent said about it."""

    at: float
    campaign: str
    list: str
    lead_id: int
    outcome: str
    agent: str | None = None
    disposition: str | None = None
    right_party: bool = False
    talk_seconds: float = 0.0


@dataclasses.dataclass(frozen=True, slots=True)
class LeadCounts:
    """Leads of a group: all of them, dialled at least once, and finished (nothing left to dial)."""

    total: int
    dialled: int
    finished: int


@dataclasses.dataclass(frozen=True, slots=True)
class GroupFigures:
    """The figures of one campaign, list or agent."""

    key: str
    dials: int
    contacts: int
    right_party_contacts: int
    dispositions: Mapping[str, int]
    abandon_rate_us: float
    abandon_rate_ofcom: float
    talk_min_per_agent_hour: float | None
    penetration: float | None
    remaining_leads: int | None
    expected_completion: float | None

    def row(self) -> dict[str, Any]:
        """A flat row for the page and the CSV/XLSX files (dispositions as ``disposition:NAME`` columns)."""
        flat = {name: value for name, value in dataclasses.asdict(self).items() if name != "dispositions"}
        flat.update({f"disposition:{name}": count for name, count in sorted(self.dispositions.items())})
        return flat


def _key(attempt: Attempt, by: str) -> str | None:
    return attempt.campaign if by == "campaign" else attempt.list if by == "list" else attempt.agent


def campaign_figures(attempts: Iterable[Attempt], *, by: str = "campaign", now: float,
                     leads: Mapping[str, LeadCounts] | None = None, agent_hours: Mapping[str, float] | None = None,
                     false_positive: float = 0.0, pace_window: float = 3600.0) -> list[GroupFigures]:
    """The figures per group, sorted by key; see the module doc. Leads and agent-hours are per group key."""
    if by not in GROUPINGS:
        raise ReportError(f"group by one of {', '.join(GROUPINGS)}, not {by!r}")
    groups: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        key = _key(attempt, by)
        if key is not None:
            groups.setdefault(key, []).append(attempt)
    leads = leads or {}
    agent_hours = agent_hours or {}
    return [_figures(key, groups.get(key, []), now, leads.get(key), agent_hours.get(key), false_positive,
                     pace_window) for key in sorted(set(groups) | set(leads))]


def _figures(key: str, attempts: list[Attempt], now: float, leads: LeadCounts | None, hours: float | None,
             false_positive: float, pace_window: float) -> GroupFigures:
    contacts = [a for a in attempts if a.outcome in CONTACT_OUTCOMES]
    counts = Counts(live=len(contacts), abandoned=sum(a.outcome == ABANDONED for a in attempts),
                    machines=sum(a.outcome == MACHINE for a in attempts))
    talk = sum(a.talk_seconds for a in attempts)
    remaining = completion = penetration = None
    if leads is not None:
        remaining = leads.total - leads.finished
        penetration = leads.dialled / leads.total if leads.total else 0.0
        recent = {a.lead_id for a in attempts if a.at > now - pace_window and a.outcome in (ANSWERED, DO_NOT_CALL)}
        if remaining == 0:
            completion = now
        elif recent:
            completion = now + remaining * pace_window / len(recent)
    return GroupFigures(
        key=key, dials=len(attempts), contacts=len(contacts),
        right_party_contacts=sum(a.right_party for a in contacts),
        dispositions=dict(Counter(a.disposition for a in attempts if a.disposition)),
        abandon_rate_us=us_rate(counts), abandon_rate_ofcom=ofcom_rate(counts, false_positive),
        talk_min_per_agent_hour=talk / 60 / hours if hours else None,
        penetration=penetration, remaining_leads=remaining, expected_completion=completion,
    )
