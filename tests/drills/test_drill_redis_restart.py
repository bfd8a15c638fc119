"""Drill: Redis stopped and started again under two nodes (``callcenter serve`` processes, restarted by the drill
as systemd would: ``Restart=always``). The leader steps down when it cannot renew its lease (exit 3), nobody
leads while Redis is away, a node leads again as soon as it is back, and the caller who waited through it all
is served. Never two leaders."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from drill_kit import (
    AGENT,
    NodeProcess,
    RedisServer,
    caller,
    drill_center,
    free_port,
    logged_events,
    node_settings,
    of,
    pbx_for,
    prepare_database,
    redis_available,
    stopping,
    until,
)

from acd.events import CallConnected, CallQueued

pytestmark = pytest.mark.skipif(not redis_available(), reason="no redis-server on this machine")

REDIS_DOWN_SECONDS = 3.0
RESTART_AFTER = 1.0  # the unit's RestartSec, shortened


async def test_drill_redis_stopped_and_started_under_two_nodes(tmp_path: Path, figure) -> None:  # type: ignore[no-untyped-def]
    db_url = f"sqlite:///{tmp_path / 'cc.sqlite3'}"
    codes = prepare_database(db_url, agents_ready=[AGENT])
    redis = RedisServer(free_port())
    redis.start()
    ami_port, agi_port = free_port(), free_port()
    pbx = pbx_for(ami_port, agi_port)
    settings = node_settings(tmp_path, db_url, ami_port, agi_port, redis_url=redis.url)
    nodes = [NodeProcess(tmp_path, name, settings, drill_center(1)) for name in ("first", "second")]
    first, second = nodes
    two_leaders = 0
    stepped_down_at: float | None = None

    async def supervise() -> None:
        """Restart what exits, note when the first leader stepped down, count moments with two leaders."""
        nonlocal two_leaders, stepped_down_at
        died: dict[str, float] = {}
        while True:
            roles = [node.role() for node in nodes]
            two_leaders += roles.count("leader") > 1
            if stepped_down_at is None and roles[0] != "leader":  # the lease is gone: it decides no more
                stepped_down_at = time.monotonic()
            for node in nodes:
                if node.exited() is not None:
                    died[node.name] = time.monotonic()
                if node.process is None and time.monotonic() - died.get(node.name, 0.0) > RESTART_AFTER:
                    node.start()
            await asyncio.sleep(0.05)

    supervisor: asyncio.Task[None] | None = None
    try:
        await pbx.start()
        with stopping(*nodes):
            first.start()
            await until(lambda: (first.readiness() or {}).get("ready"), "the first node to lead", timeout=30)
            second.start()
            await until(lambda: second.role() == "standby", "the second node on standby", timeout=30)
            talking = (await pbx.ring([caller(codes[0], "5550001", talk=300)]))[0]
            await until(lambda: of(logged_events(db_url), CallConnected), "the first caller to talk", every=0.2)
            await pbx.ring([caller(codes[1], "5550002", patience=300)])
            await until(lambda: len(of(logged_events(db_url), CallQueued)) == 2, "a caller waiting", every=0.2)
            waiting = next(e.call_id for e in of(logged_events(db_url), CallQueued)
                           if not of(logged_events(db_url), CallConnected, call_id=e.call_id))
            supervisor = asyncio.create_task(supervise())

            redis.stop()
            stopped_at = time.monotonic()
            await until(lambda: stepped_down_at is not None, "the leader to step down", timeout=10)
            await until(lambda: 3 in first.exits, "the old leader to exit with status 3", timeout=15)
            assert stepped_down_at is not None
            step_down = stepped_down_at - stopped_at
            await asyncio.sleep(max(0.0, REDIS_DOWN_SECONDS - (time.monotonic() - stopped_at)))
            assert not any((node.readiness() or {}).get("ready") for node in nodes)  # nobody leads meanwhile

            redis.start()
            back_at = time.monotonic()
            await until(lambda: any((node.readiness() or {}).get("ready") for node in nodes),
                        "a node to lead again", timeout=20, every=0.02)
            leading_again = time.monotonic() - back_at
            await pbx.hang_up(talking)  # the agent frees; the waiting caller is theirs
            await until(lambda: of(logged_events(db_url), CallConnected, call_id=waiting),
                        "the waiting caller to be served", timeout=30, every=0.1)
            served = time.monotonic() - back_at
            supervisor.cancel()
    finally:
        if supervisor is not None:
            supervisor.cancel()
        await pbx.stop()
        redis.stop()

    figure(f"Redis down {back_at - stopped_at:.1f} s under two nodes: the leader stepped down {step_down:.2f} s after "
           f"it stopped, a node led again {leading_again:.2f} s after it came back and served the caller who "
           f"waited through it {served:.2f} s after; moments with two leaders: {two_leaders}",
           redis_down_s=round(back_at - stopped_at, 2), step_down_s=round(step_down, 3),
           leads_again_s=round(leading_again, 3),
           waiting_caller_served_s=round(served, 3), two_leaders=two_leaders)
    assert two_leaders == 0
