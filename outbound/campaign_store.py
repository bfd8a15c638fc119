"""Campaigns in the CRM database: created, changed and moved between statuses, every change audited.

Each change writes audit rows (``entity_type`` ``campaign``) naming who, when and which fields went from
what to what. A change to a field that decides eligibility (:data:`outbound.campaigns.RULE_FIELDS`) raises
the campaign's rule set version, which every recorded decision carries.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core import audit
from crm_core.campaign_tables import Campaign
from crm_core.models import AuditEntry
from outbound.campaigns import DRAFT, RULE_FIELDS, CampaignError, CampaignSettings, check_transition
from outbound.rules import RuleSet

ENTITY = "campaign"


class CampaignNotFound(LookupError):
    """No campaign has that id or name."""


@dataclasses.dataclass(frozen=True, slots=True)
class StoredCampaign:
    """A campaign as stored: its settings, status and rule set version."""

    id: int
    settings: CampaignSettings
    status: str
    rules_version: int
    created_by: str
    created_at: float
    updated_at: float

    @property
    def key(self) -> str:
        """The campaign's name in the outbound cores (leads, do-not-call lists, decisions): its id."""
        return str(self.id)

    @property
    def name(self) -> str:
        return self.settings.name

    def rule_set(self) -> RuleSet:
        return self.settings.rule_set(self.rules_version)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.settings.to_json(), "status": self.status,
                "rules_version": self.rules_version, "created_by": self.created_by,
                "created_at": self.created_at, "updated_at": self.updated_at}


def _stored(row: Campaign) -> StoredCampaign:
    settings = CampaignSettings.from_json({
        "name": row.name, "mode": row.mode, "caller_id": row.caller_id, "queue": row.queue, "skills": row.skills,
        "default_region": row.default_region, **row.rules, "dispositions": row.dispositions,
        "abandon_target": row.abandon_target, "abandon_formula": row.abandon_formula,
        "amd_false_positive": row.amd_false_positive, "machine_rule": row.machine_rule,
        "machine_message": row.machine_message, "abandon_message": row.abandon_message,
        "preview_dial_seconds": row.preview_dial_seconds,
    })
    return StoredCampaign(row.id, settings, row.status, row.rules_version, row.created_by, row.created_at,
                          row.updated_at)


def _columns(settings: CampaignSettings) -> dict[str, Any]:
    data = settings.to_json()
    return {"name": settings.name, "mode": settings.mode, "caller_id": settings.caller_id, "queue": settings.queue,
            "skills": data["skills"], "default_region": settings.default_region, "rules": settings.rules_json(),
            "dispositions": data["dispositions"], "abandon_target": settings.abandon_target,
            "abandon_formula": settings.abandon_formula, "amd_false_positive": settings.amd_false_positive,
            "machine_rule": settings.machine_rule, "machine_message": settings.machine_message,
            "abandon_message": settings.abandon_message, "preview_dial_seconds": settings.preview_dial_seconds}


def _check_name_free(session: Session, name: str, campaign_id: int | None = None) -> None:
    query = select(Campaign.id).where(func.lower(Campaign.name) == name.lower())
    if campaign_id is not None:
        query = query.where(Campaign.id != campaign_id)
    if session.scalar(query) is not None:
        raise CampaignError("name", f"another campaign is named {name!r}")


def create_campaign(session: Session, settings: CampaignSettings, *, actor: str, at: float) -> StoredCampaign:
    """Store a new campaign as a draft (the caller commits)."""
    _check_name_free(session, settings.name)
    row = Campaign(**_columns(settings), status=DRAFT, rules_version=1, created_by=actor, created_at=at, updated_at=at)
    session.add(row)
    session.flush()
    audit.record(session, at=at, actor=actor, entity_type=ENTITY, entity_id=row.id, action="create",
                 changes={k: (None, v) for k, v in settings.to_json().items()})
    return _stored(row)


def _row(session: Session, campaign_id: int) -> Campaign:
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    return row


def update_campaign(session: Session, campaign_id: int, settings: CampaignSettings, *, actor: str, at: float
                    ) -> StoredCampaign:
    """Replace a campaign's settings; only changed fields are audited; rule changes raise the version."""
    row = _row(session, campaign_id)
    old = _stored(row)
    _check_name_free(session, settings.name, campaign_id)
    before, after = old.settings.to_json(), settings.to_json()
    changes = {k: (before[k], v) for k, v in after.items() if before[k] != v}
    if not changes:
        return old
    for column, value in _columns(settings).items():
        setattr(row, column, value)
    if any(field in changes for field in RULE_FIELDS):
        changes["rules_version"] = (row.rules_version, row.rules_version + 1)
        row.rules_version += 1
    row.updated_at = at
    audit.record(session, at=at, actor=actor, entity_type=ENTITY, entity_id=row.id, action="update", changes=changes)
    session.flush()
    return _stored(row)


def set_status(session: Session, campaign_id: int, status: str, *, actor: str, at: float) -> StoredCampaign:
    """Move a campaign to ``status`` (:class:`StatusError` when the move is not allowed)."""
    row = _row(session, campaign_id)
    check_transition(row.status, status)
    audit.record(session, at=at, actor=actor, entity_type=ENTITY, entity_id=row.id, action="status",
                 changes={"status": (row.status, status)})
    row.status = status
    row.updated_at = at
    session.flush()
    return _stored(row)


def get_campaign(session: Session, campaign_id: int) -> StoredCampaign:
    return _stored(_row(session, campaign_id))


def find_campaign(session: Session, name_or_id: str) -> StoredCampaign:
    """A campaign by its name (case ignored) or its id."""
    row = session.scalar(select(Campaign).where(func.lower(Campaign.name) == name_or_id.strip().lower()))
    if row is None and name_or_id.strip().isdigit():
        row = session.get(Campaign, int(name_or_id))
    if row is None:
        raise CampaignNotFound(f"no campaign named {name_or_id!r}")
    return _stored(row)


def list_campaigns(session: Session, *, statuses: tuple[str, ...] | None = None) -> list[StoredCampaign]:
    query = select(Campaign).order_by(Campaign.name)
    if statuses is not None:
        query = query.where(Campaign.status.in_(statuses))
    return [_stored(row) for row in session.scalars(query)]


def campaign_names(session: Session) -> Mapping[int, str]:
    return {campaign_id: name for campaign_id, name in session.execute(select(Campaign.id, Campaign.name))}


def campaign_history(session: Session, campaign_id: int) -> list[AuditEntry]:
    """Who changed what and when, oldest first."""
    return audit.history(session, ENTITY, campaign_id)
