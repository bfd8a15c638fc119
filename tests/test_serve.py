"""A whole node on its embedded defaults: simulator, SQLite, IVR, event log, web app."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

from acd.events import CallConnected
from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.wiring import crm_directory, desktop_app
from crm_core.eventlog import read_events
from cti.ami.events import ChannelAppeared
from cti.sim import CallerScript
from ivr.events import IvrFinished


async def _wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_a_simulated_call_is_identified_and_lands_in_the_event_log(tmp_path: Path) -> None:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}",
        http_port=0,
        ami_port=0,
        agi_port=0,
        data_dir=str(tmp_path),
        demo=True,
    )
    lines: list[str] = []
    node = Node(settings, directory_factory=crm_directory, say=lines.append)
    try:
        await node.start(web_app=desktop_app)
        assert any("SIMULATOR" in line for line in lines)
        assert any("demo login (agent)" in line for line in lines)
        assert node.simulator is not None and node.sessions is not None
        code = node.demo_codes[3]
        finished: list[IvrFinished] = []
        # Demo traffic runs too: follow our caller by number.
        node.bus.add_listener(
            lambda e: finished.append(e) if isinstance(e, IvrFinished) and e.caller.ani == "5550100" else None
        )
        connected: list[CallConnected] = []
        node.bus.add_listener(lambda e: connected.append(e) if isinstance(e, CallConnected) else None)
        # the code, then support in the menu
        digits = (*((1.0 if i == 0 else 0.2, d) for i, d in enumerate(code)), (0.3, "1"))
        script = CallerScript(digits=digits, patience=60)
        await node.simulator.place_inbound_call("5551000", "5550100", "Test Caller", script=script)
        await _wait_for(lambda: bool(finished), timeout=60)
        assert finished[0].caller.customer_code == code
        # The ACD hands the identified caller to one of the simulated demo agents.
        await _wait_for(lambda: any(o.call_id == finished[0].call_id for o in connected), timeout=60)
        assert node.recorder is not None
        await node.recorder.flush()
        with node.sessions() as session:
            logged = read_events(session)
        assert any(isinstance(e, ChannelAppeared) for e in logged)
        assert any(isinstance(e, IvrFinished) and e.caller.customer_code == code for e in logged)
        assert any(isinstance(e, CallConnected) and e.call_id == finished[0].call_id for e in logged)

        login_url = f"http://127.0.0.1:{node.http_port}/login"
        async with aiohttp.ClientSession() as http, http.get(login_url) as response:
            assert response.status == 200
            assert "password" in (await response.text()).lower()
    finally:
        await node.stop()
