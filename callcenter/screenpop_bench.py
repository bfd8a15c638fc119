"""``callcenter bench screenpop``: offer-to-pop latency with many agents logged in, through a whole node.

One process runs a node (FastAGI IVR, ACD, SQLite, web app) with ``--agents`` agents configured; a second
runs the PBX simulator, reached over AMI and FastAGI as a real Asterisk would be (in its own process, as in
production, so its work does not run on the node's event loop); a third holds one WebSocket per agent (the
``websockets`` library), each logged in over HTTP and made ready. The simulator then rings callers in at
``--rate`` per second; each
keys a customer code and picks support in the IVR, the ACD offers the call, and the agent's client
notes when the pop arrives. Latency is from the ``CallOffered`` publication (server clock) to the pop's
arrival (client clock; same machine). Memory per agent is the node's RSS growth while the agents
connected, divided by their number. The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import websockets
from argon2 import PasswordHasher
from sqlalchemy import select
from yarl import URL

from acd.events import CallOffered
from agent_desktop.security import CSRF_HEADER, SESSION_COOKIE
from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.wiring import crm_directory, desktop_app
from crm_core.db import session_scope
from crm_core.demo import seed_demo
from crm_core.models import Customer

FIRST_AGENT_ID = 5000
SUPERVISOR = "bench-supervisor"
PASSWORD = "bench-password"
LOGIN_CONCURRENCY = 25
CALLER_TALK_SECONDS = 2.0
TARGET_P99_MS = 50.0


def percentile(data: list[float], p: float) -> float | None:
    if not data:
        return None
    ordered = sorted(data)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)


def _rss_bytes() -> int:
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")


def contact_center(agents: int) -> dict[str, Any]:
    """The parsed-TOML settings of the benchmark's contact center: the IVR's queues and ``agents`` agents."""
    # A cheap hash, verified at every login: the benchmark measures pops, not password stretching.
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    queue = {"service_level": {"percent": 80, "seconds": 20}, "wrap_up_seconds": 0}
    return {
        "skills": [{"name": "support"}, {"name": "sales"}],
        "queues": [
            {"name": "support", "skills": {"support": 1}, **queue},
            {"name": "sales", "skills": {"sales": 1}, **queue},
            {"name": "general", **queue},
        ],
        "agents": [
            {"id": str(FIRST_AGENT_ID + i), "name": f"Agent {FIRST_AGENT_ID + i}", "password": password_hash,
             "phone": f"PJSIP/{FIRST_AGENT_ID + i}", "skills": {"support": 8, "sales": 8},
             "queues": ["support", "sales", "general"]}
            for i in range(agents)
        ],
        "users": [{"id": SUPERVISOR, "role": "supervisor", "password_hash": password_hash}],
        # Every agent logs in from this one address within seconds.
        "web": {"login_requests_per_minute": 4 * agents + 10},
    }


# --- the agents' side (a separate process) ----------------------------------------------------------


async def _agent_client(
    base_url: str, agent_id: str, gate: asyncio.Semaphore, settled: asyncio.Event,
    stop: asyncio.Event, pops: list[tuple[str, str, float]], ready: list[str],
) -> None:
    """One agent: log in, open the WebSocket, go ready (listed in ``ready``), note every pop until ``stop``.

    ``settled`` is set once the agent is ready or has failed to get there.
    """
    try:
        ws = await _log_in(base_url, agent_id, gate)
    finally:
        settled.set()
    if ws is None:
        return
    ready.append(agent_id)

    async def receive() -> None:
        async for raw in ws:
            received = time.time()
            if isinstance(raw, str) and '"call.offered"' in raw:
                message = json.loads(raw)
                pops.append((message["call_id"], agent_id, received))
                await ws.send(json.dumps({"type": "pop.ack", "call_id": message["call_id"]}))

    reader = asyncio.create_task(receive())
    await stop.wait()
    reader.cancel()
    await ws.close()


async def _log_in(base_url: str, agent_id: str, gate: asyncio.Semaphore) -> Any:
    """A ready agent's open WebSocket, or None when a step is refused."""
    async with gate, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{base_url}/login") as response:
            found = re.search(r'name="csrf_token" value="([^"]+)"', await response.text())
        if found is None:
            return None
        form = {"username": agent_id, "password": PASSWORD, "csrf_token": found.group(1)}
        async with http.post(f"{base_url}/login", data=form, allow_redirects=False) as response:
            if response.status != 303:
                return None
        async with http.get(f"{base_url}/api/me") as response:
            token = (await response.json())["csrf_token"]
        cookie = http.cookie_jar.filter_cookies(URL(base_url)).get(SESSION_COOKIE)
        if cookie is None:
            return None
        ws_url = base_url.replace("http://", "ws://") + "/ws"
        ws = await websockets.connect(ws_url, additional_headers={"Cookie": f"{SESSION_COOKIE}={cookie.value}"})
        await ws.send(json.dumps({"type": "resync", "last_seq": 0}))
        async with http.post(f"{base_url}/api/agent/ready", headers={CSRF_HEADER: token}) as response:
            if response.status != 202:
                await ws.close()
                return None
    return ws


