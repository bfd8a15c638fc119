"""Every published domain event lands in the event log, in order, even when the write fails once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from acd.events import AgentStateChanged, CallQueued
from bus.eventbus import EventBus
from callcenter.recorder import EventRecorder
from crm_core.db import make_engine, make_session_factory, migrate
from crm_core.eventlog import SqlEventLog, read_events


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    migrate(engine)
    return make_session_factory(engine)


async def test_published_events_are_appended_in_order(sessions: sessionmaker[Session]) -> None:
    bus = EventBus()
    recorder = EventRecorder(bus, SqlEventLog(sessions), flush_interval=0.01)
    recorder.start()
    for i in range(250):
        bus.publish(CallQueued(at=1.0, call_id=f"c{i}", queue="support", priority=1, enter_time=float(i)))
    bus.publish(AgentStateChanged(at=1.0, agent_id="a1", state="ready", previous="logged_out"))
    await recorder.stop()
    with sessions() as session:
        events = read_events(session)
        queued = read_events(session, types=[CallQueued], call_id="c7")
    assert [getattr(e, "call_id", None) for e in events[:250]] == [f"c{i}" for i in range(250)]
    assert isinstance(events[-1], AgentStateChanged)
    assert len(queued) == 1 and isinstance(queued[0], CallQueued) and queued[0].enter_time == 7.0
    assert recorder.written == 251


async def test_a_failed_write_keeps_the_events_for_the_next_flush(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = EventBus()
    recorder = EventRecorder(bus, SqlEventLog(sessions), flush_interval=3600)
    recorder.start()
    bus.publish(CallQueued(at=1.0, call_id="c1", queue="support", priority=1, enter_time=1.0))
    original = recorder._write
    calls = {"n": 0}

    def flaky(batch: list) -> None:  # type: ignore[type-arg]
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk full")
        original(batch)

    monkeypatch.setattr(recorder, "_write", flaky)
    await recorder.flush()
    bus.publish(CallQueued(at=1.0, call_id="c2", queue="support", priority=1, enter_time=2.0))
    await recorder.stop()
    with sessions() as session:
        assert [getattr(e, "call_id", None) for e in read_events(session)] == ["c1", "c2"]


async def test_a_flush_returns_only_after_a_concurrent_write_is_committed(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = EventBus()
    recorder = EventRecorder(bus, SqlEventLog(sessions), flush_interval=3600)
    recorder.start()
    original = recorder._write

    def slow(batch: list) -> None:  # type: ignore[type-arg]
        time.sleep(0.3)
        original(batch)

    monkeypatch.setattr(recorder, "_write", slow)
    bus.publish(CallQueued(at=1.0, call_id="c1", queue="support", priority=1, enter_time=1.0))
    periodic = asyncio.create_task(recorder.flush())  # the timer's flush, already writing
    await asyncio.sleep(0.05)
    await recorder.flush()  # a reader's flush: must not return before c1 is in
    with sessions() as session:
        assert [getattr(e, "call_id", None) for e in read_events(session)] == ["c1"]
    await periodic
    await recorder.stop()
