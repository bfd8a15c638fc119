"""A number's whole story: which campaigns hold it, whether it will be dialled and why not, and what happened.

:func:`number_story` gathers, for one number: the do-not-call lists that hold it now (and the registry),
each lead of it with the decision the eligibility rules make about it now, and, in time order, the
lines of its history: imported, each recorded decision (released, or skipped by which rule under which
rule set version), each dial's outcome, each do-not-call change. ``callcenter lists why NUMBER`` prints
:meth:`NumberStory.describe`; the story page shows the same.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.campaign_tables import ImportJob
from crm_core.campaign_tables import Lead as LeadRow
from outbound.campaign_store import StoredCampaign
from outbound.campaigns import RUNNING
from outbound.contacts import ContactLog
from outbound.dnc import DncList
from outbound.dnc_store import Listing, number_changes, number_listings
from outbound.eligibility import Decision, Eligibility, format_time
from outbound.lead_store import OUTCOME, RELEASED, VISIBLE, number_events, number_leads, of_number, recent_dials_of
from outbound.numbers import DialNumber
from outbound.windows import HolidayCalendar

IMPORTED, DNC_ADDED, DNC_REMOVED = "imported", "dnc_added", "dnc_removed"


@dataclasses.dataclass(frozen=True, slots=True)
class StoryLine:
    """One thing that happened to the number."""

    at: float
    kind: str
    text: str
    campaign_id: int | None = None
    lead_id: int | None = None
    rule: str | None = None
    rules_version: str | None = None
    next_at: float | None = None

    def describe(self, names: Mapping[int, str]) -> str:
        where = f" [{names.get(self.campaign_id, self.campaign_id)}]" if self.campaign_id is not None else ""
        return f"{format_time(self.at)}{where} {self.text}"


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules decide about one lead of the number now, and whether its campaign is dialling."""

    lead_id: int
    campaign_id: int
    campaign_name: str
    campaign_status: str
    name: str
    attempts: int
    last_outcome: str | None
    customer_id: int | None
    decision: Decision

    @property
    def will_be_dialled(self) -> bool:
        return self.decision.released and self.campaign_status == RUNNING

    def describe(self) -> str:
        decision = self.decision
        if decision.released:
            verdict = "may be dialled now: every rule passes"
        elif decision.next_at is None:
            verdict = f"will not be dialled: {decision.reason} (rule {decision.rule})"
        else:
            verdict = f"not before {format_time(decision.next_at)}: {decision.reason} (rule {decision.rule})"
        if self.campaign_status != RUNNING:
            verdict += f"; the campaign is {self.campaign_status}, so nothing of it is dialled now"
        return f"campaign {self.campaign_name}, lead {self.lead_id}: {verdict} (rules v{decision.rules_version})"


@dataclasses.dataclass(frozen=True)
class NumberStory:
    """Everything known about one number; see the module doc."""

    e164: str
    at: float
    listings: list[Listing]
    on_registry: bool
    verdicts: list[Verdict]
    lines: list[StoryLine]
    campaign_names: Mapping[int, str]

    def describe(self) -> list[str]:
        """The story as text lines (what ``callcenter lists why`` prints)."""
        out = [f"{self.e164} at {format_time(self.at)}"]
        if not self.listings and not self.on_registry:
            out.append("do-not-call: on no list")
        for listing in self.listings:
            which = "internal" if listing.campaign_id is None else \
                f"campaign {self.campaign_names.get(listing.campaign_id, listing.campaign_id)}"
            out.append(f"do-not-call: on the {which} list since {format_time(listing.added_at)} "
                       f"(by {listing.added_by}: {listing.reason})")
        if self.on_registry:
            out.append("do-not-call: on the national registry")
        if not self.verdicts:
            out.append("in no campaign")
        out += [verdict.describe() for verdict in self.verdicts]
        if self.lines:
            out.append("history:")
            out += ["  " + line.describe(self.campaign_names) for line in self.lines]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "e164": self.e164, "at": self.at, "on_registry": self.on_registry,
            "listings": [dataclasses.asdict(listing) for listing in self.listings],
            "verdicts": [{**{k: v for k, v in dataclasses.asdict(verdict).items() if k != "decision"},
                          "will_be_dialled": verdict.will_be_dialled, "released": verdict.decision.released,
                          "rule": verdict.decision.rule, "reason": verdict.decision.reason,
                          "next_at": verdict.decision.next_at, "rules_version": verdict.decision.rules_version,
                          "text": verdict.describe()} for verdict in self.verdicts],
            "lines": [{**dataclasses.asdict(line), "text": line.describe(self.campaign_names)} for line in self.lines],
        }