async def _fleet(base_url: str, agent_ids: list[str], conn: Connection) -> None:
    gate = asyncio.Semaphore(LOGIN_CONCURRENCY)
    stop = asyncio.Event()
    pops: list[tuple[str, str, float]] = []
    ready: list[str] = []
    settled = [asyncio.Event() for _ in agent_ids]
    clients = asyncio.gather(*(
        _agent_client(base_url, agent_id, gate, event, stop, pops, ready)
        for agent_id, event in zip(agent_ids, settled, strict=True)
    ), return_exceptions=True)
    await asyncio.gather(*(event.wait() for event in settled))
    conn.send(len(ready))
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # told to stop
    stop.set()
    results = await clients
    conn.send((pops, [repr(r) for r in results if isinstance(r, BaseException)][:3]))


async def _server_side_figures(base_url: str) -> dict[str, Any]:
    """The hub's own offer-to-send and offer-to-ack latencies (``/api/stats/pops``, as a supervisor)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{base_url}/login") as response:
            found = re.search(r'name="csrf_token" value="([^"]+)"', await response.text())
        assert found is not None
        form = {"username": SUPERVISOR, "password": PASSWORD, "csrf_token": found.group(1)}
        async with http.post(f"{base_url}/login", data=form, allow_redirects=False):
            pass
        async with http.get(f"{base_url}/api/stats/pops") as response:
            figures: dict[str, Any] = await response.json()
    return figures


def _fleet_process(base_url: str, agent_ids: list[str], conn: Connection) -> None:
    asyncio.run(_fleet(base_url, agent_ids, conn))


# --- the PBX's side ----------------------------------------------------------------------------------


async def _pbx(ami_port: int, agi_port: int, user: str, secret: str, conn: Connection) -> None:
    """The simulator: tells its AMI port is open, rings in the calls it is sent ``(codes, rate, seconds)``,
    and stops when told."""
    from cti.sim import CallerScript, Simulator, SimulatorConfig

    sim = Simulator(SimulatorConfig(ami_port=ami_port, ami_user=user, ami_secret=secret,
                                    agi_url=f"agi://127.0.0.1:{agi_port}/inbound", shipped_dialplan=True))
    await sim.start()
    loop = asyncio.get_running_loop()
    try:
        conn.send("ready")
        codes, rate, seconds = await loop.run_in_executor(None, conn.recv)
        begin = loop.time()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, begin + i / rate - loop.time()))
            code = codes[i % len(codes)]
            keyed = ((0.3, code[0]), *((0.1, d) for d in code[1:]), (0.2, "1"))
            script = CallerScript(digits=keyed, patience=120, talk_time=CALLER_TALK_SECONDS)
            await sim.place_inbound_call("5551000", f"41555{i:05d}", "", script=script)
        await loop.run_in_executor(None, conn.recv)  # "stop"
    finally:
        await sim.stop()


def _pbx_process(ami_port: int, agi_port: int, user: str, secret: str, conn: Connection) -> None:
    asyncio.run(_pbx(ami_port, agi_port, user, secret, conn))


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the node's side ---------------------------------------------------------------------------------


async def run_screenpop(agents: int, rate: float, seconds: float, codes: int) -> dict[str, Any]:
    """Run the benchmark; returns the figures (see the module docstring)."""
    def say(line: str) -> None:
        print(line, file=sys.stderr)

    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="bench-screenpop-") as tmp:
        settings = Settings(db_url=f"sqlite:///{tmp}/cc.sqlite3", http_port=0, ami_host="127.0.0.1",
                            ami_port=_free_port(), agi_port=_free_port(), data_dir=tmp, raw=contact_center(agents))
        node = Node(settings, directory_factory=crm_directory, say=say)
        offered_at: dict[str, float] = {}

        def on_offer(event: Any) -> None:
            offered_at.setdefault(event.call_id, time.time())

        node.bus.add_listener(on_offer, CallOffered)
        parent, child = spawn.Pipe()
        to_pbx, pbx_end = spawn.Pipe()
        pbx = spawn.Process(target=_pbx_process, daemon=True, args=(
            settings.ami_port, settings.agi_port, settings.ami_user, settings.ami_secret, pbx_end))
        fleet = None
        loop = asyncio.get_running_loop()
        try:
            pbx.start()
            await loop.run_in_executor(None, to_pbx.recv)  # its AMI port is open
            await node.start(web_app=desktop_app)
            assert node.sessions is not None
            with session_scope(node.sessions) as session:
                seed_demo(session, n=codes)
                caller_codes = list(session.scalars(select(Customer.code).order_by(Customer.id)))
            base_url = f"http://127.0.0.1:{node.http_port}"
            agent_ids = [str(FIRST_AGENT_ID + i) for i in range(agents)]
            rss_before = _rss_bytes()
            fleet = spawn.Process(target=_fleet_process, args=(base_url, agent_ids, child), daemon=True)
            started = time.perf_counter()
            fleet.start()
            connected = await loop.run_in_executor(None, parent.recv)
            connect_seconds = time.perf_counter() - started
            await asyncio.sleep(1.0)  # let the last "ready" requests and resyncs settle
            rss_after = _rss_bytes()
            say(f"{connected} agents connected and ready in {connect_seconds:.1f} s")

            total = int(rate * seconds)
            to_pbx.send((caller_codes, rate, seconds))
            deadline = loop.time() + seconds + 60
            while len(offered_at) < total and loop.time() < deadline:
                await asyncio.sleep(0.2)
            await asyncio.sleep(2.0)  # the pops of the last offers
            parent.send("stop")
            pops, errors = await loop.run_in_executor(None, parent.recv)
            server_side = await _server_side_figures(base_url)
        finally:
            if fleet is not None:
                fleet.join(timeout=10)
                if fleet.is_alive():
                    fleet.kill()
            await node.stop()
            if pbx.is_alive():
                to_pbx.send("stop")
                pbx.join(timeout=10)
                if pbx.is_alive():
                    pbx.kill()

    latencies = [(received - offered_at[call_id]) * 1000.0 for call_id, _, received in pops if call_id in offered_at]
    p99 = percentile(latencies, 0.99)
    return {
        "agents": agents,
        "agents_connected": connected,
        "rate_per_s": rate,
        "calls": total,
        "offered": len(offered_at),
        "pops_received": len(pops),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": p99,
        "max_ms": round(max(latencies), 2) if latencies else None,
        "rss_per_agent_kib": round((rss_after - rss_before) / max(1, connected) / 1024, 1),
        "connect_seconds": round(connect_seconds, 1),
        "target_p99_ms": TARGET_P99_MS,
        "target_met": p99 is not None and p99 < TARGET_P99_MS and len(pops) == len(offered_at),
        "client_errors": errors,
        "server_offer_to_send": server_side["offer_to_send"],
        "server_offer_to_ack": server_side["offer_to_ack"],
    }


def _run(args: argparse.Namespace) -> int:
    figures = asyncio.run(run_screenpop(args.agents, args.rate, args.seconds, args.codes))
    print(f"screen pop: {figures['pops_received']}/{figures['offered']} pops, p50 {figures['p50_ms']} ms, "
          f"p99 {figures['p99_ms']} ms, {figures['rss_per_agent_kib']} KiB per connected agent")
    print(json.dumps(figures))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("screenpop", help="offer-to-pop latency with many agents connected")
    parser.add_argument("--agents", type=int, default=500, help="agents logged in over WebSocket")
    parser.add_argument("--rate", type=float, default=20.0, help="calls rung in per second")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long calls are rung in")
    parser.add_argument("--codes", type=int, default=20, help="distinct customers calling")
    parser.set_defaults(func=_run)
