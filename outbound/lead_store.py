"""Leads between the database and the cores: rows read as :class:`Lead` and :class:`LeadHistory` values,
histories written back after each dial, and the story's rows (decisions and outcomes) recorded."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from crm_core.campaign_tables import Campaign, ImportJob, LeadEvent
from crm_core.campaign_tables import Lead as LeadRow
from crm_core.db import table_of
from outbound.eligibility import Decision
from outbound.leads import Lead, LeadHistory
from outbound.list_import import DONE
from outbound.numbers import DialNumber

RELEASED, SKIPPED, OUTCOME = "released", "skipped", "outcome"
_LEAD_COLUMNS = (LeadRow.id, LeadRow.campaign_id, LeadRow.digits, LeadRow.e164, LeadRow.region, LeadRow.subdivision,
                 LeadRow.kind, LeadRow.time_zones, LeadRow.created_at, LeadRow.tier_priority, LeadRow.attempts,
                 LeadRow.last_outcome, LeadRow.last_outcome_at, LeadRow.recent_dials, LeadRow.callback_at)
READ_BATCH = 10_000
#: A lead counts once its import job is done (an import's leads come in all at once, or not at all).
VISIBLE = or_(LeadRow.import_job_id.is_(None),
              LeadRow.import_job_id.not_in(select(ImportJob.id).where(ImportJob.status != DONE)))
_LEADS = select(*_LEAD_COLUMNS).where(VISIBLE)


def _times(text: str) -> tuple[float, ...]:
    return tuple(float(t) for t in text.split(",")) if text else ()


def lead_of(row: Any) -> tuple[Lead, LeadHistory]:
    """A row of :data:`_LEAD_COLUMNS` as the cores' values."""
    number = DialNumber(e164=row.e164, digits=row.digits, region=row.region, subdivision=row.subdivision,
                        kind=row.kind, time_zones=tuple(row.time_zones.split(",")) if row.time_zones else ())
    lead = Lead(row.id, str(row.campaign_id), number, row.created_at, row.tier_priority)
    history = LeadHistory(row.attempts, row.last_outcome, row.last_outcome_at, _times(row.recent_dials),
                          row.callback_at)
    return lead, history


def campaign_leads(session: Session, campaign_id: int) -> Iterator[tuple[Lead, LeadHistory]]:
    """Every lead of a campaign with its history, streamed."""
    query = _LEADS.where(LeadRow.campaign_id == campaign_id).order_by(LeadRow.id)
    for row in session.execute(query).yield_per(READ_BATCH):
        yield lead_of(row)


def campaign_leads_by_list(session: Session, campaign_id: int) -> Iterator[tuple[int | None, Lead, LeadHistory]]:
    """Every lead of a campaign with the import job (list) it came from (None: added otherwise), streamed."""
    query = select(*_LEAD_COLUMNS, LeadRow.import_job_id).where(VISIBLE, LeadRow.campaign_id == campaign_id) \
        .order_by(LeadRow.id)
    for row in session.execute(query).yield_per(READ_BATCH):
        yield (row.import_job_id, *lead_of(row))


def job_leads(session: Session, job_id: int) -> Iterator[tuple[Lead, LeadHistory]]:
    """The leads a list import added."""
    query = _LEADS.where(LeadRow.import_job_id == job_id).order_by(LeadRow.id)
    for row in session.execute(query).yield_per(READ_BATCH):
        yield lead_of(row)


def of_number(session: Session, digits: int) -> ColumnElement[bool]:
    """The condition for the leads of ``digits`` in any campaign (the index looks up campaign and number)."""
    return and_(LeadRow.campaign_id.in_(list(session.scalars(select(Campaign.id)))), LeadRow.digits == digits)


def number_leads(session: Session, digits: int) -> list[tuple[Lead, LeadHistory]]:
    """The leads of every campaign that call ``digits``."""
    return [lead_of(row) for row in session.execute(_LEADS.where(of_number(session, digits)).order_by(LeadRow.id))]


def lead_by_id(session: Session, lead_id: int) -> tuple[Lead, LeadHistory] | None:
    row = session.execute(_LEADS.where(LeadRow.id == lead_id)).one_or_none()
    return None if row is None else lead_of(row)


