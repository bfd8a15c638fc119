"""The campaign report from the stores (an edge): dials from the leads' stories, agents' talk from the
interaction rows, agents' logged-in hours from the event log, and lead counts from the outbound service.

Where each figure comes from:

- **dials**: every dial's outcome row of a lead's story (``lead_events``, kind ``outcome``) in the period; an
  agent's disposition writes ``answered (sale) by agent-7`` there (:func:`outbound.lead_store.disposition_detail`),
  which gives the disposition and the agent.
- **talk**: the interaction rows of campaign calls: ``ivr_data`` holds the campaign's id and the lead
  (:data:`ivr.caller.CAMPAIGN_ID_KEY`, :data:`~ivr.caller.LEAD_ID_KEY`, as the call's caller data carries them;
  without them, the ``campaign`` column is read as the id);
  each row's talk seconds (and agent, when the story lacks it) go to that
  lead's first dial outcome at or after the row's start.
- **right-party contact**: a contact an agent disposed with a disposition of kind ``final`` or ``callback``
  (the agent spoke with the person the lead names and settled or arranged the call).
- **agent-hours**: an agent's logged-in hours in the period (event log); a campaign's or list's are those of
  the agents who disposed or talked on its dials there (an agent working two campaigns counts in both).
- **leads**: per campaign and per list, counted now by the eligibility rules (remaining: not "never").
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from acd.events import AgentStateChanged
from bus.events import DomainEvent
from crm_core.eventlog import EventLogEntry
from crm_core.models import Interaction
from ivr.caller import CAMPAIGN_ID_KEY, LEAD_ID_KEY
from outbound import campaign_store
from outbound.campaign_store import StoredCampaign
from outbound.campaigns import CALLBACK, FINAL, RUNNING
from outbound.lead_store import lead_lists, outcome_tallies, outcomes_between, read_disposition_detail
from outbound.progress import Progress
from outbound.rules import OUTCOMES
from outbound.service import OutboundService
from reports.campaign_kpis import (
    GROUPINGS,
    Attempt,
    CampaignTile,
    GroupFigures,
    LeadCounts,
    campaign_figures,
    campaign_tile,
    logged_in_seconds,
)

RIGHT_PARTY_KINDS = (FINAL, CALLBACK)
OTHER_LEADS = "-"  # the list of leads added otherwise than by an import
LOOKBACK = 86400.0  # how far before a period agents' state changes are read to know their state at its start
HOUR, DAY, MONTH = 3600.0, 86400.0, 30 * 86400.0


@dataclasses.dataclass(frozen=True)
class CampaignReport:
    """The figures of a period, per grouping (``campaign``, ``list``, ``agent``)."""

    start: float
    end: float
    tables: Mapping[str, list[GroupFigures]]

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end,
                "tables": {by: [g.row() for g in groups] for by, groups in self.tables.items()}}


@dataclasses.dataclass(frozen=True, slots=True)
class _Talk:
    at: float
    agent: str | None
    seconds: float


def _campaign_of(column: str | None, data: Mapping[str, Any] | None) -> str:
    """The campaign id (as text) of an interaction row: its data's ``campaign_id`` (what the dialer writes,
    its ``campaign`` column holding the name), else the column."""
    found = (data or {}).get(CAMPAIGN_ID_KEY)
    return str(found) if found is not None else str(column)


def _campaign_talk(session: Session, start: float, end: float) -> dict[tuple[str, int], list[_Talk]]:
    """The campaign calls' talk by (campaign id text, lead id), in time order."""
    query = select(Interaction.campaign, Interaction.ivr_data, Interaction.enter_at, Interaction.agent_id,
                   Interaction.talk_seconds).where(Interaction.campaign.is_not(None), Interaction.enter_at < end,
                                                   Interaction.enter_at >= start - 86400.0)
    found: dict[tuple[str, int], list[_Talk]] = {}
    for campaign, data, enter_at, agent_id, talk in session.execute(query):
        lead_id = (data or {}).get(LEAD_ID_KEY)
        if isinstance(lead_id, int) or (isinstance(lead_id, str) and lead_id.isdigit()):
            found.setdefault((_campaign_of(campaign, data), int(lead_id)), []).append(
                _Talk(enter_at, agent_id, talk or 0.0))
    for talks in found.values():
        talks.sort(key=lambda t: t.at)
    return found


