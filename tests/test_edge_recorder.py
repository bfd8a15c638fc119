"""The event log and interaction recorders keep going past an event the database refuses, and stop cleanly."""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from acd.events import CallQueued
from bus.eventbus import EventBus
from bus.eventlog import EventLogUnavailable
from bus.events import DomainEvent
from callcenter.interaction_recorder import InteractionRecorder
from callcenter.recorder import EventRecorder
from crm_core.db import make_engine, make_session_factory, migrate
from crm_core.eventlog import SqlEventLog, read_events
from crm_core.interactions import get_leg
from cti.ami.events import ChannelAppeared
from ivr.caller import CallerData

# tests/crm/conftest.py holds the PostgreSQL fixture (skips when the server is absent); test folders are
# not packages, so it is loaded from its file.
_spec = importlib.util.spec_from_file_location("crm_db_fixtures", Path(__file__).parent / "crm" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_crm_db_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_crm_db_fixtures)
postgres_engine = _crm_db_fixtures.postgres_engine
engine = _crm_db_fixtures.engine


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    yield make_session_factory(engine)


@pytest.fixture
def sqlite_sessions(tmp_path: Path) -> sessionmaker[Session]:
    sqlite_engine = make_engine(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    migrate(sqlite_engine)
    return make_session_factory(sqlite_engine)


def _queued(call_id: str, intent: str | None = None) -> CallQueued:
    return CallQueued(at=1.0, call_id=call_id, queue="support", priority=1, enter_time=1.0,
                      caller=CallerData(intent=intent))


def _ringing_in(uniqueid: str, caller: str) -> ChannelAppeared:
    return ChannelAppeared(
        at=1.0,
        channel=f"PJSIP/trunk-{uniqueid}", uniqueid=uniqueid, linkedid=uniqueid, state=4, state_desc="Ring",
        caller_id_num=caller, context="callcenter-inbound", exten="5551000",
    )


async def test_one_event_the_store_refuses_is_set_aside_and_the_others_are_written(
    sqlite_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bus = EventBus()
    recorder = EventRecorder(bus, SqlEventLog(sqlite_sessions), flush_interval=3600)
    recorder.start()
    original = recorder._write

    def refuses_c2(batch: list[DomainEvent]) -> None:
        if any(getattr(e, "call_id", None) == "c2" for e in batch):
            raise DataError("INSERT ...", {}, ValueError("value too long for type character varying(40)"))
        original(batch)

    monkeypatch.setattr(recorder, "_write", refuses_c2)
    for call_id in ("c1", "c2", "c3"):
        bus.publish(_queued(call_id))
    await recorder.flush()
    bus.publish(_queued("c4"))  # later events are not held back by the bad one
    await recorder.stop()
    with sqlite_sessions() as session:
        assert [getattr(e, "call_id", None) for e in read_events(session)] == ["c1", "c3", "c4"]
    assert [getattr(e, "call_id", None) for e in recorder.set_aside] == ["c2"]
    assert recorder.failed == 1 and recorder.written == 3
    assert "set aside" in caplog.text and "c2" in caplog.text


async def test_stop_waits_for_the_write_in_flight_so_rows_stay_in_publish_order(
    sqlite_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = EventBus()
    recorder = EventRecorder(bus, SqlEventLog(sqlite_sessions), flush_interval=0.01)
    recorder.start()
    original = recorder._write

    def slow_first(batch: list[DomainEvent]) -> None:
        if any(getattr(e, "call_id", None) == "c1" for e in batch):
            time.sleep(0.3)
        original(batch)

    monkeypatch.setattr(recorder, "_write", slow_first)
    bus.publish(_queued("c1"))
    await asyncio.sleep(0.1)  # the timer's flush is now writing c1
    bus.publish(_queued("c2"))
    await recorder.stop()
    with sqlite_sessions() as session:
        assert [getattr(e, "call_id", None) for e in read_events(session)] == ["c1", "c2"]
    assert recorder.written == 2


async def test_a_caller_number_longer_than_its_column_is_clipped_not_refused(
    sessions: sessionmaker[Session],
) -> None:
    bus = EventBus()
    recorder = InteractionRecorder(bus, sessions, flush_interval=3600)
    recorder.start()
    bus.publish(_ringing_in("1.1", "4" * 60))
    bus.publish(_ringing_in("1.2", "5550100"))
    await recorder.stop()
    with sessions() as session:
        long_leg, short_leg = get_leg(session, "1.1"), get_leg(session, "1.2")
        assert long_leg is not None and long_leg.ani == "4" * 40
        assert short_leg is not None and short_leg.ani == "5550100" and short_leg.dnis == "5551000"
    assert recorder.failed == 0


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # SQLite does not enforce lengths
async def test_postgresql_refusing_one_call_event_does_not_stop_the_interaction_history(
    sessions: sessionmaker[Session],
) -> None:
    bus = EventBus()
    recorder = InteractionRecorder(bus, sessions, flush_interval=3600)
    recorder.start()
    bus.publish(_queued("c1", intent="billing"))
    bus.publish(_queued("c2", intent="x" * 101))  # intent is String(100): PostgreSQL refuses the row
    bus.publish(_queued("c3", intent="sales"))
    await recorder.stop()
    with sessions() as session:
        assert get_leg(session, "c2") is None
        c1, c3 = get_leg(session, "c1"), get_leg(session, "c3")
        assert c1 is not None and c1.intent == "billing"
        assert c3 is not None and c3.intent == "sales"
    assert [getattr(e, "call_id", None) for e in recorder.set_aside] == ["c2"]


class _FlakyLog:
    """An event log whose store is unreachable for its first ``down`` writes."""

    def __init__(self, down: int) -> None:
        self.down = down
        self.calls = 0
        self.stored: list[DomainEvent] = []

    def append(self, events: list[DomainEvent]) -> None:
        self.calls += 1
        if self.calls <= self.down:
            raise EventLogUnavailable("connection refused")
        self.stored.extend(events)


async def test_an_outage_is_logged_once_and_its_end_once_and_nothing_is_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    store = _FlakyLog(down=40)
    recorder = EventRecorder(bus, store, flush_interval=3600)
    recorder.start()
    with caplog.at_level("WARNING", logger="callcenter.recorder"):
        for attempt in range(41):  # a flush per event: the outage spans forty writes
            bus.publish(_queued(f"c{attempt}"))
            await recorder.flush()
            assert recorder.unreachable is (attempt < 40)
        await recorder.stop()
    records = [r for r in caplog.records if r.name == "callcenter.recorder"]
    assert [(r.levelname, r.exc_info is None) for r in records] == [("ERROR", True), ("WARNING", True)]
    assert "event log cannot be written (connection refused)" in records[0].getMessage()
    assert "40 failed writes" in records[1].getMessage()
    assert [getattr(e, "call_id", None) for e in store.stored] == [f"c{i}" for i in range(41)]


def test_a_batch_committed_just_before_its_connection_died_is_not_logged_twice(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    log = SqlEventLog(sqlite_sessions)
    cut_after_commit = [True]

    def connection_dies(session: Session) -> None:
        if cut_after_commit and cut_after_commit.pop():
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    event.listen(sqlite_sessions, "after_commit", connection_dies)
    first = [_queued("c1"), _queued("c2")]
    with pytest.raises(EventLogUnavailable, match=r"^server closed the connection unexpectedly$"):
        log.append(first)  # committed, but we heard only the connection die
    log.append([*first, _queued("c3")])  # the recorder tries the batch again, with what came meanwhile
    log.append([_queued("c4")])
    with sqlite_sessions() as session:
        assert [e.call_id for e in read_events(session)] == ["c1", "c2", "c3", "c4"]  # type: ignore[attr-defined]


def test_a_batch_refused_with_its_connection_is_written_whole_when_it_is_back(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    log = SqlEventLog(sqlite_sessions)
    refuse = [True]

    def connection_refused(session: Session, transaction: object, connection: object) -> None:
        if refuse and refuse.pop():
            raise OperationalError("connect", {}, Exception("the database system is shutting down"))

    event.listen(sqlite_sessions, "after_begin", connection_refused)
    first = [_queued("c1"), _queued("c2")]
    with pytest.raises(EventLogUnavailable):
        log.append(first)
    log.append([*first, _queued("c3")])
    with sqlite_sessions() as session:
        assert [e.call_id for e in read_events(session)] == ["c1", "c2", "c3"]  # type: ignore[attr-defined]