def save_history(session: Session, lead_id: int, history: LeadHistory) -> None:
    session.execute(update(LeadRow).where(LeadRow.id == lead_id).values(
        attempts=history.attempts, last_outcome=history.last_outcome, last_outcome_at=history.last_outcome_at,
        recent_dials=",".join(repr(t) for t in history.recent_dials), callback_at=history.callback_at))


def record_decisions(session: Session, decisions: Iterable[tuple[Decision, int]]) -> int:
    """Store decisions (each with its number's digits) as story rows; returns how many."""
    rows = [{"lead_id": d.lead_id, "campaign_id": int(d.campaign), "digits": digits, "at": d.at,
             "kind": RELEASED if d.released else SKIPPED, "rule": d.rule, "detail": d.reason[:500],
             "rules_version": d.rules_version, "next_at": d.next_at} for d, digits in decisions]
    if rows:
        session.execute(insert(table_of(LeadEvent)), rows)
    return len(rows)


def decided_since_release(session: Session, lead_id: int) -> bool:
    """Whether the lead's latest release already has its outcome stored (a dial is decided once)."""
    released = select(func.max(LeadEvent.at)).where(LeadEvent.lead_id == lead_id, LeadEvent.kind == RELEASED)
    outcome = select(LeadEvent.id).where(LeadEvent.lead_id == lead_id, LeadEvent.kind == OUTCOME,
                                         LeadEvent.at >= released.scalar_subquery()).limit(1)
    return session.scalar(outcome) is not None


def undecided_releases(session: Session, campaign_id: int, since: float) -> dict[int, float]:
    """Leads of the campaign released since ``since`` whose latest release has no outcome stored yet (their call
    may still be on): lead id -> when released."""
    released = (select(LeadEvent.lead_id, func.max(LeadEvent.at).label("at"))
                .where(LeadEvent.campaign_id == campaign_id, LeadEvent.kind == RELEASED, LeadEvent.at >= since)
                .group_by(LeadEvent.lead_id).subquery())
    decided = select(LeadEvent.id).where(LeadEvent.lead_id == released.c.lead_id, LeadEvent.kind == OUTCOME,
                                         LeadEvent.at >= released.c.at).exists()
    return {lead_id: at for lead_id, at in session.execute(select(released.c.lead_id, released.c.at).where(~decided))}


def record_outcome(session: Session, lead: Lead, outcome: str, *, at: float, detail: str = "") -> None:
    """Store a dial's outcome; its detail always starts with the outcome (``busy (originate reason 5...)``),
    which the report and the wall's tallies read back with :func:`read_disposition_detail`."""
    if not detail:
        detail = outcome
    elif read_disposition_detail(detail)[0] != outcome:
        detail = f"{outcome} ({detail})"
    session.add(LeadEvent(lead_id=lead.id, campaign_id=int(lead.campaign), digits=lead.number.digits, at=at,
                          kind=OUTCOME, rule=None, detail=detail[:500], rules_version=None, next_at=None))


def disposition_detail(outcome: str, disposition: str, by: str, callback_agent: str | None = None) -> str:
    """The story's text of an agent's disposition: ``answered (sale) by agent-7``, with ``for agent-7`` after a
    call-back kept for one agent; read by :func:`read_disposition_detail` and :func:`callback_agent`."""
    return f"{outcome} ({disposition}) by {by}" + (f" for {callback_agent}" if callback_agent else "")


_DISPOSITION_DETAIL = re.compile(r"^(?P<outcome>\w+) \((?P<disposition>.+)\) by (?P<by>\S+)(?: for (?P<owner>\S+))?$")


def read_disposition_detail(detail: str) -> tuple[str, str | None, str | None]:
    """(outcome, disposition, agent) of an outcome row's detail; the last two None for the dialer's own."""
    found = _DISPOSITION_DETAIL.match(detail)
    if found is None:
        return detail.split(" ", 1)[0], None, None
    return found["outcome"], found["disposition"], found["by"]


def callback_agent(session: Session, lead_id: int) -> str | None:
    """The agent the lead's pending call-back is kept for (None: anyone), from its latest outcome."""
    query = select(LeadEvent.detail).where(LeadEvent.lead_id == lead_id, LeadEvent.kind == OUTCOME) \
        .order_by(LeadEvent.at.desc(), LeadEvent.id.desc()).limit(1)
    found = _DISPOSITION_DETAIL.match(session.scalar(query) or "")
    return found["owner"] if found is not None else None


