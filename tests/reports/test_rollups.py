"""The rollups, kept up to date as interaction rows and agent states are written, answer every report exactly
as a recount of the rows does: across time zones (quarter-hour, half-hour and 45-minute offsets, a night the
clocks go back, Lord Howe's half-hour daylight saving), interval sizes, filters, calls of several legs
(transferred, consulted about, rung back), each queue's own thresholds, and legs changed after they closed
(a disposition, a wrap-up). Written through the recorder, the hand-computed day gives the hand's figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from day_fixture import DAY as EVENTS
from day_fixture import (
    END,
    EXPECTED,
    EXPECTED_AGENTS,
    EXPECTED_DISPOSITIONS,
    EXPECTED_INTERVALS_15,
    QUEUE_FIGURES,
    SETTINGS,
    T0,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.cli import main as callcenter_main
from callcenter.interaction_rows import InteractionRowWriter
from crm_core.db import make_engine, make_session_factory, migrate
from crm_core.interactions import close_leg, open_leg, update_leg
from crm_core.models import Interaction
from crm_core.rollup_tables import ROLLUP_AGENT_OPEN, ROLLUP_TABLES
from reports.definitions import KpiSettings
from reports.history import AgentSegment
from reports.recount import Recount
from reports.rollup_reports import REPORTS, Report, ReportQuery, ReportRefused, build_report
from reports.rollup_store import (
    facts_of,
    keep_rollups,
    rebuild_call_rollups,
    rebuild_if_missing,
    record_agent_state,
    store_reader,
)
from reports.rollups import CALLBACK_LEG, DAY, ZoneNotQuarterHour, cover, local_period, same_kpis

KPIS = KpiSettings(sl_seconds=20, short_abandon_seconds=5)
SALES_KPIS = KpiSettings(sl_seconds=30, short_abandon_seconds=0)  # a queue with thresholds of its own


def kpis_of(queue: str) -> KpiSettings:
    return SALES_KPIS if queue == "sales" else KPIS
BASE = dt.datetime(2026, 10, 2, tzinfo=dt.UTC).timestamp()  # a month holding two daylight-saving changes
ZONES = ("UTC", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham")


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    engine: Engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('rollups') / 'crm.sqlite3'}")
    migrate(engine)
    factory = make_session_factory(engine)
    keep_rollups(factory, kpis_of)
    yield factory
    engine.dispose()


CALL = st.fixed_dictionaries({
    "day": st.integers(0, 35), "second": st.integers(0, DAY - 1), "kind": st.sampled_from(
        ["answered", "answered", "abandoned", "callback", "ivr_hangup", "ivr_abandon", "outbound"]),
    "queue": st.sampled_from(["sales", "support"]), "agent": st.sampled_from(["a1", "a2", "a3"]),
    "wait": st.integers(0, 90), "talk": st.integers(1, 900), "hold": st.integers(0, 60),
    "wrap": st.none() | st.integers(0, 120), "disposition": st.none() | st.sampled_from(["sale", "info"]),
    # what follows the first leg: a blind transfer, a consultation, the call-back (when one was asked)
    "transferred": st.booleans(), "consulted": st.booleans(), "rung_back": st.booleans(),
})
STATE = st.tuples(st.integers(1, 20_000), st.sampled_from(["ready", "on_call", "wrap_up", "not_ready", "logged_out"]),
                  st.sampled_from([None, "lunch", "training"]))


def _answer(session: Session, leg_id: str, at: float, leg: dict[str, object]) -> None:
    update_leg(session, leg_id, agent_id=str(leg["agent"]), answer_at=at, wait_seconds=float(leg["wait"]))  # type: ignore[arg-type]


def _end(session: Session, leg_id: str, at: float, leg: dict[str, object], outcome: str = "answered") -> float:
    """The answered leg ends; its disposition and wrap-up come after the close, as they do. Returns when it
    ended."""
    talk, hold = float(leg["talk"]), float(leg["hold"])  # type: ignore[arg-type]
    close_leg(session, leg_id, end_at=at + talk + hold, outcome=outcome, talk_seconds=talk, hold_seconds=hold)
    update_leg(session, leg_id, disposition=leg["disposition"], wrap_up_seconds=leg["wrap"])
    return at + talk + hold


def _talk(session: Session, leg_id: str, at: float, leg: dict[str, object], outcome: str = "answered") -> float:
    _answer(session, leg_id, at, leg)
    return _end(session, leg_id, at, leg, outcome)


def _write_call(session: Session, n: int, leg: dict[str, object]) -> None:
    at = BASE + int(leg["day"]) * DAY + int(leg["second"])  # type: ignore[call-overload]
    wait = float(leg["wait"])  # type: ignore[arg-type]
    kind, queue = str(leg["kind"]), str(leg["queue"])
    call = f"c{n}"
    direction = "outbound" if kind == "outbound" else "inbound"
    open_leg(session, call, call_id=call, direction=direction, enter_at=at, queue=queue,
             campaign="spring" if kind == "outbound" else None)
    if kind.startswith("ivr"):
        close_leg(session, call, end_at=at + wait, outcome="hangup" if kind == "ivr_hangup" else "abandoned_in_ivr",
                  wait_seconds=0.0, ivr_data={"last_node": "menu"})
        return
    if kind == "abandoned":
        close_leg(session, call, end_at=at + wait, outcome="abandoned", wait_seconds=wait)
        return
    if kind == "callback":
        close_leg(session, call, end_at=at + wait, outcome="callback_requested")
        if leg["rung_back"]:  # hours later, on a leg of its own
            open_leg(session, call + CALLBACK_LEG, call_id=call, direction="inbound", enter_at=at + 7200, queue=queue)
            _talk(session, call + CALLBACK_LEG, at + 7200, leg)
        return
    answered = at + wait
    _answer(session, call, answered, leg)
    if leg["consulted"]:  # a colleague in support takes a consultation about it, while the caller is held
        other = f"k{n}"
        open_leg(session, other, call_id=call, direction="consult", enter_at=answered + 5, queue="support")
        _talk(session, other, answered + 10, {**leg, "agent": "a3", "wait": 5})
    ended = _end(session, call, answered, leg, "transferred" if leg["transferred"] else "answered")
    if leg["transferred"]:  # queued again in the other queue, answered by another agent
        later = f"{call}#2"
        open_leg(session, later, call_id=call, direction="inbound", enter_at=ended + 1,
                 queue="support" if queue == "sales" else "sales")
        _talk(session, later, ended + 40, {**leg, "agent": "a2", "wait": 39})


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
@given(calls=st.lists(CALL, max_size=40), states=st.lists(STATE, max_size=12), zone=st.sampled_from(ZONES),
       first=st.integers(0, 33), days=st.integers(1, 4), minutes=st.sampled_from([15, 30, 60]),
       queue=st.sampled_from(["", "sales"]), by=st.sampled_from(["queue", "campaign", "agent_id"]))
def test_reports_from_rollups_equal_a_recount_of_the_rows(
        sessions: sessionmaker[Session], calls: list[dict[str, object]], states: list[tuple[int, str, str | None]],
        zone: str, first: int, days: int, minutes: int, queue: str, by: str) -> None:
    with sessions.begin() as session:
        for table in (*ROLLUP_TABLES, ROLLUP_AGENT_OPEN, Interaction.__table__):
            session.execute(delete(table))
    with sessions.begin() as session:
        for n, call in enumerate(calls):
            _write_call(session, n, call)
        segments = _write_states(session, "a1", states)
    with sessions() as session:
        rows = session.scalars(select(Interaction)).all()
        recount = Recount([facts_of({c.name: getattr(r, c.name) for c in Interaction.__table__.columns}, r.leg_id)
                           for r in rows], segments, kpis_of)
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


def _table(report: Report) -> dict[str, dict[str, object]]:
    """A report's rows by their first cell, each as column -> cell."""
    return {str(row[0]): dict(zip(report.columns, row, strict=True)) for row in report.rows}