def logged_in_hours(session: Session, start: float, end: float) -> dict[str, float]:
    """Each agent's logged-in hours in ``[start, end)`` from the event log's state changes since
    :data:`LOOKBACK` before ``start`` (an agent logged in longer than that without a change is missed)."""
    query = select(EventLogEntry.payload).where(
        EventLogEntry.type == AgentStateChanged.__name__, EventLogEntry.at >= start - LOOKBACK,
        EventLogEntry.at < end).order_by(EventLogEntry.id)
    changes = []
    for (payload,) in session.execute(query):
        event = DomainEvent.from_json(payload)
        if isinstance(event, AgentStateChanged):
            changes.append((event.at, event.agent_id, event.previous, event.state))
    return {agent: seconds / 3600 for agent, seconds in logged_in_seconds(changes, start, end).items()}


def read_attempts(session: Session, campaigns: Mapping[int, StoredCampaign], list_names: Mapping[int, str],
                  start: float, end: float) -> tuple[list[Attempt], dict[str, float]]:
    """The period's dials as :class:`Attempt` values, and each agent's logged-in hours."""
    outcomes = outcomes_between(session, start, end)
    lists = lead_lists(session, (lead_id for _, lead_id, _, _ in outcomes))
    talk = _campaign_talk(session, start, end)
    attempts: list[Attempt] = []
    claimed: set[tuple[str, int, int]] = set()
    for campaign_id, lead_id, at, detail in outcomes:
        campaign = campaigns.get(campaign_id)
        if campaign is None:
            continue
        outcome, disposition, agent = read_disposition_detail(detail)
        if outcome not in OUTCOMES:
            continue
        seconds = 0.0
        talks = talk.get((campaign.key, lead_id), [])
        # The latest talk that began at or before this outcome and went to no earlier outcome.
        index = bisect.bisect_right([t.at for t in talks], at) - 1
        if index >= 0 and (campaign.key, lead_id, index) not in claimed:
            claimed.add((campaign.key, lead_id, index))
            seconds = talks[index].seconds
            agent = agent or talks[index].agent
        found = campaign.settings.disposition(disposition) if disposition else None
        attempts.append(Attempt(
            at=at, campaign=campaign.name, list=list_key(campaign, lists.get(lead_id), list_names),
            lead_id=lead_id, outcome=outcome, agent=agent, disposition=disposition,
            right_party=found is not None and found.kind in RIGHT_PARTY_KINDS, talk_seconds=seconds))
    return attempts, logged_in_hours(session, start, end)


def list_key(campaign: StoredCampaign, job_id: int | None, list_names: Mapping[int, str]) -> str:
    """A list's name in the report: its campaign, file and import number."""
    if job_id is None:
        return f"{campaign.name} / {OTHER_LEADS}"
    return f"{campaign.name} / {list_names.get(job_id, '?')} #{job_id}"


def _counts(progress: Progress) -> LeadCounts:
    return LeadCounts(total=progress.total, dialled=progress.dialled, finished=progress.never)


def _group_hours(attempts: Sequence[Attempt], by: str, hours: Mapping[str, float]) -> dict[str, float]:
    agents: dict[str, set[str]] = {}
    for a in attempts:
        key = a.campaign if by == "campaign" else a.list
        if a.agent:
            agents.setdefault(key, set()).add(a.agent)
    return {key: sum(hours.get(agent, 0.0) for agent in names) for key, names in agents.items()}


