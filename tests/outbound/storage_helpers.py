"""Shared pieces of the outbound storage tests: a campaign, list files, an import run to its end."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crm_core.db import make_session_factory, session_scope
from outbound import campaign_store, list_import
from outbound.campaign_store import StoredCampaign
from outbound.campaigns import CampaignSettings
from outbound.dnc import DncList
from outbound.list_import import ImportSummary

TUESDAY_10_NY = 1741100400.0  # 2025-03-04 15:00 UTC: 10:00 in New York, 23:00 in Beijing


def settings(**overrides: Any) -> CampaignSettings:
    data: dict[str, Any] = {"name": "Spring renewals", "caller_id": "+12125550199", "queue": "sales",
                            "default_region": "US", **overrides}
    return CampaignSettings.from_json(data)


def new_campaign(sessions: sessionmaker[Session], **overrides: Any) -> StoredCampaign:
    with session_scope(sessions) as session:
        return campaign_store.create_campaign(session, settings(**overrides), actor="ann", at=TUESDAY_10_NY)


def write_csv(path: Path, rows: Sequence[Sequence[str]], encoding: str = "utf-8") -> Path:
    path.write_bytes("".join(",".join(row) + "\r\n" for row in rows).encode(encoding))
    return path


def run(sessions: sessionmaker[Session], campaign: StoredCampaign, path: Path, *, dnc: DncList | None = None,
        columns: Mapping[str, str] | None = None, batch_size: int = list_import.BATCH, **kwargs: Any
        ) -> ImportSummary:
    with session_scope(sessions) as session:
        job = list_import.create_job(session, campaign.id, path.name, path.stat().st_size, actor="ann",
                                     at=TUESDAY_10_NY)
    return list_import.run_import(sessions, job, path, campaign, dnc if dnc is not None else DncList(),
                                  columns=columns, batch_size=batch_size, clock=lambda: TUESDAY_10_NY, **kwargs)


def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)