def _rounded(column: str, value: float) -> float:
    """A hand figure as the report pages round it: shares to 4 places, seconds to one."""
    return round(value, 4) if column in ("service_level", "abandon_rate", "occupancy", "utilisation") else (
        round(value, 1))


# The hand table's columns the page's queue report has (it has no attended transfers: the rows do not say
# which transfer was a consultation handed over).
PAGE_QUEUE_FIGURES = ("offered", "answered", "answered_in_sl", "abandoned", "short_abandoned", "callbacks",
                      "callbacks_answered", "service_level", "asa", "abandon_rate", "aht", "transfers",
                      "consultations")


@pytest.fixture(scope="module")
def hand_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """The hand-computed day written through the recorder, with the hand's thresholds."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('hand') / 'crm.sqlite3'}")
    migrate(engine)
    factory = make_session_factory(engine)
    InteractionRowWriter(factory, kpis=same_kpis(SETTINGS)).append(EVENTS)
    InteractionRowWriter(factory)  # a second writer on the same database does not count twice
    yield factory
    engine.dispose()


def _page(sessions: sessionmaker[Session], report: str, **options: object) -> Report:
    # The day's first half-hour (reports start and end on quarter-hours); agents' stretches count up to END.
    query = ReportQuery(report, int(T0), int(T0) + 1800, ZoneInfo("UTC"), **options)  # type: ignore[arg-type]
    with sessions() as session:
        return build_report(query, store_reader(session, END), SETTINGS)


def test_the_queue_page_gives_the_hand_computed_table(hand_day: sessionmaker[Session]) -> None:
    rows = _table(_page(hand_day, "queue"))
    assert list(rows) == ["sales", "support", "*"]
    for queue, expected in EXPECTED.items():
        hand = dict(zip(QUEUE_FIGURES, expected, strict=True))
        assert {c: rows[queue][c] for c in PAGE_QUEUE_FIGURES} == {
            c: _rounded(c, hand[c]) for c in PAGE_QUEUE_FIGURES}, queue


def test_the_interval_page_gives_the_hand_computed_quarter_hours(hand_day: sessionmaker[Session]) -> None:
    report = _page(hand_day, "interval", minutes=15)
    got = [dict(zip(report.columns, row, strict=True)) for row in report.rows]
    assert [(dt.datetime.fromisoformat(str(r["interval_start"])).timestamp() - T0, r["offered"], r["answered"],
             r["answered_in_sl"], r["service_level"]) for r in got] == EXPECTED_INTERVALS_15


def test_the_agent_page_gives_the_hand_computed_agents(hand_day: sessionmaker[Session]) -> None:
    rows = _table(_page(hand_day, "agent"))
    assert set(rows) == set(EXPECTED_AGENTS)
    for agent, (states, reasons, calls, aht, occupancy, utilisation) in EXPECTED_AGENTS.items():
        row = rows[agent]
        assert {s: row[f"{s}_seconds"] for s in ("ready", "reserved", "on_call", "wrap_up", "not_ready")} == {
            s: states.get(s, 0) for s in ("ready", "reserved", "on_call", "wrap_up", "not_ready")}, agent
        assert {r: row[f"not_ready:{r}"] for r in reasons} == reasons, agent
        assert (row["calls"], row["aht"], row["occupancy"], row["utilisation"]) == (
            calls, _rounded("aht", aht), _rounded("occupancy", occupancy),
            _rounded("utilisation", utilisation)), agent


def test_the_disposition_page_gives_the_hand_computed_counts(hand_day: sessionmaker[Session]) -> None:
    for by, index in (("queue", 0), ("agent_id", 1)):
        expected: dict[tuple[str, str], int] = {}
        for key, calls in EXPECTED_DISPOSITIONS.items():
            expected[(key[index], key[2])] = expected.get((key[index], key[2]), 0) + calls
        rows = _page(hand_day, "disposition", by=by).rows
        assert {(str(group), str(disposition)): calls for group, direction, disposition, calls in rows} == expected
        assert {direction for _, direction, _, _ in rows} == {"inbound"}


def test_the_ivr_page_counts_the_ivr_hang_up(hand_day: sessionmaker[Session]) -> None:
    rows = _page(hand_day, "ivr").rows
    # i1 hung up at the menu; the seven calls that reached a queue count as handed to it (the day's events
    # leave out their IVR part, which the event-based IVR report does not count).
    assert [row[:3] for row in rows] == [["hangup", "menu", 1], ["queue", "", 7]]


def test_rebuilt_from_the_rows_the_rollups_are_the_same(hand_day: sessionmaker[Session]) -> None:
    before = {name: _page(hand_day, name) for name in REPORTS}
    with hand_day.begin() as session:
        rebuild_call_rollups(session, same_kpis(SETTINGS))
    assert {name: _page(hand_day, name) for name in REPORTS} == before


def test_the_upgrade_drops_the_per_leg_rollups_and_they_are_counted_again_per_call(
        hand_day: sessionmaker[Session], tmp_path: Path) -> None:
    """A database kept by the per-leg rollups (schema 0010): the upgrade drops them, and the node's start
    (rebuild_if_missing) counts its rows again per call, once."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate(engine, "0010")
    with hand_day() as session:
        rows = [{c.name: getattr(r, c.name) for c in Interaction.__table__.columns}
                for r in session.scalars(select(Interaction))]
    with engine.begin() as connection:
        connection.execute(Interaction.__table__.insert(), rows)
        # the old count of c2's transfer leg in sales, which the upgrade must not keep
        connection.execute(insert(ROLLUP_TABLES[0]).values(
            grain=900, bucket=int(T0), direction="inbound", queue="sales", campaign="", result="answered", calls=1,
            in_sl=1, wait_sum=10, handle_sum=70))
    migrate(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        assert session.execute(select(ROLLUP_TABLES[0])).first() is None  # the old counts are gone
        assert rebuild_if_missing(session, same_kpis(KpiSettings()))
    with sessions.begin() as session:
        assert not rebuild_if_missing(session, same_kpis(KpiSettings()))  # counted already
    recount = Recount([facts_of(row, str(row["leg_id"])) for row in rows], [], same_kpis(KpiSettings()))
    with sessions() as session:
        # The agents' states are kept from their events, which this database never had.
        for name in (n for n in REPORTS if n != "agent"):
            query = ReportQuery(name, int(T0), int(T0) + 1800, ZoneInfo("UTC"))
            assert build_report(query, store_reader(session, END), KpiSettings()) == build_report(
                query, recount, KpiSettings()), name
        queue = build_report(ReportQuery("queue", int(T0), int(T0) + 1800, ZoneInfo("UTC")),
                             store_reader(session, END), KpiSettings())
    total = _table(queue)["*"]
    assert (total["answered"], total["abandoned"], total["short_abandoned"]) == (4, 2, 0)
    engine.dispose()


def test_rebuilt_by_the_command_each_queue_counts_with_its_configured_threshold(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    InteractionRowWriter(make_session_factory(engine), kpis=same_kpis(SETTINGS)).append(EVENTS)
    config = tmp_path / "callcenter.toml"
    config.write_text('[[queues]]\nname = "support"\nservice_level = {seconds = 10}\n\n[[queues]]\nname = "sales"\n',
                      encoding="utf-8")
    assert callcenter_main(["--config", str(config), "--db-url", url, "rebuild-rollups"]) == 0
    rows = _table(_page(make_session_factory(engine), "queue"))
    # support's calls waited 10 s (c1), 30 s (c2) and 15 s (c7): within 10 s only c1. No short abandons are
    # configured, so c4's 3 s count as an abandon.
    assert (rows["support"]["answered_in_sl"], rows["support"]["abandoned"], rows["support"]["short_abandoned"]) == (
        1, 2, 0)
    assert rows["sales"]["answered_in_sl"] == 1  # c3 waited 5 s, within sales' default 20 s
    engine.dispose()


def test_a_replayed_day_leaves_the_same_rows_and_figures(hand_day: sessionmaker[Session], tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    migrate(engine)
    replayed = make_session_factory(engine)
    writer = InteractionRowWriter(replayed, kpis=same_kpis(SETTINGS))
    writer.append(EVENTS)
    writer.append(EVENTS)  # after a crash, the recorder may write the same events again

    def legs(sessions: sessionmaker[Session]) -> list[tuple[object, ...]]:
        with sessions() as session:
            return [(r.leg_id, r.queue, r.agent_id, r.answer_at, r.end_at, r.outcome, r.talk_seconds,
                     r.wrap_up_seconds) for r in session.scalars(select(Interaction).order_by(Interaction.leg_id))]

    assert legs(replayed) == legs(hand_day)
    assert ("c6#callback", "sales", "a2", T0 + 1000, T0 + 1060, "answered", 60.0, 10.0) in legs(replayed)
    assert {name: _page(replayed, name) for name in REPORTS} == {name: _page(hand_day, name) for name in REPORTS}
    engine.dispose()
