"""The simulator runs the shipped [callcenter-dialer] context as a real Asterisk did (trace 13, recorded by
tests/asterisk_conf/test_astconf_real_dialer.py): the same dialplan steps, AMD's variables and originate
report for an answering machine under the 'hang up' rule, with the same headers; and a call dialled by hand
(trace 14, recorded by the same test module) runs Dial on the agent's channel with the same events."""

from __future__ import annotations

from sim_testkit import AmiTestClient, trace_key_lists, trace_messages

from cti.ami.protocol import AmiMessage
from cti.sim import PhoneBehaviour, PhoneOutcome, Simulator, SimulatorConfig
from cti.sim.config import CalleePopulation

TRACE = "13-dialer-context"
MACHINE = "+12125550102"
AMD_VARIABLES = ("AMDSTATUS", "AMDCAUSE", "CC_AMD_CAUSE", "CC_AMD_STATUS")


def attempt_of(messages: list[AmiMessage], number: str) -> str:
    return next(m["Uniqueid"] for m in messages if m.name == "OriginateResponse" and f"/{number}@" in m["Channel"])


def timeline(messages: list[AmiMessage], attempt: str) -> list[tuple[str, ...]]:
    """The attempt's originated channel in the dialer context: its steps, AMD's variables, the originate report."""
    out: list[tuple[str, ...]] = []
    for m in messages:
        if m.get("Uniqueid") != attempt:
            continue
        if m.name == "Newexten" and m["Context"] == "callcenter-dialer":
            out.append(("step", m["Application"], m["AppData"].replace(attempt, "<attempt>").split(", attempt")[0]))
        elif m.name == "VarSet" and m["Variable"] in AMD_VARIABLES:
            out.append(("var", m["Variable"], m["Value"]))
        elif m.name == "OriginateResponse":
            out.append(("originate", m["Response"], m["Reason"]))
    return out


async def test_an_answering_machine_goes_through_the_dialer_context_as_on_a_real_asterisk() -> None:
    recorded = trace_messages(TRACE)
    expected = timeline(recorded, attempt_of(recorded, MACHINE))
    assert ("var", "AMDSTATUS", "MACHINE") in expected  # the recording is the one this test is about
    sim = Simulator(SimulatorConfig(
        ami_port=0, agi_url="agi://127.0.0.1:1/inbound", speed=20, shipped_dialplan=True,
        callees=CalleePopulation(always={MACHINE: PhoneBehaviour(answer_after=0.5, greeting=6.0)})))
    await sim.start()
    client = await AmiTestClient.connect(sim.ami_port)
    try:
        await client.login()
        attempt = "dial-5eed00-2"
        await client.action("Originate", [
            ("Channel", f"Local/{MACHINE}@callcenter-outbound"), ("Context", "callcenter-dialer"),
            ("Exten", attempt), ("Priority", "1"), ("CallerID", "+12125550199"), ("Timeout", "15000"),
            ("ChannelId", attempt), ("OtherChannelId", f"{attempt}.2"),
            ("Variable", "CC_CAMPAIGN_ID=1"), ("Variable", "CC_LEAD_ID=2"), ("Variable", f"CC_ATTEMPT_ID={attempt}"),
            ("Variable", "CC_MACHINE_RULE=hangup"), ("Variable", "CC_MACHINE_MESSAGE=vm-goodbye"),
            ("Variable", "CC_ABANDON_MESSAGE=sorry-youre-having-problems"), ("Async", "true")],
            action_id="dial-machine")
        await client.wait_for(lambda: any(m.name == "Hangup" and m["Uniqueid"] == attempt for m in client.events))
        ours = timeline(client.events, attempt)
        assert sorted(ours) == sorted(expected)  # the same steps and values (the report may come earlier)
        assert [t for t in ours if t[0] != "originate"] == [t for t in expected if t[0] != "originate"]
        keys = trace_key_lists([TRACE])
        for m in client.events:
            if m.name in ("OriginateResponse", "VarSet", "Newexten") and m.get("Uniqueid") == attempt:
                assert tuple(k for k, _ in m.headers) in keys[m.name], m.name
    finally:
        await client.close()
        await sim.stop()


