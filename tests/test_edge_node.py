"""What a node refuses to start with, and how several nodes on one Redis share a single event log."""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path
from typing import Any

import pytest
import redis

from acd.events import CallDisposed
from callcenter.node import Node, NodeStartError
from callcenter.settings import Settings
from callcenter.wiring import crm_directory
from crm_core.eventlog import read_events

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _settings(tmp_path: Path, **fields: Any) -> Settings:
    return Settings(
        db_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}", http_port=0, ami_port=0, agi_port=0,
        data_dir=str(tmp_path), **fields,
    )


async def test_demo_mode_is_refused_with_a_real_pbx_before_anything_is_created(tmp_path: Path) -> None:
    node = Node(_settings(tmp_path, demo=True, ami_host="127.0.0.1"), directory_factory=crm_directory,
                say=lambda line: None)
    try:
        async with asyncio.timeout(5):
            with pytest.raises(NodeStartError, match="simulator"):
                await node.start()
        assert not (tmp_path / "cc.sqlite3").exists()  # no demo customers, no demo-admin account
    finally:
        await node.stop()


async def test_an_unreadable_agi_allow_list_stops_the_start(tmp_path: Path) -> None:
    node = Node(_settings(tmp_path, agi_allow="127.0.0.1/32,pbx.example"), directory_factory=crm_directory,
                say=lambda line: None)
    try:
        with pytest.raises(NodeStartError, match="agi_allow"):
            await node.start()
    finally:
        await node.stop()


@pytest.mark.parametrize(("fields", "named"), [
    ({"raw": {"dialer": {"ring_seconds": 20}}}, "ring_seconds"),
    ({"manual_wrap_up_seconds": 4}, "manual_wrap_up_seconds"),
    ({"manual_wrap_up_seconds": 3601}, "manual_wrap_up_seconds"),
])
async def test_a_calling_setting_that_cannot_work_stops_the_start_before_anything_is_created(
        tmp_path: Path, fields: dict[str, Any], named: str) -> None:
    node = Node(_settings(tmp_path, **fields), directory_factory=crm_directory, say=lambda line: None)
    try:
        with pytest.raises(NodeStartError, match=named):
            await node.start()
        assert not (tmp_path / "cc.sqlite3").exists()
    finally:
        await node.stop()


async def test_the_dialer_runs_unless_the_settings_turn_it_off(tmp_path: Path) -> None:
    for enabled in (True, False):
        node = Node(_settings(tmp_path, raw={"dialer": {"enabled": enabled}}), directory_factory=crm_directory,
                    say=lambda line: None)
        try:
            await node.start()
            assert (node.dialer is not None) == enabled
        finally:
            await node.stop()


async def test_the_fastagi_server_accepts_the_networks_of_the_settings(tmp_path: Path) -> None:
    node = Node(_settings(tmp_path, agi_allow="127.0.0.1/32, 10.1.2.0/24"), directory_factory=crm_directory,
                say=lambda line: None)
    try:
        await node.start()
        assert node.agi is not None
        assert node.agi.allowed_peers == (
            ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.1.2.0/24"),
        )
    finally:
        await node.stop()


@pytest.mark.redis
@pytest.mark.skipif(not _redis_up(), reason="no Redis server at 127.0.0.1:6379")
async def test_two_nodes_on_redis_log_an_event_once(tmp_path: Path) -> None:
    redis.Redis.from_url(REDIS_URL).delete("callcenter:acd-leader")
    said: list[str] = []
    nodes = [
        Node(_settings(tmp_path, redis_url=REDIS_URL), directory_factory=crm_directory, say=said.append)
        for _ in range(2)
    ]
    first, second = nodes
    standing_by: asyncio.Task[None] | None = None
    try:
        await first.start()
        # The second node waits on standby for the ACD lead, its bus, event log and Redis link already up.
        standing_by = asyncio.create_task(second.start())
        async with asyncio.timeout(10):
            while not any("standby" in line for line in said):
                await asyncio.sleep(0.01)
        assert second.redis is not None and first.redis is not None
        received_before = second.redis.received
        first.bus.publish(CallDisposed(at=1.0, call_id="edge-1", agent_id="1001", disposition="resolved", notes=""))
        async with asyncio.timeout(5):
            while second.redis.received == received_before:
                await asyncio.sleep(0.01)
        for node in nodes:
            assert node.recorder is not None
            await node.recorder.flush()
        assert first.sessions is not None
        with first.sessions() as session:
            logged = read_events(session, types=[CallDisposed], call_id="edge-1")
        assert len(logged) == 1
    finally:
        if standing_by is not None:
            standing_by.cancel()
        for node in nodes:
            await node.stop()
