"""The audit log: one row per changed field, written by the service layer, never edited."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.models import AuditEntry


def encode_value(value: Any) -> str | None:
    """A field value as stored in the audit log: JSON text, ``None`` kept as SQL NULL."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def audit_rows(
    *,
    at: float,
    actor: str,
    entity_type: str,
    entity_id: int,
    action: str,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Rows for :class:`AuditEntry` (one per changed field, or one field-less row) for bulk inserts."""
    base = {"at": at, "actor": actor, "entity_type": entity_type, "entity_id": entity_id, "action": action}
    if not changes:
        return [{**base, "field": None, "old_value": None, "new_value": None}]
    return [
        {**base, "field": name, "old_value": encode_value(old), "new_value": encode_value(new)}
        for name, (old, new) in changes.items()
    ]


def record(
    session: Session,
    *,
    at: float,
    actor: str,
    entity_type: str,
    entity_id: int,
    action: str,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
) -> None:
    """Add the audit rows of one change to ``session``."""
    rows = audit_rows(
        at=at, actor=actor, entity_type=entity_type, entity_id=entity_id, action=action, changes=changes
    )
    session.add_all(AuditEntry(**row) for row in rows)


def history(session: Session, entity_type: str, entity_id: int) -> list[AuditEntry]:
    """The audit trail of one record, oldest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id)
    )
    return list(session.scalars(query))
