"""A trunk that sends a caller's number and name in Latin-1 (not UTF-8) must not erase the call.

Through a whole node on its simulator: the FastAGI environment carries the raw byte 0xE9; the call is
identified, queued, offered and popped on the agent's desktop, its events are in the event log and its
interaction row holds the caller's number read as text, and the desktop keeps receiving afterwards.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from acd.events import CallOffered, CallQueued
from agent_desktop.security import CSRF_HEADER
from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.wiring import crm_directory, desktop_app
from crm_core.customers import CustomerService
from crm_core.db import session_scope
from crm_core.eventlog import read_events
from crm_core.interactions import get_leg
from cti.sim import CallerScript
from ivr.events import IvrFinished

CODE = "100008"
QUEUE = {"service_level": {"percent": 80, "seconds": 20}, "wrap_up_seconds": 5}
CONTACT_CENTER: dict[str, Any] = {
    "skills": [{"name": "support"}],
    "queues": [{"name": "support", "skills": {"support": 1}, **QUEUE}, {"name": "sales", **QUEUE},
               {"name": "general", **QUEUE}],
    "agents": [{"id": "1001", "name": "Ada Lovelace", "password": "pw-1001", "phone": "PJSIP/1001",
                "skills": {"support": 8}, "queues": ["support", "sales", "general"]}],
}
# What Asterisk passes on from a Latin-1 trunk: the byte 0xE9, which is not UTF-8. The simulator writes a
# lone surrogate of its own text back as that raw byte.
LATIN1_NUMBER = "3125550\udce9179"
LATIN1_NAME = "Ren\udce9e \udcc5str\udcf6m"


async def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def sign_in(http: aiohttp.ClientSession, base: str, user: str, password: str) -> str:
    """Log in through the form; returns the API's CSRF token."""
    async with http.get(f"{base}/login") as response:
        found = re.search(r'name="csrf_token" value="([^"]+)"', await response.text())
    assert found is not None
    form = {"username": user, "password": password, "csrf_token": found.group(1)}
    async with http.post(f"{base}/login", data=form, allow_redirects=False) as response:
        assert response.status == 303
    async with http.get(f"{base}/api/me") as response:
        return str((await response.json())["csrf_token"])


async def test_a_latin1_caller_is_queued_offered_popped_and_recorded(tmp_path: Path) -> None:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}", http_port=0, ami_port=0, agi_port=0,
                        data_dir=str(tmp_path), raw=dict(CONTACT_CENTER))
    node = Node(settings, directory_factory=crm_directory, say=lambda line: None)
    published: list[Any] = []
    node.bus.add_listener(published.append)
    try:
        await node.start(web_app=desktop_app)
        assert node.simulator is not None and node.sessions is not None
        with session_scope(node.sessions) as session:
            CustomerService(session, "test").create(name="Renée Åström", code=CODE)
        base = f"http://127.0.0.1:{node.http_port}"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            token = await sign_in(http, base, "1001", "pw-1001")
            async with http.ws_connect(f"{base.replace('http', 'ws')}/ws") as ws:
                messages: list[dict[str, Any]] = []

                async def read() -> None:
                    async for frame in ws:
                        if frame.type is aiohttp.WSMsgType.TEXT:
                            messages.append(json.loads(frame.data))

                reader = asyncio.create_task(read())
                async with http.post(f"{base}/api/agent/ready", headers={CSRF_HEADER: token}) as response:
                    assert response.status < 300
                keyed = ((1.0, CODE[0]), *((0.2, d) for d in CODE[1:]), (0.3, "1"))
                await node.simulator.place_inbound_call(
                    "5551000", LATIN1_NUMBER, LATIN1_NAME, script=CallerScript(digits=keyed, patience=60)
                )
                await wait_for(lambda: any(m.get("type") == "call.offered" for m in messages), timeout=60)
                pop = next(m for m in messages if m.get("type") == "call.offered")
                assert pop["ani"] == "3125550é179"
                assert pop["customer"]["name"] == "Renée Åström"
                # The desktop is still fed after the pop: the state change of the answered call arrives.
                seen = len(messages)
                await wait_for(lambda: len(messages) > seen, timeout=30)
                reader.cancel()

        offered = next(e for e in published if isinstance(e, CallOffered))
        call_id = offered.call_id
        assert node.recorder is not None and node.interactions is not None
        await node.recorder.flush()
        await node.interactions.flush()
        with node.sessions() as session:
            logged = {type(e) for e in read_events(session, call_id=call_id)}
            assert {IvrFinished, CallQueued, CallOffered} <= logged
            leg = get_leg(session, call_id)
            assert leg is not None and leg.ani == "3125550é179" and leg.customer_code == CODE
        for event in published:
            event.to_json().encode("utf-8")  # nothing on the bus holds a lone surrogate
    finally:
        await node.stop()
