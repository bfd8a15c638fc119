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

from outbound.abandon import LIVE_OUTCOMES, OFCOM, US, Counts, ofcom_rate, us_rate
from outbound.rules import ABANDONED, ANSWERED, DO_NOT_CALL, MACHINE

GROUPINGS = ("campaign", "list", "agent")


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
                     false_positives: Mapping[str, float] | None = None, pace_window: float = 3600.0
                     ) -> list[GroupFigures]:
    """The figures per group, sorted by key; see the module doc. Leads and agent-hours are per group key;
    ``false_positives`` is each campaign's AMD false-positive estimate (by campaign name; none: 0)."""
    if by not in GROUPINGS:
        raise ReportError(f"group by one of {', '.join(GROUPINGS)}, not {by!r}")
    groups: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        key = _key(attempt, by)
        if key is not None:
            groups.setdefault(key, []).append(attempt)
    leads = leads or {}
    agent_hours = agent_hours or {}
    return [_figures(key, groups.get(key, []), now, leads.get(key), agent_hours.get(key), false_positives or {},
                     pace_window) for key in sorted(set(groups) | set(leads))]


def _figures(key: str, attempts: list[Attempt], now: float, leads: LeadCounts | None, hours: float | None,
             false_positives: Mapping[str, float], pace_window: float) -> GroupFigures:
    contacts = [a for a in attempts if a.outcome in LIVE_OUTCOMES]
    machines = [a for a in attempts if a.outcome == MACHINE]
    counts = Counts(live=len(contacts), abandoned=sum(a.outcome == ABANDONED for a in attempts),
                    machines=len(machines))
    # a list or an agent may span campaigns: each machine counts with its own campaign's estimate
    false_positive = sum(false_positives.get(a.campaign, 0.0) for a in machines) / len(machines) if machines else 0.0
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


@dataclasses.dataclass(frozen=True, slots=True)
class CampaignTile:
    """A running campaign on the supervisor wall and its page: dial level (lines per agent, from the dialer; None
    until it says), how a predictive campaign paces now (``pacing``, :data:`outbound.pacing.PREDICTING`,
    ``LEARNING`` or ``AT_LIMIT``; None for the other modes or until the dialer says), abandon rate by the US rule
    (30 days) and Ofcom's (24 hours, AMD-adjusted with the campaign's estimate), coloured by the campaign's own
    formula against its target, answer rate and talk minutes per agent-hour over the last hour, penetration."""

    campaign_id: int
    name: str
    mode: str
    dial_level: float | None
    abandon_rate_us: float
    abandon_rate_ofcom: float
    abandon_target: float
    abandon_formula: str
    answer_rate: float | None
    talk_min_per_agent_hour: float | None
    penetration: float
    colour: str
    pacing: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: The share of the abandon target where a campaign's tile turns yellow.
ABANDON_WARN_SHARE = 0.8


def outcome_counts(outcomes: Mapping[str, int]) -> tuple[Counts, int]:
    """Abandon-rate counts of a window's outcomes (by outcome name) and how many dials they were."""
    counts = Counts(live=sum(outcomes.get(o, 0) for o in LIVE_OUTCOMES), abandoned=outcomes.get(ABANDONED, 0),
                    machines=outcomes.get(MACHINE, 0))
    return counts, sum(outcomes.values())


def campaign_tile(campaign_id: int, name: str, mode: str, *, month: Mapping[str, int], day: Mapping[str, int],
                  hour: Mapping[str, int], talk_seconds_hour: float, agent_hours_hour: float, penetration: float,
                  abandon_target: float, abandon_formula: str = US, dial_level: float | None = None,
                  false_positive: float = 0.0, pacing: str | None = None) -> CampaignTile:
    """The tile from the outcome counts of the last 30 days, 24 hours and hour (by outcome name)."""
    us = us_rate(outcome_counts(month)[0])
    ofcom = ofcom_rate(outcome_counts(day)[0], false_positive)
    live, dials = outcome_counts(hour)
    kept = ofcom if abandon_formula == OFCOM else us
    colour = "alert" if kept > abandon_target else "warn" if kept > ABANDON_WARN_SHARE * abandon_target else "ok"
    return CampaignTile(
        campaign_id=campaign_id, name=name, mode=mode, dial_level=dial_level, abandon_rate_us=us,
        abandon_rate_ofcom=ofcom, abandon_target=abandon_target, abandon_formula=abandon_formula,
        answer_rate=live.live / dials if dials else None,
        talk_min_per_agent_hour=talk_seconds_hour / 60 / agent_hours_hour if agent_hours_hour else None,
        penetration=penetration, colour=colour, pacing=pacing)


def logged_in_seconds(changes: Iterable[tuple[float, str, str, str]], start: float, end: float) -> dict[str, float]:
    """Each agent's logged-in seconds within ``[start, end)`` from its state changes (when, agent, previous
    state, new state), oldest first, read from some time before ``start``: an agent's state before its first
    change is that change's previous state."""
    state: dict[str, tuple[str, float]] = {}
    seconds: dict[str, float] = {}

    def close(agent: str, was: str, since: float, until: float) -> None:
        spent = min(until, end) - max(since, start)
        if was != "logged_out" and spent > 0:
            seconds[agent] = seconds.get(agent, 0.0) + spent

    for at, agent, previous, new in changes:
        was, since = state.get(agent, (previous, start))
        close(agent, was, since, at)
        state[agent] = (new, at)
    for agent, (was, since) in state.items():
        close(agent, was, since, end)
    return seconds
