"""The AMI client against a scripted PBX: login, correlation, failures, keepalive, restart and resync."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from scripted_ami import SECRET, USERNAME, ClientFactory, ScriptedAmi, trace_messages, with_headers

from bus.eventbus import EventBus, Subscription
from bus.events import DomainEvent
from callcenter.node import ami_config
from callcenter.settings import Settings
from cti.ami.client import (
    AmiActionError,
    AmiActionTimeout,
    AmiAuthenticationError,
    AmiClient,
    AmiDisconnected,
)
from cti.ami.events import (
    ChannelAppeared,
    ChannelHungUp,
    OriginateResult,
    PbxConnected,
    PbxDisconnected,
    PbxResynced,
)
from cti.ami.protocol import AmiInjectionError

HOLD_CALL = {"1795429594.11", "1795429594.12"}  # the MOH call of scenario 05 (both Local legs)


E = TypeVar("E", bound=DomainEvent)


async def next_event(sub: Subscription, kind: type[E], timeout: float = 3.0) -> E:
    async def find() -> E:
        async for event in sub:
            if isinstance(event, kind):
                return event
        raise AssertionError("bus closed")

    return await asyncio.wait_for(find(), timeout)


async def wait_until(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("auth", ["md5", "plain"])
async def test_login_then_resync_adopts_the_live_calls(
    pbx: ScriptedAmi, make_client: ClientFactory, bus: EventBus, auth: str
) -> None:
    sub = bus.subscribe()
    client: AmiClient = make_client(auth=auth)
    await client.connect(timeout=3)
    login = pbx.actions_named("Login")[0]
    if auth == "md5":
        assert "Secret" not in login and len(login["Key"]) == 32
    else:
        assert login["Secret"] == SECRET
    connected = await next_event(sub, PbxConnected)
    assert connected.banner == "Asterisk Call Manager/13.0.0"
    resynced = await next_event(sub, PbxResynced)
    assert set(resynced.uniqueids) == {m["Uniqueid"] for m in pbx.channels}
    assert resynced.appeared == 6
    assert len(client.channels) == 6


async def test_refused_login_raises_and_is_not_retried(
    pbx: ScriptedAmi, make_client: ClientFactory, bus: EventBus
) -> None:
    client: AmiClient = make_client(secret="wrongsecret")
    with pytest.raises(AmiAuthenticationError):
        await client.connect(timeout=3)
    await asyncio.sleep(0.3)  # several backoff periods
    assert pbx.login_attempts == 1
    assert not client.ready


async def test_failing_resync_backs_off_instead_of_spinning(
    pbx: ScriptedAmi, make_client: ClientFactory
) -> None:
    pbx.refused.add("CoreShowChannels")
    client: AmiClient = make_client()
    client.start()
    await asyncio.sleep(0.5)
    assert not client.ready
    assert 2 <= pbx.login_attempts <= 12  # backoff 0.05 s doubling; a hot loop would log in hundreds of times
    pbx.refused.clear()
    await client.wait_ready(timeout=3)


async def test_client_as_context_manager_built_from_settings(pbx: ScriptedAmi, bus: EventBus) -> None:
    settings = Settings(ami_host="127.0.0.1", ami_port=pbx.port, ami_user=USERNAME, ami_secret=SECRET)
    async with AmiClient(ami_config(settings), bus) as client:
        assert client.ready
        assert await client.getvar("CC_X", channel="Local/a@x-1;1") == "42"
    assert not client.ready
    assert pbx.actions_named("Getvar")[0].headers[2] == ("Channel", "Local/a@x-1;1")


async def test_concurrent_actions_get_unique_ids_and_their_own_responses(
    pbx: ScriptedAmi, make_client: ClientFactory
) -> None:
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    results = await asyncio.gather(*(client.getvar(f"CC_VAR_{n}") for n in range(30)), client.ping())
    assert results[:30] == ["42"] * 30
    ids = [a["ActionID"] for a in pbx.actions]
    assert len(ids) == len(set(ids))
    for action in pbx.actions:
        assert action.headers[0][0] == "Action" and action.headers[1][0] == "ActionID"


async def test_list_action_completes_with_all_its_items(pbx: ScriptedAmi, make_client: ClientFactory) -> None:
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    response = await client.send_action("CoreShowChannels")
    assert len(response.events) == 6
    assert response.complete is not None and response.complete["ListItems"] == "6"
    channels = await client.core_show_channels()
    assert [c.channel for c in channels] == [m["Channel"] for m in pbx.channels]


async def test_status_reads_requested_variables(pbx: ScriptedAmi, make_client: ClientFactory) -> None:
    pbx.variables[("1795429594.12", "CTI_CALL_ID")] = "call-7"
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    statuses = await client.status(variables=("CTI_CALL_ID",))
    found = {s.uniqueid: s.variables for s in statuses}
    assert found["1795429594.12"] == (("CTI_CALL_ID", "call-7"),)
    assert found["1795429594.11"] == ()


async def test_resync_can_carry_channel_variables(
    pbx: ScriptedAmi, make_client: ClientFactory, bus: EventBus
) -> None:
    pbx.variables[("1795429594.14", "CTI_CALL_ID")] = "call-9"
    sub = bus.subscribe(ChannelAppeared)
    client: AmiClient = make_client(resync_variables=("CTI_CALL_ID",))
    await client.connect(timeout=3)
    adopted = {}
    while isinstance(event := sub.get_nowait(), ChannelAppeared):
        adopted[event.uniqueid] = event.variables
    assert adopted["1795429594.14"] == (("CTI_CALL_ID", "call-9"),)


async def test_error_response_raises_action_error(pbx: ScriptedAmi, make_client: ClientFactory) -> None:
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    with pytest.raises(AmiActionError, match="Invalid/unknown command"):
        await client.send_action("FooBarBaz")
    unchecked = await client.send_action("FooBarBaz", check=False)
    assert unchecked.status == "Error"


async def test_response_without_action_id_is_logged_and_ignored(
    pbx: ScriptedAmi, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    caplog.set_level(logging.WARNING, logger="cti.ami.session")
    # What an injected Hangup's answer looks like (scenario 10, step e), plus one with a stale ID.
    pbx.push(b"Response: Success\r\nMessage: Channel Hungup\r\n\r\n")
    pbx.push(b"Response: Success\r\nActionID: nobody-1\r\nMessage: late\r\n\r\n")
    assert await client.ping() >= 0
    assert client.ready
    assert any("without ActionID" in r.message for r in caplog.records)
    assert any("nobody-1" in r.message for r in caplog.records)


async def test_action_timeout_leaves_nothing_pending(pbx: ScriptedAmi, make_client: ClientFactory) -> None:
    pbx.silent.add("Getvar")
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    with pytest.raises(AmiActionTimeout):
        await client.send_action("Getvar", {"Variable": "X"}, timeout=0.1)
    assert client.pending_actions == 0
    assert client.ready  # a slow action does not condemn the link


async def test_disconnect_fails_every_pending_action(
    pbx: ScriptedAmi, make_client: ClientFactory, bus: EventBus
) -> None:
    pbx.silent.add("Redirect")
    sub = bus.subscribe(PbxDisconnected)
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    waiting = [asyncio.ensure_future(client.redirect(f"Local/{n}@x-1;1", "ctx", "100")) for n in range(5)]
    await wait_until(lambda: len(pbx.actions_named("Redirect")) == 5)
    assert client.pending_actions == 5
    await pbx.kill()
    results = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), 2)
    assert all(isinstance(r, AmiDisconnected) for r in results)
    assert client.pending_actions == 0
    gone = await next_event(sub, PbxDisconnected)
    assert "closed by the PBX" in gone.reason
    with pytest.raises(AmiDisconnected):
        await client.ping()


async def test_close_fails_pending_actions(pbx: ScriptedAmi, make_client: ClientFactory) -> None:
    pbx.silent.add("Hangup")
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    waiting = asyncio.ensure_future(client.hangup("Local/1@x-1;1", cause=16))
    await wait_until(lambda: client.pending_actions == 1)
    await client.close()
    with pytest.raises(AmiDisconnected):
        await waiting


async def test_missing_pong_drops_the_link_and_reconnects(
    pbx: ScriptedAmi, make_client: ClientFactory, bus: EventBus
) -> None:
    sub = bus.subscribe(PbxDisconnected)
    client: AmiClient = make_client(ping_interval=0.1, ping_timeout=0.2)
    await client.connect(timeout=3)
    pbx.silent.add("Ping")  # the PBX is frozen but the socket stays open
    gone = await next_event(sub, PbxDisconnected)
    assert "no Pong" in gone.reason
    pbx.silent.discard("Ping")
    await client.wait_ready(timeout=3)
    assert client.connects >= 2


async def test_pbx_restart_mid_call_is_recovered_within_two_seconds(
    pbx: ScriptedAmi, make_client: ClientFactory, bus: EventBus
) -> None:
    pbx.silent.add("Redirect")
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    in_flight = asyncio.ensure_future(client.redirect("Local/1001@hold-00000005;2", "ctx", "100"))
    await wait_until(lambda: client.pending_actions == 1)

    await pbx.kill()
    with pytest.raises(AmiDisconnected):
        await asyncio.wait_for(in_flight, 2)
    # While the PBX was away the hold call ended and a new call came in.
    new_leg = with_headers(pbx.channels[0], Uniqueid="1795429700.20", Channel="Local/600@ivr-read-00000009;2")
    pbx.channels = [c for c in pbx.channels if c["Uniqueid"] not in HOLD_CALL] + [new_leg]
    await asyncio.sleep(1.2)  # long enough for the backoff to reach its cap

    differences: list[DomainEvent] = []
    bus.add_listener(differences.append, ChannelAppeared, ChannelHungUp)
    sub = bus.subscribe(PbxResynced)
    restarted = time.monotonic()
    await pbx.start()
    resynced = await next_event(sub, PbxResynced, timeout=3)
    elapsed = time.monotonic() - restarted
    assert elapsed < 2.0, elapsed
    assert set(resynced.uniqueids) == {c["Uniqueid"] for c in pbx.channels}
    assert {e.uniqueid for e in differences if isinstance(e, ChannelHungUp)} == HOLD_CALL
    assert [e.uniqueid for e in differences if isinstance(e, ChannelAppeared)] == ["1795429700.20"]
    assert client.pending_actions == 0
    assert in_flight.done()
    print(f"back and resynced {elapsed * 1000:.0f} ms after the PBX restart")


async def test_live_events_reach_the_bus_and_the_channel_set(
    pbx: ScriptedAmi, make_client: ClientFactory, bus: EventBus
) -> None:
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    sub = bus.subscribe(ChannelAppeared, ChannelHungUp)
    call = [m for m in trace_messages("03-queue-abandon.ami.txt") if m.name in ("Newchannel", "Hangup")]
    for message in call[:2]:
        pbx.push(message.to_bytes())
    first = await next_event(sub, ChannelAppeared)
    await next_event(sub, ChannelAppeared)
    assert first.uniqueid in client.channels
    for message in call[2:]:
        pbx.push(message.to_bytes())
    await next_event(sub, ChannelHungUp)
    await next_event(sub, ChannelHungUp)
    assert first.uniqueid not in client.channels
    assert len(client.channels) == 6


async def test_originate_result_is_matched_by_action_id(
    pbx: ScriptedAmi, make_client: ClientFactory, bus: EventBus
) -> None:
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    sub = bus.subscribe(OriginateResult)
    action_id = await client.originate(
        "Local/5551000@incoming", context="caller", exten="wait", caller_id='"Alice" <5551234>',
        variables={"CTI_CALL_ID": "call-1", "LEAD_SOURCE": "web"},
    )
    result = await next_event(sub, OriginateResult)
    assert (result.action_id, result.success, result.reason) == (action_id, True, 4)
    sent = pbx.actions_named("Originate")[0]
    assert sent.get_all("Variable") == ["CTI_CALL_ID=call-1", "LEAD_SOURCE=web"]
    assert [sent[k] for k in ("Context", "Exten", "Priority", "Async")] == ["caller", "wait", "1", "true"]
    with pytest.raises(ValueError):
        await client.originate("Local/1@x")


async def test_call_control_actions_on_the_wire(pbx: ScriptedAmi, make_client: ClientFactory) -> None:
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    await client.hangup("Local/a@x-1;1", cause=16)
    await client.redirect("Local/a@x-1;2", "redirect-target", "8100", extra_channel="Local/b@x-2;2")
    await client.setvar("CTI_NOTE", "hello", channel="Local/a@x-1;2")
    await client.play_dtmf("Local/a@x-1;1", "4", duration_ms=120)

    def fields(name: str) -> list[tuple[str, str]]:
        return [(k, v) for k, v in pbx.actions_named(name)[0].headers if k not in ("Action", "ActionID")]

    assert fields("Hangup") == [("Channel", "Local/a@x-1;1"), ("Cause", "16")]
    assert fields("Redirect") == [
        ("Channel", "Local/a@x-1;2"), ("Context", "redirect-target"), ("Exten", "8100"), ("Priority", "1"),
        ("ExtraChannel", "Local/b@x-2;2"), ("ExtraContext", "redirect-target"), ("ExtraExten", "8100"),
        ("ExtraPriority", "1"),
    ]
    assert fields("Setvar") == [("Channel", "Local/a@x-1;2"), ("Variable", "CTI_NOTE"), ("Value", "hello")]
    assert fields("PlayDTMF") == [("Channel", "Local/a@x-1;1"), ("Digit", "4"), ("Duration", "120")]


def caller_names_from_scenario10() -> tuple[str, str]:
    """(escaped, raw) caller-ID texts Asterisk sent in scenario 10."""
    messages = list(trace_messages("10-userevent-crlf-injection.ami.txt"))
    escaped = next(m["CallerIDName"] for m in messages if (m.get("CallerIDName") or "").startswith("Bob\\r"))
    raw = next(m["CallerID"] for m in messages if m.name == "Cdr" and "\r" in (m.get("CallerID") or ""))
    return escaped, raw


async def test_raw_caller_id_from_the_pbx_cannot_be_echoed_back(
    pbx: ScriptedAmi, make_client: ClientFactory
) -> None:
    escaped, raw = caller_names_from_scenario10()
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    before = bytes(pbx.raw)
    with pytest.raises(AmiInjectionError):
        await client.setvar("CALLERID(name)", raw, channel="Local/3001@hold-00000051;2")
    with pytest.raises(AmiInjectionError):
        await client.setvar("CALLERID(name)", "Bob\nAction: Hangup", channel="Local/3001@hold-00000051;2")
    await client.ping()  # anything sent before the ping would have arrived by now
    assert pbx.raw[len(before):].count(b"Action:") == 1
    assert b"Setvar" not in pbx.raw[len(before):]
    # The escaped form holds no line break: it goes out as one literal value and sets nothing else.
    await client.setvar("CALLERID(name)", escaped, channel="Local/3001@hold-00000051;2")
    sent = pbx.actions_named("Setvar")
    assert len(sent) == 1 and sent[0]["Value"] == escaped
    assert pbx.actions[-1].name == "Setvar"


BAD = "x\r\nAction: Hangup\r\nChannel: Local/victim@x-1;1"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.originate("Local/1@x", context="c", exten="e", caller_id=BAD),
        lambda c: c.originate("Local/1@x", context="c", exten="e", variables={"CTI_NOTE": BAD}),
        lambda c: c.hangup(BAD),
        lambda c: c.redirect("Local/1@x-1;1", "ctx", BAD),
        lambda c: c.redirect("Local/1@x-1;1", "ctx", "1", extra_channel="x\nAction: Hangup"),
        lambda c: c.setvar("CTI_NOTE", "v\rAction: Hangup"),
        lambda c: c.getvar(BAD),
        lambda c: c.play_dtmf("Local/1@x-1;1", BAD),
        lambda c: c.status(channel=BAD),
        lambda c: c.send_action("UserEvent", {"UserEvent": "Note", "Note": BAD}),
    ],
)
async def test_every_action_path_refuses_cr_lf(
    pbx: ScriptedAmi, make_client: ClientFactory, call: Callable[[AmiClient], Awaitable[object]]
) -> None:
    client: AmiClient = make_client()
    await client.connect(timeout=3)
    sent_before = len(pbx.raw)
    with pytest.raises(AmiInjectionError):
        await call(client)
    await client.ping()
    assert pbx.actions[-1].name == "Ping"
    assert bytes(pbx.raw[sent_before:]).count(b"\r\n\r\n") == 1  # only the Ping


async def test_injection_is_refused_even_while_disconnected(make_client: ClientFactory) -> None:
    client: AmiClient = make_client()
    with pytest.raises(AmiInjectionError):
        await client.hangup("a\nb")
    with pytest.raises(AmiDisconnected):
        await client.hangup("Local/1@x-1;1")
