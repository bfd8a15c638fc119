"""``callcenter bench restart``: re-adoption start-up with a long event log (``--events``, 10 M by default).

It fills an empty database (a temporary SQLite file, or ``--db-url``) with a contact center's history as
fast as the database takes rows (COPY on PostgreSQL): calls queued, offered, connected and ended, agents
changing state, and ``--open`` calls left open at places spread over the log. The open-calls snapshot is
stored as the keeper's passes would have left it ``--tail`` events before the end (the bench folds the
events it knows are open instead of folding 10 M events: ``tests/acd_service/test_open_calls.py`` shows the
two agree). Then, with a fresh engine as after a restart, it times what start-up does before the node serves
calls: the migrations check, the snapshot plus the tail, and the restore plan; and it checks the plan finds
exactly the open calls. Beside it, the whole-log approach of before (read every call and agent event, fold
them) is timed on the first ``--whole-sample`` events and scaled to the whole log (reading millions of events
into memory at once is what it did, and what this machine cannot afford). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from acd.config import load_config
from acd.events import AgentStateChanged, CallConnected, CallEnded, CallOffered, CallQueued
from acd.open_calls import HISTORY_EVENTS, OpenCalls
from acd.readopt import plan_restore
from bus.events import DomainEvent
from callcenter.open_calls_snapshot import SNAPSHOT_NAME, OpenCallsSnapshot
from callcenter.soak_bench import contact_center
from crm_core.db import insert_rows, make_engine, make_session_factory, migrate, session_scope, table_of
from crm_core.eventlog import EventLogEntry, last_position, read_logged
from crm_core.log_snapshots import LogSnapshot, save_snapshot
from ivr.caller import CallerData

AGENTS = 30
CHUNK = 100_000
_CALL, _AGENT, _AT = "CALLXID", "AGENTXID", 111111.5
COLUMNS = ("at", "type", "call_id", "agent_id", "payload")


def _templates() -> list[tuple[str, bool, str]]:
    """One call's events as JSON with markers for call id, agent and time: (type, has agent, payload)."""
    caller = CallerData(customer_code="100008", intent="billing")
    events: list[DomainEvent] = [
        CallQueued(at=_AT, call_id=_CALL, queue="support", priority=0, enter_time=_AT, caller=caller,
                   required_skills=(("support", 1),)),
        CallOffered(at=_AT, call_id=_CALL, queue="support", agent_id=_AGENT, caller=caller, wait_seconds=2.0),
        AgentStateChanged(at=_AT, agent_id=_AGENT, state="reserved", previous="ready", call_id=_CALL),
        CallConnected(at=_AT, call_id=_CALL, queue="support", agent_id=_AGENT, wait_seconds=2.0),
        AgentStateChanged(at=_AT, agent_id=_AGENT, state="on_call", previous="reserved", call_id=_CALL),
        CallEnded(at=_AT, call_id=_CALL, queue="support", agent_id=_AGENT, talk_seconds=60.0),
        AgentStateChanged(at=_AT, agent_id=_AGENT, state="ready", previous="on_call", call_id=_CALL),
    ]
    return [(e.type_name, hasattr(e, "agent_id"), e.to_json()) for e in events]


def _rows(total: int, open_every: int, tail_from: int) -> Iterator[tuple[Any, ...]]:
    """``total`` event-log rows; every ``open_every``-th call stops after it is queued (it stays open)."""
    templates = _templates()
    written, call = 0, 0
    while written < total:
        at = 1.7e9 + call * 5.0
        call_id, agent = f"C{call:09d}", str(7000 + call % AGENTS)
        # The tail always holds one open call too.
        stays_open = call % open_every == open_every - 1 or (written >= tail_from and written < tail_from + 1)
        for type_name, has_agent, template in templates[:1] if stays_open else templates:
            if written >= total:
                return
            payload = template.replace(_CALL, call_id).replace(_AGENT, agent).replace(repr(_AT), repr(at))
            yield at, type_name, call_id, agent if has_agent else None, payload
            written += 1
        call += 1


def _fill(sessions: Any, total: int, open_every: int, tail_from: int) -> None:
    table = table_of(EventLogEntry)
    chunk: list[tuple[Any, ...]] = []
    for row in _rows(total, open_every, tail_from):
        chunk.append(row)
        if len(chunk) == CHUNK:
            with session_scope(sessions) as session:
                insert_rows(session, table, COLUMNS, chunk)
            chunk = []
    if chunk:
        with session_scope(sessions) as session:
            insert_rows(session, table, COLUMNS, chunk)


