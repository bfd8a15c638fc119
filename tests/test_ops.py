"""The operations listener: /healthz, /readyz and Prometheus /metrics of a running node, leader or standby."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import aiohttp
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from acd.events import CallConnected
from callcenter.metrics import NodeMetrics
from callcenter.node import Node
from callcenter.ops import OpsServer
from callcenter.settings import Settings
from callcenter.wiring import crm_directory, desktop_app
from cti.sim import CallerScript

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def _settings(tmp_path: Path, **extra: object) -> Settings:
    return Settings(db_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}", http_port=0, ami_port=0, agi_port=0,
                    data_dir=str(tmp_path), **extra)  # type: ignore[arg-type]


async def _get(node: Node, path: str) -> tuple[int, str]:
    assert node.ops is not None
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{node.ops.port}{path}") as response:
        return response.status, await response.text()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_a_node_answers_health_readiness_and_metrics_that_follow_its_calls(tmp_path: Path) -> None:
    node = Node(_settings(tmp_path, demo=True), directory_factory=crm_directory, say=lambda line: None)
    try:
        await node.start(web_app=desktop_app)
        assert node.simulator is not None
        assert await _get(node, "/healthz") == (200, '{"status": "alive"}')
        status, body = await _get(node, "/readyz")
        assert status == 200 and '"role": "single"' in body and '"pbx": "connected"' in body
        connected: list[CallConnected] = []
        node.bus.add_listener(lambda e: connected.append(e) if isinstance(e, CallConnected) else None)
        code = node.demo_codes[0]
        # the code, then support in the menu
        digits = (*((1.0 if i == 0 else 0.2, d) for i, d in enumerate(code)), (0.3, "1"))
        await node.simulator.place_inbound_call("5551000", "5550100", "Metrics", script=CallerScript(digits=digits,
                                                                                                    patience=60))
        deadline = time.monotonic() + 60
        while not connected:
            assert time.monotonic() < deadline, "no call was answered"
            await asyncio.sleep(0.1)
        status, text = await _get(node, "/metrics")
        assert status == 200
        samples = _samples(text)
        queue = connected[0].queue
        assert samples[("callcenter_calls_offered_total", (("queue", queue),))] >= 1
        assert samples[("callcenter_calls_answered_total", (("queue", queue),))] >= 1
        assert samples[("callcenter_ami_connected", ())] == 1
        assert samples[("callcenter_leader", ())] == 1
        assert samples[("callcenter_agents", (("state", "on_call"),))] >= 1
        assert sum(v for (name, _), v in samples.items() if name == "callcenter_agents") == len(node.acd.agents())  # type: ignore[union-attr]
        assert ("callcenter_fastagi_sessions", ()) in samples and ("callcenter_websocket_clients", ()) in samples
        assert samples[("callcenter_database_unreachable", ())] == 0
    finally:
        await node.stop()


async def test_readiness_says_which_part_is_missing() -> None:
    class Parts:
        def acd_core(self) -> None:
            return None

        def ami_state(self) -> tuple[bool, float | None]:
            return False, None

        def fastagi_sessions(self) -> None:
            return None

        def websocket_clients(self) -> None:
            return None

        def event_log_state(self) -> tuple[int, float | None, int, bool]:
            return 0, None, 0, False

        def leading(self) -> bool:
            return True

    def unreachable() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    from bus.eventbus import EventBus

    ops = OpsServer("127.0.0.1", 0, metrics=NodeMetrics(EventBus(), Parts()), role=lambda: "single",
                    pbx_connected=lambda: False, ping_database=unreachable)
    state = await ops.readiness()
    assert not state.ready
    assert state.to_dict() == {"ready": False, "role": "single", "pbx": "not connected",
                               "database": "unreachable: OperationalError"}


@pytest.mark.redis
@pytest.mark.skipif(not _redis_up(), reason="no Redis server at 127.0.0.1:6379")
async def test_a_standby_answers_its_health_checks_and_is_not_ready(tmp_path: Path) -> None:
    redis.Redis.from_url(REDIS_URL).delete("callcenter:acd-leader")
    said: list[str] = []
    leader = Node(_settings(tmp_path, redis_url=REDIS_URL), directory_factory=crm_directory, say=said.append)
    standby = Node(_settings(tmp_path, redis_url=REDIS_URL), directory_factory=crm_directory, say=said.append)
    waiting: asyncio.Task[None] | None = None
    try:
        await leader.start()
        waiting = asyncio.create_task(standby.start())
        async with asyncio.timeout(10):
            while not any("standby" in line for line in said):
                await asyncio.sleep(0.01)
        assert await _get(standby, "/healthz") == (200, '{"status": "alive"}')
        status, body = await _get(standby, "/readyz")
        assert status == 503 and '"role": "standby"' in body
        status, body = await _get(leader, "/readyz")
        assert status == 200 and '"role": "leader"' in body
        _, text = await _get(standby, "/metrics")
        assert _samples(text)[("callcenter_leader", ())] == 0
    finally:
        if waiting is not None:
            waiting.cancel()
        for node in (standby, leader):
            await node.stop()


def test_the_shipped_dashboard_and_unit_name_only_what_the_node_has() -> None:
    import json
    import re

    from prometheus_client import generate_latest

    from bus.eventbus import EventBus
    from callcenter.cli import build_parser

    class Parts:
        def acd_core(self) -> None:
            return None

        def ami_state(self) -> tuple[bool, float | None]:
            return True, 0.002

        def fastagi_sessions(self) -> int:
            return 1

        def websocket_clients(self) -> int:
            return 1

        def event_log_state(self) -> tuple[int, float | None, int, bool]:
            return 0, None, 0, False

        def leading(self) -> bool:
            return True

    metrics = NodeMetrics(EventBus(), Parts())
    metrics._offered.labels("support").inc()  # a labelled counter shows once it has a queue
    metrics._answered.labels("support").inc()
    metrics._abandoned.labels("support").inc()
    exported = {s.name for family in text_string_to_metric_families(generate_latest(metrics.registry).decode())
                for s in family.samples}
    exported |= {"callcenter_callers_waiting", "callcenter_agents"}  # per queue / state, once an ACD runs
    deploy = Path(__file__).parent.parent / "deploy"
    dashboard = json.loads((deploy / "grafana" / "callcenter.json").read_text())
    used = {name for panel in dashboard["panels"] for target in panel["targets"]
            for name in re.findall(r"callcenter_[a-z_]+", target["expr"])}
    assert used and used <= exported, used - exported
    unit = (deploy / "systemd" / "callcenter.service").read_text()
    command = next(line for line in unit.splitlines() if line.startswith("ExecStart=")).split()[1:]
    args = build_parser().parse_args(command)
    assert args.command == "serve" and args.log_format == "json"
    assert "Restart=always" in unit  # a node that lost the lead (exit 3) comes back as a standby