MANUAL_TRACE = "14-manual-call"
PERSON, BUSY = "+12125550101", "+12125550103"


def call_timeline(messages: list[AmiMessage], call_id: str) -> list[tuple[str, ...]]:
    """A call dialled by hand as its own channel (the call id) tells it: running Dial of the number, the dial's
    start and end with its status, the originate's report and the hang-up."""
    out: list[tuple[str, ...]] = []
    for m in messages:
        if m.get("Uniqueid") != call_id:
            continue
        if m.name == "Newexten" and m["Application"] == "Dial":
            out.append(("dial app", m["AppData"]))
        elif m.name == "DialBegin":
            out.append(("dial begin", m["DestChannel"].split("@")[0], m["DialString"]))
        elif m.name == "DialEnd":
            out.append(("dial end", m["DialStatus"]))
        elif m.name == "OriginateResponse":
            out.append(("originate", m["Response"], m["Reason"]))
        elif m.name == "Hangup":
            out.append(("hangup",))
    return out


def recorded_call(number: str) -> list[tuple[str, ...]]:
    recorded = trace_messages(MANUAL_TRACE)
    [call_id] = {m["Uniqueid"] for m in recorded if m.name == "DialBegin" and m.get("Uniqueid", "").startswith(
        "manual-") and f"/{number}@" in m["DestChannel"]}
    return call_timeline(recorded, call_id)


async def test_a_call_dialled_by_hand_runs_dial_on_the_agents_channel_as_on_a_real_asterisk() -> None:
    expected = {number: recorded_call(number) for number in (PERSON, BUSY)}
    assert ("dial end", "BUSY") in expected[BUSY]  # the recording is the one this test is about
    agent_phone = PhoneBehaviour(answer_after=0.0)
    sim = Simulator(SimulatorConfig(
        ami_port=0, agi_url="agi://127.0.0.1:1/inbound", speed=20, shipped_dialplan=True,
        phones={"Local/a1@cc-test-phones/n": agent_phone, "Local/a2@cc-test-phones/n": agent_phone},
        callees=CalleePopulation(always={PERSON: PhoneBehaviour(answer_after=0.5, greeting=1.0),
                                         BUSY: PhoneBehaviour(PhoneOutcome.BUSY, answer_after=0.0)})))
    await sim.start()
    client = await AmiTestClient.connect(sim.ami_port)
    try:
        await client.login()
        for agent, number, call_id in (("a1", PERSON, "manual-talk"), ("a2", BUSY, "manual-busy")):
            await client.action("Originate", [
                ("Channel", f"Local/{agent}@cc-test-phones/n"), ("Application", "Dial"),
                ("Data", f"Local/{number}@callcenter-outbound"), ("CallerID", number), ("Timeout", "30000"),
                ("ChannelId", call_id), ("Async", "true")], action_id=call_id)
        def seen(name: str, call_id: str) -> bool:
            return any(m.name == name and m.get("Uniqueid") == call_id for m in client.events)

        await client.wait_for(lambda: seen("Hangup", "manual-busy"))
        await client.wait_for(lambda: seen("DialEnd", "manual-talk"))
        await client.action("Hangup", [("Channel", next(
            m["Channel"] for m in client.events if m.get("Uniqueid") == "manual-talk"))])
        await client.wait_for(lambda: seen("Hangup", "manual-talk"))  # the agent hung up
        for call_id, number in (("manual-talk", PERSON), ("manual-busy", BUSY)):
            ours = call_timeline(client.events, call_id)
            # the same steps in the same order (the originate's report may come at another place among them)
            assert sorted(ours) == sorted(expected[number]), number
            assert [t for t in ours if t[0] != "originate"] == [t for t in expected[number] if t[0] != "originate"]
        keys = trace_key_lists([MANUAL_TRACE])  # and with the same headers
        for m in client.events:
            if m.name in ("DialBegin", "DialEnd", "Hangup") and m.get("Uniqueid", "").startswith("manual-"):
                assert tuple(k for k, _ in m.headers) in keys[m.name], m.name
    finally:
        await client.close()
        await sim.stop()
