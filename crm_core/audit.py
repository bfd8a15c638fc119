"""The audit log: one row per changed field, written by the service layer, never edited."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.admin_tables import AdminAuditEntry
from crm_core.models import AuditEntry


def encode_value(value: Any) -> str | None:
    """A field value as stored in the audit log: JSON text, ``None`` kept as SQL NULL."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class AuditChange(TypedDict):
    """Who did what to which record, and the fields it changed (``(old, new)`` per field name)."""

    at: float
    actor: str
    entity_type: str
    entity_id: int
    action: str
    changes: NotRequired[Mapping[str, tuple[Any, Any]] | None]


def audit_rows(**change: Unpack[AuditChange]) -> list[dict[str, Any]]:
    """Rows for :class:`AuditEntry` (one per changed field, or one field-less row) for bulk inserts."""
    base = {key: change[key] for key in ("at", "actor", "entity_type", "entity_id", "action")}
    fields = change.get("changes")
    if not fields:
        return [{**base, "field": None, "old_value": None, "new_value": None}]
    return [
        {**base, "field": name, "old_value": encode_value(old), "new_value": encode_value(new)}
        for name, (old, new) in fields.items()
    ]


def record(session: Session, **change: Unpack[AuditChange]) -> None:
    """Add the audit rows of one change to ``session``."""
    session.add_all(AuditEntry(**row) for row in audit_rows(**change))


def history(session: Session, entity_type: str, entity_id: int) -> list[AuditEntry]:
    """The audit trail of one record, oldest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id)
    )
    return list(session.scalars(query))


def record_setting_change(
    session: Session, *, at: float, actor: str, entity_type: str, entity_key: str, action: str,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
) -> None:
    """Add the admin-audit rows of one change to a setting named ``entity_key`` (one per changed field)."""
    rows = audit_rows(at=at, actor=actor, entity_type=entity_type, entity_id=0, action=action, changes=changes)
    session.add_all(
        AdminAuditEntry(**{k: v for k, v in row.items() if k != "entity_id"}, entity_key=entity_key) for row in rows
    )


def setting_changes(session: Session, limit: int = 200) -> list[AdminAuditEntry]:
    """The latest admin-audit rows, newest first."""
    return list(session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id.desc()).limit(limit)))