@dataclasses.dataclass(frozen=True, slots=True)
class LeadCard:
    """What an agent sees of a lead: its campaign, name, number, the list's other columns, and its tries."""

    lead_id: int
    campaign_id: int
    name: str
    e164: str
    fields: tuple[tuple[str, str], ...]
    customer_id: int | None
    attempts: int
    last_outcome: str | None


def lead_card(session: Session, lead_id: int) -> LeadCard | None:
    row = session.get(LeadRow, lead_id)
    if row is None:
        return None
    try:
        fields = json.loads(row.fields) if row.fields else {}
    except ValueError:
        fields = {}
    return LeadCard(row.id, row.campaign_id, row.name, row.e164,
                    tuple((str(k), str(v)) for k, v in fields.items()) if isinstance(fields, dict) else (),
                    row.customer_id, row.attempts, row.last_outcome)


def outcomes_between(session: Session, start: float, end: float) -> list[tuple[int, int, float, str]]:
    """(campaign id, lead id, when, detail) of every dial's outcome in ``[start, end)``, oldest first."""
    query = select(LeadEvent.campaign_id, LeadEvent.lead_id, LeadEvent.at, LeadEvent.detail).where(
        LeadEvent.kind == OUTCOME, LeadEvent.at >= start, LeadEvent.at < end).order_by(LeadEvent.at, LeadEvent.id)
    return [(campaign_id, lead_id, at, detail) for campaign_id, lead_id, at, detail in session.execute(query)]


def campaign_outcomes(session: Session, campaign_id: int, since: float) -> list[tuple[float, str]]:
    """(when, outcome name) of the campaign's dial outcomes since ``since``, oldest first."""
    query = select(LeadEvent.at, LeadEvent.detail).where(
        LeadEvent.campaign_id == campaign_id, LeadEvent.kind == OUTCOME, LeadEvent.at >= since
    ).order_by(LeadEvent.at, LeadEvent.id)
    return [(at, read_disposition_detail(detail)[0]) for at, detail in session.execute(query)]


def outcome_tallies(session: Session, campaign_ids: Iterable[int], since: float) -> dict[int, dict[str, int]]:
    """How many dials of each campaign ended how (by outcome name) since ``since``."""
    query = select(LeadEvent.campaign_id, LeadEvent.detail, func.count()).where(
        LeadEvent.campaign_id.in_(list(campaign_ids)), LeadEvent.kind == OUTCOME, LeadEvent.at >= since
    ).group_by(LeadEvent.campaign_id, LeadEvent.detail)
    found: dict[int, dict[str, int]] = {}
    for campaign_id, detail, count in session.execute(query):
        outcome = read_disposition_detail(detail)[0]
        tally = found.setdefault(campaign_id, {})
        tally[outcome] = tally.get(outcome, 0) + count
    return found


def lead_lists(session: Session, lead_ids: Iterable[int]) -> dict[int, int | None]:
    """The import job (list) of each lead."""
    wanted = sorted(set(lead_ids))
    found: dict[int, int | None] = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start:start + 1000]
        query = select(LeadRow.id, LeadRow.import_job_id).where(LeadRow.id.in_(chunk))
        found.update((lead_id, job_id) for lead_id, job_id in session.execute(query))
    return found


def number_events(session: Session, digits: int) -> list[LeadEvent]:
    """The story rows of every lead of ``digits``, oldest first."""
    query = select(LeadEvent).where(LeadEvent.digits == digits).order_by(LeadEvent.at, LeadEvent.id)
    return list(session.scalars(query))


def released_since(session: Session, campaign_id: int, since: float) -> int:
    """How many leads of the campaign were released for dialling since ``since`` (its dial rate)."""
    query = select(func.count()).select_from(LeadEvent).where(
        LeadEvent.campaign_id == campaign_id, LeadEvent.kind == RELEASED, LeadEvent.at >= since)
    return session.scalar(query) or 0


def recent_dials_of(session: Session, digits: int, since: float) -> list[tuple[int, float]]:
    """(campaign id, when) of each release of ``digits`` since ``since``: the cross-campaign spacing's memory."""
    query = select(LeadEvent.campaign_id, LeadEvent.at).where(
        LeadEvent.digits == digits, LeadEvent.kind == RELEASED, LeadEvent.at >= since)
    return [(campaign_id, at) for campaign_id, at in session.execute(query)]
