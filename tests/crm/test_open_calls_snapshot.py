"""The open-calls snapshot a node keeps in the database (SQLite and PostgreSQL): a restart reads the snapshot and
the events after it, and finds exactly the calls the whole log leaves open."""

from __future__ import annotations

import asyncio
import json
import time

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from acd.events import AgentStateChanged, CallAbandoned, CallConnected, CallEnded, CallOffered, CallQueued
from acd.open_calls import HISTORY_EVENTS, OpenCalls
from bus.events import DomainEvent
from callcenter.open_calls_snapshot import SNAPSHOT_NAME, OpenCallsSnapshot
from crm_core.db import make_session_factory, session_scope
from crm_core.eventlog import append_events, read_events
from crm_core.log_snapshots import LogSnapshotRow, load_snapshot


def a_call(call_id: str, at: float, *, ends: bool) -> list[DomainEvent]:
    events: list[DomainEvent] = [
        CallQueued(at=at, call_id=call_id, queue="support", priority=0, enter_time=at),
        CallOffered(at=at + 1, call_id=call_id, queue="support", agent_id="a1"),
        CallConnected(at=at + 2, call_id=call_id, queue="support", agent_id="a1", wait_seconds=2.0),
    ]
    if ends:
        events.append(CallEnded(at=at + 3, call_id=call_id, queue="support", agent_id="a1", talk_seconds=1.0))
    return events


def whole_log(engine: Engine) -> OpenCalls:
    with make_session_factory(engine)() as session:
        return OpenCalls().fold(read_events(session, types=HISTORY_EVENTS))


def log(engine: Engine, events: list[DomainEvent]) -> None:
    with session_scope(make_session_factory(engine)) as session:
        append_events(session, events)


def test_a_restart_reads_the_snapshot_and_the_tail_and_finds_the_open_calls(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    early: list[DomainEvent] = [AgentStateChanged(at=0.0, agent_id="a1", state="ready", previous="logged_out")]
    for i in range(50):
        early += a_call(f"early-{i}", 10.0 * i, ends=i not in (7, 23))  # two calls left open mid-log
    log(engine, early)
    keeper = OpenCallsSnapshot(sessions, pass_events=60)
    keeper.open_calls()  # start-up: the horizon is the end of the log so far
    while keeper.advance() < len(early):  # passes of at most 60 events each
        pass
    late = [*a_call("late-open", 1000.0, ends=False), *a_call("late-done", 1010.0, ends=True),
            CallAbandoned(at=1020.0, call_id="early-7", queue="support", wait_seconds=1.0)]
    log(engine, late)

    restarted = OpenCallsSnapshot(sessions)
    found = restarted.open_calls()

    assert sorted(found.queued) == ["early-23", "late-open"]
    assert found.to_record() == whole_log(engine).to_record()
    # Only the events after the snapshot were read (of the kinds the fold takes).
    assert restarted.tail_events == len([e for e in late if isinstance(e, HISTORY_EVENTS)])
    with sessions() as session:
        stored = load_snapshot(session, SNAPSHOT_NAME)
    assert stored is not None and stored.position == len(early)


def test_a_pass_folds_only_up_to_what_the_previous_pass_saw(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    log(engine, a_call("one", 1.0, ends=False))
    keeper = OpenCallsSnapshot(sessions)
    assert keeper.advance() == 0  # nothing seen before: a write in flight could still land below
    log(engine, a_call("two", 2.0, ends=False))
    assert keeper.advance() == 3  # the first call's events, seen by the pass before
    assert keeper.advance() == 6
    assert sorted(keeper.open_calls().queued) == ["one", "two"]


def test_an_unreadable_snapshot_falls_back_to_the_whole_log(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    log(engine, a_call("open", 1.0, ends=False))
    keeper = OpenCallsSnapshot(sessions)
    keeper.open_calls()
    keeper.advance()
    with session_scope(sessions) as session:
        session.execute(update(LogSnapshotRow).values(payload=json.dumps({"version": 0})))

    assert list(OpenCallsSnapshot(sessions).open_calls().queued) == ["open"]


async def test_a_running_keeper_updates_the_snapshot_on_its_own(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    log(engine, a_call("open", 1.0, ends=False))
    keeper = OpenCallsSnapshot(sessions, interval=0.05)
    keeper.open_calls()
    keeper.start()
    try:
        deadline = time.monotonic() + 5
        while (stored := _stored_position(sessions)) != 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await keeper.stop()
    assert stored == 3


def _stored_position(sessions: sessionmaker[Session]) -> int | None:
    with sessions() as session:
        stored = load_snapshot(session, SNAPSHOT_NAME)
    return None if stored is None else stored.position
