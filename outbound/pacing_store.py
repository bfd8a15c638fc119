"""Each predictive campaign's pacing model in the database (session in, rows out): what its pacer learned,
saved by the dialer now and then and read back when a dialer makes the campaign's pacer again."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from crm_core.campaign_tables import PacingModel


def save_model(session: Session, campaign_id: int, model: dict[str, Any], at: float) -> None:
    """Keep ``model`` (:meth:`outbound.pacing.DialStats.snapshot`) as the campaign's, in place of the one before."""
    row = session.get(PacingModel, campaign_id)
    if row is None:
        session.add(PacingModel(campaign_id=campaign_id, saved_at=at, model=model))
    else:
        row.saved_at, row.model = at, model


def load_model(session: Session, campaign_id: int, since: float) -> dict[str, Any] | None:
    """The campaign's model, if one was saved at ``since`` or later (an older one says little of today)."""
    row = session.get(PacingModel, campaign_id)
    return row.model if row is not None and row.saved_at >= since else None
