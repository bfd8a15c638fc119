"""The simulator's AMI server against trace 01 (login, challenge, ping, events, errors, logoff)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator

import pytest
from sim_testkit import AmiTestClient, trace_key_lists, trace_messages

from cti.sim import Simulator, SimulatorConfig


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(SimulatorConfig(ami_port=0, agi_url="agi://127.0.0.1:1/none", speed=10))
    await simulator.start()
    yield simulator
    await simulator.stop()


def keys(msg: object) -> list[str]:
    return [k for k, _ in msg.headers]  # type: ignore[attr-defined]


async def test_banner_and_plain_login_as_in_trace(sim: Simulator) -> None:
    client = await AmiTestClient.connect(sim.ami_port)
    response = await client.login()
    assert client.banner is not None and client.banner.name == "Asterisk Call Manager/13.0.0"
    assert response.headers == (
        ("Response", "Success"),
        ("ActionID", "t-1"),
        ("Message", "Authentication accepted"),
    )
    await client.wait_for(lambda: client.named("SuccessfulAuth"))
    recorded = trace_key_lists(["01-login"])
    assert [e.name for e in client.events] == ["FullyBooted", "SuccessfulAuth"]
    for event in client.events:
        assert tuple(keys(event)) in recorded[event.name]
    assert (await client.action("Login", {"Username": "cti", "Secret": "ctisecret"})).get("Message") == (
        "Already authenticated"
    )
    await client.close()


async def test_wrong_secret_fails_after_one_second_and_closes(sim: Simulator) -> None:
    monitor = await AmiTestClient.connect(sim.ami_port)
    await monitor.login()
    client = await AmiTestClient.connect(sim.ami_port)
    denied = await client.action("Ping", {}, action_id="ping-before-login")
    assert denied.headers == (
        ("Response", "Error"),
        ("ActionID", "ping-before-login"),
        ("Message", "Permission denied"),
    )
    started = time.monotonic()
    failed = await client.login(secret="wrongsecret")
    assert time.monotonic() - started >= 0.95
    assert failed.get("Message") == "Authentication failed"
    await asyncio.wait_for(client.closed.wait(), 2)
    unknown = await AmiTestClient.connect(sim.ami_port)
    await unknown.login(user="nosuchuser")
    await monitor.wait_for(lambda: monitor.named("InvalidAccountID"))
    recorded = trace_key_lists(["01-login"])
    for name in ("RequestNotAllowed", "InvalidPassword", "InvalidAccountID"):
        (event,) = monitor.named(name)
        assert tuple(keys(event)) in recorded[name]
    assert monitor.named("InvalidPassword")[0].get("EventVersion") == "2"
    await monitor.close()
    await client.close()
    await unknown.close()


async def test_md5_login_with_events_off_then_ping_events_unknown_logoff(sim: Simulator) -> None:
    client = await AmiTestClient.connect(sim.ami_port)
    challenge = await client.action("Challenge", {"AuthType": "MD5"})
    assert keys(challenge) == ["Response", "ActionID", "Challenge"]
    key = hashlib.md5((challenge["Challenge"] + "ctisecret").encode()).hexdigest()
    login = await client.action("Login", {"AuthType": "MD5", "Username": "cti", "Key": key, "Events": "off"})
    assert login.get("Message") == "Authentication accepted"
    ping = await client.action("Ping", action_id=None)
    assert keys(ping) == ["Response", "Ping", "Timestamp"]
    assert abs(float(ping["Timestamp"]) - time.time()) < 5
    assert keys(await client.action("Ping")) == ["Response", "ActionID", "Ping", "Timestamp"]
    assert (await client.action("Events", {"EventMask": "call,agent"})).get("Events") == "On"
    assert (await client.action("Events", {"EventMask": "off"})).get("Events") == "Off"
    unknown = await client.action("FooBarBaz")
    assert unknown.get("Message") == (
        "Invalid/unknown command: FooBarBaz. Use Action: ListCommands to show available commands."
    )
    bye = await client.action("Logoff")
    assert bye.headers[0] == ("Response", "Goodbye") and bye.get("Message") == "Thanks for all the fish."
    await asyncio.wait_for(client.closed.wait(), 2)
    assert client.events == []  # events were off from the login on: no FullyBooted either


def test_trace_01_responses_have_the_shapes_the_server_writes() -> None:
    """Guard against the fixture changing under the tests above: the shapes they assert are recorded."""
    responses = [m for m in trace_messages("01-login", conn=4) if m.kind.value == "response"]
    shapes = {tuple(keys(m)) for m in responses}
    assert ("Response", "Ping", "Timestamp") in shapes
    assert ("Response", "ActionID", "Challenge") in shapes
