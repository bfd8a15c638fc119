"""The rollups, kept up to date as interaction rows and agent states are written, answer every report exactly
as a recount of the rows does: across time zones (quarter-hour, half-hour and 45-minute offsets, a night the
clocks go back, Lord Howe's half-hour daylight saving), interval sizes, filters, and legs changed after they
closed (a disposition, a wrap-up)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from day_fixture import DAY as EVENTS
from day_fixture import END, T0
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.interaction_rows import InteractionRowWriter
from crm_core.db import make_engine, make_session_factory, migrate
from crm_core.interactions import close_leg, open_leg, update_leg
from crm_core.models import Interaction
from crm_core.rollup_tables import ROLLUP_AGENT_OPEN, ROLLUP_TABLES
from reports.definitions import KpiSettings
from reports.history import AgentSegment
from reports.recount import Recount
from reports.rollup_reports import REPORTS, ReportQuery, ReportRefused, build_report
from reports.rollup_store import facts_of, keep_rollups, record_agent_state, store_reader
from reports.rollups import DAY, ZoneNotQuarterHour, cover, local_period

KPIS = KpiSettings(sl_seconds=20, short_abandon_seconds=5)
BASE = dt.datetime(2026, 10, 2, tzinfo=dt.UTC).timestamp()  # a month holding two daylight-saving changes
ZONES = ("UTC", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham")


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    engine: Engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('rollups') / 'crm.sqlite3'}")
    migrate(engine)
    factory = make_session_factory(engine)
    keep_rollups(factory, KPIS)
    yield factory
    engine.dispose()


LEG = st.fixed_dictionaries({
    "day": st.integers(0, 35), "second": st.integers(0, DAY - 1), "kind": st.sampled_from(
        ["answered", "answered", "abandoned", "callback", "ivr_hangup", "ivr_abandon", "outbound", "consult"]),
    "queue": st.sampled_from(["sales", "support"]), "agent": st.sampled_from(["a1", "a2", "a3"]),
    "wait": st.integers(0, 90), "talk": st.integers(1, 900), "hold": st.integers(0, 60),
    "wrap": st.none() | st.integers(0, 120), "disposition": st.none() | st.sampled_from(["sale", "info"]),
    "transferred": st.booleans(),
})
STATE = st.tuples(st.integers(1, 20_000), st.sampled_from(["ready", "on_call", "wrap_up", "not_ready", "logged_out"]),
                  st.sampled_from([None, "lunch", "training"]))


def _write_leg(session: Session, n: int, leg: dict[str, object]) -> None:
    at = BASE + int(leg["day"]) * DAY + int(leg["second"])  # type: ignore[call-overload]
    wait, talk, hold = float(leg["wait"]), float(leg["talk"]), float(leg["hold"])  # type: ignore[arg-type]
    kind, queue, agent = str(leg["kind"]), str(leg["queue"]), str(leg["agent"])
    leg_id = f"c{n}#2" if leg["transferred"] else f"c{n}"
    direction = {"outbound": "outbound", "consult": "consult"}.get(kind, "inbound")
    open_leg(session, leg_id, call_id=f"c{n}", direction=direction, enter_at=at, queue=queue,
             campaign="spring" if kind == "outbound" else None)
    if kind.startswith("ivr"):
        close_leg(session, leg_id, end_at=at + wait, outcome="hangup" if kind == "ivr_hangup" else "abandoned_in_ivr",
                  wait_seconds=0.0, ivr_data={"last_node": "menu"})
    elif kind == "abandoned":
        close_leg(session, leg_id, end_at=at + wait, outcome="abandoned", wait_seconds=wait)
    elif kind == "callback":
        close_leg(session, leg_id, end_at=at + wait, outcome="callback_requested")
    else:
        update_leg(session, leg_id, agent_id=agent, answer_at=at + wait, wait_seconds=wait)
        close_leg(session, leg_id, end_at=at + wait + talk + hold, outcome="answered", talk_seconds=talk,
                  hold_seconds=hold)
        # Written after the close, as the disposition and the end of wrap-up are.
        update_leg(session, leg_id, disposition=leg["disposition"], wrap_up_seconds=leg["wrap"])


def _write_states(session: Session, agent: str, stretches: list[tuple[int, str, str | None]]) -> list[AgentSegment]:
    at, segments = BASE, []
    previous: tuple[str, str | None, float] | None = None
    for length, state, reason in stretches:
        record_agent_state(session, agent, state, reason, at)
        if previous is not None:
            segments.append(AgentSegment(agent, previous[0], previous[1], previous[2], at))
        record_agent_state(session, agent, state, reason, at)  # a replayed event changes nothing
        previous = (state, reason, at)
        at += length
    return segments


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(legs=st.lists(LEG, max_size=40), states=st.lists(STATE, max_size=12), zone=st.sampled_from(ZONES),
       first=st.integers(0, 33), days=st.integers(1, 4), minutes=st.sampled_from([15, 30, 60]),
       queue=st.sampled_from(["", "sales"]), by=st.sampled_from(["queue", "campaign", "agent_id"]))
def test_reports_from_rollups_equal_a_recount_of_the_rows(
        sessions: sessionmaker[Session], legs: list[dict[str, object]], states: list[tuple[int, str, str | None]],
        zone: str, first: int, days: int, minutes: int, queue: str, by: str) -> None:
    with sessions.begin() as session:
        for table in (*ROLLUP_TABLES, ROLLUP_AGENT_OPEN, Interaction.__table__):
            session.execute(delete(table))
    with sessions.begin() as session:
        for n, leg in enumerate(legs):
            _write_leg(session, n, leg)
        segments = _write_states(session, "a1", states)
    with sessions() as session:
        rows = session.scalars(select(Interaction)).all()
        recount = Recount([facts_of({c.name: getattr(r, c.name) for c in Interaction.__table__.columns}, r.leg_id)
                           for r in rows], segments, KPIS)
        tz = ZoneInfo(zone)
        start_day = dt.datetime.fromtimestamp(BASE, tz).date() + dt.timedelta(days=first)
        start, end = local_period(tz, start_day, start_day + dt.timedelta(days=days - 1))
        # The agent's last stretch is still open: "now" is when it began, so neither side counts it.
        now = segments[-1].end if segments else BASE
        for report in REPORTS:
            query = ReportQuery(report, start, end, tz, minutes=minutes, by=by, queue=queue)
            stored = build_report(query, store_reader(session, now), KPIS)
            assert stored == build_report(query, recount, KPIS), (report, zone)


def test_a_year_is_read_as_whole_days_and_quarter_hour_ends() -> None:
    start = int(dt.datetime(2026, 1, 1, 5, 45, tzinfo=dt.UTC).timestamp())
    spans = cover(start, start + 365 * DAY)
    assert [s.grain for s in spans] == [900, DAY, 900]
    assert sum(s.end - s.start for s in spans) == 365 * DAY
    assert len(range(spans[0].start, spans[0].end, 900)) + len(range(spans[2].start, spans[2].end, 900)) == 96


def test_zones_off_the_quarter_hour_and_overlong_interval_tables_are_refused() -> None:
    # Amsterdam kept its own mean time (+0:19:32) until 1937.
    with pytest.raises(ZoneNotQuarterHour):
        local_period(ZoneInfo("Europe/Amsterdam"), dt.date(1930, 1, 1), dt.date(1930, 1, 1))
    start, end = local_period(ZoneInfo("Asia/Kathmandu"), dt.date(2026, 1, 1), dt.date(2026, 3, 1))
    with pytest.raises(ReportRefused, match="31 days"):
        ReportQuery("interval", start, end, ZoneInfo("Asia/Kathmandu"))


def test_written_through_the_recorder_the_hand_computed_day_rolls_up(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    migrate(engine)
    factory = make_session_factory(engine)
    InteractionRowWriter(factory).append(EVENTS)
    InteractionRowWriter(factory)  # a second writer on the same database does not count twice
    with factory() as session:
        queue = build_report(ReportQuery("queue", int(T0), int(T0) + DAY, ZoneInfo("UTC")),
                             store_reader(session, END), KpiSettings())
        agents = build_report(ReportQuery("agent", int(T0), int(T0) + DAY, ZoneInfo("UTC")),
                              store_reader(session, END), KpiSettings())
    total = dict(zip(queue.columns, queue.rows[-1], strict=True))
    # c1, c2 (and its transfer leg in sales), c3, c5, c7 and c4's 3-second abandon (short abandons are off
    # by default); c6 asked for a call-back.
    assert (total["queue"], total["answered"], total["abandoned"], total["callbacks"]) == ("*", 5, 2, 1)
    a1 = dict(zip(agents.columns, agents.rows[0], strict=True))
    assert a1["agent_id"] == "a1" and a1["on_call_seconds"] > 0 and a1["calls"] >= 2
    engine.dispose()