def _history(session: Session, number: DialNumber) -> list[StoryLine]:
    lines: list[StoryLine] = []
    imports = select(LeadRow.id, LeadRow.campaign_id, LeadRow.created_at, LeadRow.source_line, ImportJob.file_name) \
        .outerjoin(ImportJob, ImportJob.id == LeadRow.import_job_id).where(of_number(session, number.digits), VISIBLE)
    for lead_id, campaign_id, created_at, line, file_name in session.execute(imports):
        source = f" from {file_name} line {line}" if file_name else ""
        lines.append(StoryLine(created_at, IMPORTED, f"lead {lead_id} imported{source}", campaign_id, lead_id))
    for event in number_events(session, number.digits):
        if event.kind == RELEASED:
            text = f"lead {event.lead_id} released for dialling (rules v{event.rules_version})"
        elif event.kind == OUTCOME:
            text = f"lead {event.lead_id} dialled: {event.detail}"
        else:
            text = f"lead {event.lead_id} skipped by {event.rule}: {event.detail} (rules v{event.rules_version})"
            if event.next_at is not None:
                text += f"; may be eligible from {format_time(event.next_at)}"
        lines.append(StoryLine(event.at, event.kind, text, event.campaign_id, event.lead_id, event.rule,
                               event.rules_version, event.next_at))
    for change in number_changes(session, number.digits):
        which = "internal list" if change.campaign_id is None else "campaign's list"
        verb = "added to" if change.action == "add" else "taken off"
        role = f" ({change.role})" if change.role else ""
        lines.append(StoryLine(change.at, DNC_ADDED if change.action == "add" else DNC_REMOVED,
                               f"{verb} the {which} by {change.actor}{role}: {change.reason}", change.campaign_id))
    return sorted(lines, key=lambda line: line.at)


def number_story(session: Session, number: DialNumber, dnc: DncList, campaigns: Mapping[int, StoredCampaign], *,
                 now: float, calendar: HolidayCalendar | None = None) -> NumberStory:
    """The story of ``number`` at ``now``, the rules judged with the lists in ``dnc``."""
    leads = number_leads(session, number.digits)
    gap = max((c.settings.other_campaign_gap for c in campaigns.values()), default=0.0)
    contacts = ContactLog()
    for campaign_id, at in recent_dials_of(session, number.digits, now - gap):
        contacts.dialed(number.digits, str(campaign_id), at)
    details = {row.id: row for row in session.execute(
        select(LeadRow.id, LeadRow.name, LeadRow.customer_id).where(of_number(session, number.digits), VISIBLE))}
    verdicts = []
    for lead, history in leads:
        campaign = campaigns.get(int(lead.campaign))
        if campaign is None:
            continue
        decision = Eligibility(campaign.rule_set(), dnc, contacts, calendar=calendar).decide(lead, history, now)
        detail = details[lead.id]
        verdicts.append(Verdict(lead.id, campaign.id, campaign.name, campaign.status, detail.name, history.attempts,
                                history.last_outcome, detail.customer_id, decision))
    registry = dnc.registry
    return NumberStory(number.e164, now, number_listings(session, number.digits),
                       registry is not None and number.digits in registry, verdicts, _history(session, number),
                       {c.id: c.name for c in campaigns.values()})