async def campaign_report(service: OutboundService, start: float, end: float, *,
                          campaign_ids: Sequence[int] | None = None) -> CampaignReport:
    """The report of ``[start, end)`` for every campaign (or those of ``campaign_ids``)."""
    campaigns = {campaign.id: campaign for campaign in await service.read(campaign_store.list_campaigns)
                 if campaign_ids is None or campaign.id in campaign_ids}
    leads: dict[str, dict[str, LeadCounts]] = {"campaign": {}, "list": {}}
    list_names: dict[int, str] = {}
    for campaign in campaigns.values():
        names = await service.list_names(campaign.id)
        list_names.update(names)
        by_list = await service.progress_by_list(campaign)
        leads["list"].update({list_key(campaign, job_id, names): _counts(p) for job_id, p in by_list.items()})
        leads["campaign"][campaign.name] = LeadCounts(
            total=sum(p.total for p in by_list.values()), dialled=sum(p.dialled for p in by_list.values()),
            finished=sum(p.never for p in by_list.values()))
    attempts, hours = await service.read(lambda s: read_attempts(s, campaigns, list_names, start, end))
    now = min(service.clock(), end)
    false_positives = {c.name: c.settings.amd_false_positive for c in campaigns.values()}
    tables = {}
    for by in GROUPINGS:
        group_hours = hours if by == "agent" else _group_hours(attempts, by, hours)
        tables[by] = campaign_figures(attempts, by=by, now=now, leads=leads.get(by), agent_hours=group_hours,
                                      false_positives=false_positives)
    return CampaignReport(start, end, tables)


@dataclasses.dataclass(frozen=True, slots=True)
class _TileInputs:
    month: dict[int, dict[str, int]]
    day: dict[int, dict[str, int]]
    hour: dict[int, dict[str, int]]
    talk: dict[str, tuple[float, set[str]]]
    hours: dict[str, float]


def _hour_talk(session: Session, keys: Sequence[str], since: float) -> dict[str, tuple[float, set[str]]]:
    """Per campaign (id as text, of ``keys``): the talk seconds of its calls that began since ``since``, and
    their agents."""
    query = select(Interaction.campaign, Interaction.ivr_data, Interaction.agent_id, Interaction.talk_seconds) \
        .where(Interaction.campaign.is_not(None), Interaction.enter_at >= since)
    found: dict[str, tuple[float, set[str]]] = {}
    for campaign, data, agent_id, talk in session.execute(query):
        key = _campaign_of(campaign, data)
        if key in keys:
            seconds, agents = found.get(key, (0.0, set()))
            found[key] = (seconds + (talk or 0.0), agents | ({agent_id} if agent_id else set()))
    return found


async def campaign_tiles(service: OutboundService, *, dial_levels: Mapping[int, float] | None = None,
                         pacing: Mapping[int, str] | None = None) -> list[CampaignTile]:
    """The tiles of the running campaigns now (see :class:`CampaignTile`); ``dial_levels`` and ``pacing`` (the
    dialer's) by campaign id."""
    now = service.clock()
    views = [view for view in await service.campaigns() if view.campaign.status == RUNNING]
    ids = [view.campaign.id for view in views]

    def read(session: Session) -> _TileInputs:
        talk = _hour_talk(session, [str(i) for i in ids], now - HOUR)
        return _TileInputs(outcome_tallies(session, ids, now - MONTH), outcome_tallies(session, ids, now - DAY),
                           outcome_tallies(session, ids, now - HOUR), talk,
                           logged_in_hours(session, now - HOUR, now) if talk else {})

    inputs = await service.read(read)
    month, day, hour, talk, hours = inputs.month, inputs.day, inputs.hour, inputs.talk, inputs.hours
    tiles = []
    for view in views:
        campaign = view.campaign
        seconds, agents = talk.get(campaign.key, (0.0, set()))
        tiles.append(campaign_tile(
            campaign.id, campaign.name, campaign.settings.mode, month=month.get(campaign.id, {}),
            day=day.get(campaign.id, {}), hour=hour.get(campaign.id, {}), talk_seconds_hour=seconds,
            agent_hours_hour=sum(hours.get(agent, 0.0) for agent in agents), penetration=view.progress.penetration,
            abandon_target=campaign.settings.abandon_target, abandon_formula=campaign.settings.abandon_formula,
            false_positive=campaign.settings.amd_false_positive, dial_level=(dial_levels or {}).get(campaign.id),
            pacing=(pacing or {}).get(campaign.id)))
    return tiles
