"""The simulator runs the shipped [callcenter-dialer] context as a real Asterisk did (trace 13, recorded by
tests/asterisk_conf/test_astconf_real_dialer.py): the same dialplan steps, AMD's variables and originate
report for an answering machine under the 'hang up' rule, with the same headers."""

from __future__ import annotations

from sim_testkit import AmiTestClient, trace_key_lists, trace_messages

from cti.ami.protocol import AmiMessage
from cti.sim import PhoneBehaviour, Simulator, SimulatorConfig
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
