"""Drill: the database connections killed mid-traffic (PostgreSQL ``pg_terminate_backend`` on ours, and new
ones refused for a few seconds); the event log's writes are kept and written once it is back, none lost,
none twice. Needs the PostgreSQL at 127.0.0.1:5432 (skipped without it)."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

import psycopg
import pytest
from drill_kit import (
    caller,
    drill_center,
    free_port,
    logged_events,
    lost_and_twice,
    node_settings,
    pbx_for,
    prepare_database,
    until,
)

from bus.events import DomainEvent
from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.soak_bench import audit_calls
from callcenter.wiring import crm_directory

pytestmark = pytest.mark.postgres

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
OUTAGE_SECONDS = 3.0
AGENTS = 10


async def test_drill_database_connections_killed_mid_traffic(tmp_path: Path, figure) -> None:  # type: ignore[no-untyped-def]
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 as postgres: {exc}")
    name = f"callcenter_drill_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    db_url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    node: Node | None = None
    try:
        agents = [str(7000 + i) for i in range(AGENTS)]
        codes = prepare_database(db_url, agents_ready=agents)
        ami_port, agi_port = free_port(), free_port()
        pbx = pbx_for(ami_port, agi_port)
        await pbx.start()
        node = Node(Settings(**node_settings(tmp_path, db_url, ami_port, agi_port), raw=drill_center(AGENTS)),
                    directory_factory=crm_directory, say=lambda line: None)
        try:
            await node.start()
            assert node.recorder is not None
            published: list[DomainEvent] = []
            node.bus.add_listener(published.append)
            rung = [caller(codes[i % len(codes)], f"55501{i:02d}", talk=1.5, after=i * 0.4) for i in range(25)]
            await pbx.schedule(rung)
            await asyncio.sleep(2.0)  # calls in every stage: IVR, queue, talking

            cut_at = time.monotonic()
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE datname = %s", (name,)).fetchone()
            backlog = 0
            while time.monotonic() - cut_at < OUTAGE_SECONDS:
                backlog = max(backlog, node.recorder.backlog(time.time())[0])
                await asyncio.sleep(0.05)
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            back_at = time.time()
            unreachable_seen = node.recorder.failed_writes
            written_by = await until(lambda: node is not None and node.recorder is not None
                                     and node.recorder.backlog(time.time())[0] == 0
                                     and not node.recorder.unreachable, "the kept events written", timeout=15)
            await until(lambda: len([e for e in published if type(e).__name__ == "IvrFinished"]) == len(rung),
                        "every caller through the IVR", timeout=30, every=0.1)
            await asyncio.sleep(4.0)  # the last talks end
            await node.recorder.flush()
        finally:
            if node is not None:
                await node.stop()
            await pbx.stop()
        events = logged_events(db_url)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    lost, twice = lost_and_twice(published, events)
    audit = audit_calls(events)
    written = len(published) - lost
    figure(f"events buffered during the {OUTAGE_SECONDS:g} s DB outage: {backlog}, written after: {written} of "
           f"{len(published)} published, lost: {lost}, duplicates: {twice}; the backlog written "
           f"{written_by - back_at:.2f} s after the database came back",
           buffered=backlog, published=len(published), written=written, lost=lost, duplicates=twice,
           backends_killed=killed[0] if killed else 0, failed_writes=unreachable_seen,
           caught_up_s=round(written_by - back_at, 2), calls=audit["calls_in_log"])
    assert unreachable_seen > 0 and backlog > 0  # the outage was felt
    assert lost == 0 and twice == 0
    assert audit["calls_in_log"] == len(rung) and not audit["without_end"]
