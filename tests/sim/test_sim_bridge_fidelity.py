"""Fidelity: the AMI Bridge action and a Dual Redirect out of its bridge, against trace 06 of a real Asterisk.

The simulator runs the harness contexts of trace 06 (``hold`` answers and loops on music, ``redirect-target``
runs NoOp, Playback, Wait) and the same actions: two held calls, ``Bridge`` of their ``;2`` halves, then one
``Redirect`` with ``ExtraChannel`` sending each to its own target. Every event of the bridge's life must come
in the trace's order with the trace's fields, and each channel must then run its target.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sim_testkit import AmiTestClient, trace_messages

from cti.ami.protocol import AmiMessage, MessageKind
from cti.sim import Simulator, SimulatorConfig

HARNESS_DIALPLAN = """
[hold]
exten => _X.,1,Answer()
 same => n(loop),MusicOnHold(default,30)
 same => n,Goto(loop)

[redirect-target]
exten => _X.,1,NoOp(Redirected ${CHANNEL} to ${EXTEN})
 same => n,Playback(transfer)
 same => n,Wait(20)
 same => n,Hangup()
"""
SPEED = 20
# What a bridge's life shows on AMI; Newexten is left out because the trace's BridgeDestroy races with it.
BRIDGE_LIFE = ("BridgeCreate", "BridgeEnter", "BridgeLeave", "BridgeDestroy", "MusicOnHoldStop", "VarSet",
               "NewConnectedLine")
FIELDS = ("Context", "Exten", "Priority", "BridgeNumChannels", "Variable", "Value", "CallerIDNum",
          "ConnectedLineNum")


def shape(message: AmiMessage, roles: dict[str, str]) -> tuple[str, ...]:
    """An event as compared: name, the role of its channel, its field names in order, its telling values."""
    keys = ",".join(k for k, _ in message.headers)
    values = (roles.get(message.get(k) or "", message.get(k) or "") for k in FIELDS)
    return message.name, roles.get(message.get("Channel") or "", ""), keys, *values


def bridge_life(messages: list[AmiMessage], roles: dict[str, str]) -> list[tuple[str, ...]]:
    """The compared events of the first bridge made in ``messages``, from its creation to its destruction."""
    events = [m for m in messages if m.kind is MessageKind.EVENT]
    start = next(i for i, m in enumerate(events) if m.name == "BridgeCreate")
    bridge = events[start]["BridgeUniqueid"]
    end = next(i for i, m in enumerate(events) if m.name == "BridgeDestroy" and m["BridgeUniqueid"] == bridge)
    return [shape(m, roles) for m in events[start : end + 1] if m.name in BRIDGE_LIFE
            and (m.get("BridgeUniqueid") == bridge or m.get("Channel") in roles)
            and (m.name != "VarSet" or m["Variable"] == "BRIDGEPEER")]


def targets_run(messages: list[AmiMessage], channel: str) -> list[tuple[str, str, str, str]]:
    """Where ``channel`` went after its BridgeLeave: (context, exten, priority, application) of its Newexten."""
    mine = [m for m in messages if m.kind is MessageKind.EVENT and m.get("Channel") == channel]
    left = max(i for i, m in enumerate(mine) if m.name == "BridgeLeave")
    return [(m["Context"], m["Exten"], m["Priority"], m["Application"]) for m in mine[left:]
            if m.name == "Newexten"][:2]


def trace_part_b() -> tuple[list[AmiMessage], dict[str, str]]:
    """Trace 06 from the Bridge action on, and the roles of the two bridged channels."""
    messages = trace_messages("06-redirect-bridge-transfer")
    one, two = (next(m["Channel"] for m in messages if m.name == "Newchannel" and m["Channel"].startswith(prefix))
                for prefix in ("Local/2001@", "Local/2002@"))
    start = next(i for i, m in enumerate(messages) if m.get("Message") == "Channels have been bridged")
    return messages[start:], {one[:-1] + "2": "A", two[:-1] + "2": "B"}


@pytest.fixture
async def ami() -> AsyncIterator[AmiTestClient]:
    sim = Simulator(SimulatorConfig(ami_port=0, agi_url="agi://127.0.0.1:1/unused", speed=SPEED,
                                    dialplan=HARNESS_DIALPLAN, prompt_lengths={"transfer": 2.0}))
    await sim.start()
    client = await AmiTestClient.connect(sim.ami_port)
    await client.login()
    yield client
    await client.close()
    await sim.stop()


async def test_bridge_action_then_dual_redirect_matches_trace_06(ami: AmiTestClient) -> None:
    for exten, name in (("2001", '"Hold A" <5556101>'), ("2002", '"Hold B" <5556102>')):
        await ami.action("Originate", {"Channel": f"Local/{exten}@hold", "Context": "caller", "Exten": "wait",
                                       "Priority": "1", "CallerID": name, "Async": "true"})
    await ami.wait_for(lambda: len(ami.named("MusicOnHoldStart")) == 2)
    one, two = (e["Channel"] for e in ami.named("MusicOnHoldStart"))
    roles = {one: "A", two: "B"}
    before = len(ami.events)
    bridged = await ami.action("Bridge", {"Channel1": one, "Channel2": two, "Tone": "no"})
    await ami.wait_for(lambda: len(ami.named("NewConnectedLine")) >= 2)
    redirected = await ami.action("Redirect", {
        "Channel": one, "ExtraChannel": two, "Context": "redirect-target", "Exten": "8100", "Priority": "1",
        "ExtraContext": "redirect-target", "ExtraExten": "8200", "ExtraPriority": "1"})
    await ami.wait_for(lambda: sum(e["Application"] == "Playback" for e in ami.named("Newexten")) == 2)

    trace, trace_roles = trace_part_b()
    ours = ami.events[before:]
    for response in (bridged, redirected):
        recorded = next(m for m in trace if m.kind is MessageKind.RESPONSE and m.get("Message") == response["Message"])
        assert [k for k, _ in response.headers] == [k for k, _ in recorded.headers]
    assert (bridged["Message"], redirected["Message"]) == ("Channels have been bridged", "Dual Redirect successful")
    assert bridge_life(ours, roles) == bridge_life(trace, trace_roles)
    for channel, theirs in zip((one, two), trace_roles, strict=True):
        assert targets_run(ours, channel) == targets_run(trace, theirs)
    assert targets_run(ours, two) == [("redirect-target", "8200", "1", "NoOp"),
                                      ("redirect-target", "8200", "2", "Playback")]
    assert not ami.named("Hangup")


async def test_bridge_action_refusals_say_what_asterisk_says(ami: AmiTestClient) -> None:
    await ami.action("Originate", {"Channel": "Local/2001@hold", "Context": "caller", "Exten": "wait",
                                   "Async": "true"})
    await ami.wait_for(lambda: ami.named("MusicOnHoldStart"))
    held = ami.named("MusicOnHoldStart")[0]["Channel"]
    cases = [
        ({"Channel1": held}, "Missing channel parameter in request"),
        ({"Channel1": "Local/nosuch", "Channel2": held}, "Channel1 does not exist: Local/nosuch"),
        ({"Channel1": held, "Channel2": "Local/nosuch"}, "Channel2 does not exist: Local/nosuch"),
        ({"Channel1": held, "Channel2": held}, f"Unable to add Channel2 to bridge: {held}"),
    ]
    for fields, message in cases:
        response = await ami.action("Bridge", fields)
        assert (response["Response"], response["Message"]) == ("Error", message)
    assert not ami.named("BridgeCreate")
    assert [e["Channel"] for e in ami.named("MusicOnHoldStop")] == []
