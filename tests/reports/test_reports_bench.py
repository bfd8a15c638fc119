"""``callcenter bench reports`` at a small size: its last line is JSON with every report's seconds, and the
rollups it builds while generating answer the call reports exactly as a recount of its rows does."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter.cli import main as callcenter_main
from crm_core.db import make_engine, make_session_factory, migrate
from crm_core.models import Interaction
from reports.bench import KPIS, ZONE, generate
from reports.recount import Recount
from reports.rollup_reports import ReportQuery, build_report
from reports.rollup_store import facts_of, store_reader
from reports.rollups import local_period, same_kpis


def test_the_last_line_names_each_reports_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    assert callcenter_main(["bench", "reports", "--interactions", "3000", "--days", "3"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["interactions"] == 3000 and figures["database"] == "sqlite"
    assert set(figures["report_seconds"]) >= {"interval", "queue", "agent", "disposition_by_agent", "ivr", "campaign"}
    assert all(rows > 0 for rows in figures["rollup_rows"].values())


def test_the_rollups_it_builds_equal_a_recount_of_its_rows(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    migrate(engine)
    generate(engine, 4000, 3, seed=3)
    with make_session_factory(engine)() as session:
        rows = session.scalars(select(Interaction)).all()
        recount = Recount([facts_of({c.name: getattr(r, c.name) for c in Interaction.__table__.columns}, r.leg_id)
                           for r in rows], [], same_kpis(KPIS))
        today = dt.datetime.now(ZONE).date()
        start, end = local_period(ZONE, today - dt.timedelta(days=2), today)
        for report, by in (("interval", "queue"), ("queue", "queue"), ("disposition", "agent_id"),
                           ("disposition", "campaign"), ("ivr", "queue"), ("campaign", "queue")):
            query = ReportQuery(report, start, end, ZONE, minutes=15, by=by)
            stored = build_report(query, store_reader(session, 0.0), KPIS)
            assert stored.rows and stored == build_report(query, recount, KPIS), report
    engine.dispose()