def _open_in_log(sessions: Any, until: int) -> OpenCalls:
    """What the first ``until`` events leave open: the events of the calls left open there (every other call
    folds to nothing) and the agents' last states."""
    state = OpenCalls()
    with sessions() as session:
        for call_id in _open_calls(session, until):
            state.fold(e.event for e in read_logged(session, types=HISTORY_EVENTS, call_id=call_id) if e.id <= until)
        recent = max(0, until - 20 * AGENTS)  # every agent changed state within the last few calls
        state.fold(e.event for e in read_logged(session, since_id=recent, types=[AgentStateChanged])
                   if e.id <= until)
    return state


def _open_calls(session: Session, until: int) -> list[str]:
    """The calls queued and never ended in the first ``until`` events."""
    def ids(kind: str) -> set[str]:
        return {str(c) for c in session.scalars(select(EventLogEntry.call_id).where(
            EventLogEntry.id <= until, EventLogEntry.type == kind))}
    return sorted(ids("CallQueued") - ids("CallEnded"))


def run(db_url: str | None, events: int, open_calls: int, tail: int, whole_sample: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cc-restart-") as tmp:
        url = db_url or f"sqlite:///{Path(tmp) / 'restart.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        sessions = make_session_factory(engine)
        with sessions() as session:
            if last_position(session):
                raise SystemExit(f"bench restart: the event log of {url} is not empty; give an empty database")
        # Calls are 7 events (1 when left open): spread the open ones evenly over the log.
        open_every = max(2, events // 7 // max(1, open_calls))
        began = time.perf_counter()
        _fill(sessions, events, open_every, events - tail)
        fill_s = time.perf_counter() - began
        snapshot_at = events - tail
        began = time.perf_counter()
        state = _open_in_log(sessions, snapshot_at)
        with session_scope(sessions) as session:
            payload = json.dumps(state.to_record(), separators=(",", ":"))
            save_snapshot(session, SNAPSHOT_NAME, LogSnapshot(snapshot_at, time.time(), payload))
        snapshot_s = time.perf_counter() - began
        with sessions() as session:
            expected = _open_calls(session, events)
        engine.dispose()

        config = load_config(contact_center(AGENTS))
        began = time.perf_counter()
        engine = make_engine(url)  # a restarted node: a fresh engine and connections
        migrate(engine)
        keeper = OpenCallsSnapshot(make_session_factory(engine))
        found = keeper.open_calls()
        plan = plan_restore([], found, config, time.time())
        restart_s = time.perf_counter() - began
        closed = sorted(e.call_id for e in plan.closed if hasattr(e, "call_id"))

        began = time.perf_counter()
        with make_session_factory(engine)() as session:
            sample = read_logged(session, types=HISTORY_EVENTS, limit=whole_sample)
            OpenCalls().fold(e.event for e in sample)
            history_events = int(session.scalar(select(func.count()).where(
                EventLogEntry.type.in_([t.__name__ for t in HISTORY_EVENTS]))) or 0)
        sample_s = time.perf_counter() - began
        engine.dispose()
    whole_s = sample_s * history_events / max(1, len(sample))
    return {
        "bench": "restart", "database": engine.dialect.name, "events": events, "fill_s": round(fill_s, 1),
        "snapshot_position": snapshot_at, "snapshot_build_s": round(snapshot_s, 2), "tail_events_read":
            keeper.tail_events, "open_calls": len(expected), "found_open": len(closed),
        "exactly_the_open_calls": closed == expected, "restart_s": round(restart_s, 3),
        "whole_log_sample_events": len(sample), "whole_log_sample_s": round(sample_s, 2),
        "whole_log_history_events": history_events, "whole_log_estimated_s": round(whole_s, 1),
    }


def _run(args: argparse.Namespace) -> int:
    result = run(args.db_url_bench or args.db_url, args.events, args.open, args.tail, args.whole_sample)
    print(f"{result['events']} events ({result['database']}): restart read the snapshot at "
          f"{result['snapshot_position']} and {result['tail_events_read']} tail events in {result['restart_s']} s; "
          f"the whole log would take about {result['whole_log_estimated_s']} s")
    print(json.dumps(result))
    return 0 if result["exactly_the_open_calls"] and result["restart_s"] <= 3.0 else 1


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("restart", help="re-adoption start-up with a long event log (snapshot + tail)")
    parser.add_argument("--events", type=int, default=10_000_000, help="events in the generated log")
    parser.add_argument("--open", type=int, default=40, help="calls left open, spread over the log")
    parser.add_argument("--tail", type=int, default=10_000, help="events logged after the snapshot")
    parser.add_argument("--whole-sample", type=int, default=200_000,
                        help="history events the whole-log approach is timed on (then scaled to the log)")
    parser.add_argument("--db-url", dest="db_url_bench",
                        help="an EMPTY database to fill (default: a temporary SQLite file)")
    parser.set_defaults(func=_run)
