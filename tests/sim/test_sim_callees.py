"""The simulated callees a dialler reaches: AMD()'s verdict on persons and machines, numbers not in service,
and a population's shares."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

from hypothesis import given
from hypothesis import strategies as st
from sim_testkit import AmiTestClient

from cti.sim import PhoneBehaviour, PhoneOutcome, Simulator, SimulatorConfig
from cti.sim.callees import MAXIMUM_WORD_MS, amd_verdict, draw_callee
from cti.sim.config import ANSWER_BY_HOUR, CalleePopulation

AMD_CONTEXT = """
[amd-check]
exten => _[a-zA-Z].,1,AMD()
 same => n,Set(CC_AMD_STATUS=${AMDSTATUS})
 same => n,Set(CC_AMD_CAUSE=${AMDCAUSE})
 same => n,Hangup()
"""
CAST = {
    "5550001": PhoneBehaviour(answer_after=0.5, greeting=0.6),  # "hello?"
    "5550002": PhoneBehaviour(answer_after=0.5, greeting=4.0),  # "you have reached ..."
    "5550003": PhoneBehaviour(outcome=PhoneOutcome.INVALID, answer_after=0.0),
}


async def test_amd_tells_persons_from_machines_and_invalid_numbers_fail_with_cause_1() -> None:
    config = SimulatorConfig(ami_port=0, agi_url="agi://127.0.0.1:1/x", speed=20, dialplan=AMD_CONTEXT,
                             callees=CalleePopulation(always=CAST))
    sim = Simulator(config)
    await sim.start()
    client = await AmiTestClient.connect(sim.ami_port)
    try:
        await client.login()
        for number, name in (("5550001", "person"), ("5550002", "machine"), ("5550003", "invalid")):
            await client.action("Originate", [
                ("Channel", f"Local/{number}@callcenter-outbound"), ("Context", "amd-check"), ("Exten", name),
                ("ChannelId", f"att-{name}"), ("Timeout", "20000"), ("Async", "true")], action_id=f"dial-{name}")
        await client.wait_for(lambda: len(client.named("OriginateResponse")) == 3)
        await client.wait_for(lambda: sum(m["Variable"] == "CC_AMD_CAUSE" for m in client.named("VarSet")) == 2)
        verdicts = {m["Uniqueid"]: m["Value"] for m in client.named("VarSet") if m["Variable"] == "CC_AMD_STATUS"}
        assert verdicts == {"att-person": "HUMAN", "att-machine": "MACHINE"}
        causes = {m["Value"] for m in client.named("VarSet") if m["Variable"] == "CC_AMD_CAUSE"}
        assert causes == {"HUMAN-800-800", "LONGGREETING-1500-1500"}
        invalid = next(m for m in client.named("OriginateResponse") if m["ActionID"] == "dial-invalid")
        assert (invalid["Response"], invalid["Reason"]) == ("Failure", "0")
        gone = [m for m in client.named("Hangup") if m["Channel"].startswith("Local/5550003@")]
        assert {m["Cause"] for m in gone} >= {"1"}
    finally:
        await client.close()
        await sim.stop()


@given(st.floats(min_value=0.0, max_value=20.0))
def test_amd_calls_a_greeting_longer_than_a_word_a_machine(greeting: float) -> None:
    status, cause, listened = amd_verdict(greeting)
    assert status == ("MACHINE" if greeting * 1000 >= MAXIMUM_WORD_MS + 1 else "HUMAN")
    assert cause.startswith("LONGGREETING-" if status == "MACHINE" else "HUMAN-")
    assert listened <= MAXIMUM_WORD_MS / 1000 + 0.8  # a verdict within 2.3 s of the answer


def test_a_population_draws_its_shares() -> None:
    population = CalleePopulation(invalid=0.1, busy=0.2, no_answer=0.3, machines=0.5)
    rng = random.Random(7)
    drawn = [draw_callee(population, "5551234", rng, 0.0) for _ in range(4000)]
    share = {o: sum(p.outcome is o for p in drawn) / len(drawn) for o in PhoneOutcome}
    assert abs(share[PhoneOutcome.INVALID] - 0.1) < 0.03 and abs(share[PhoneOutcome.BUSY] - 0.2) < 0.03
    assert abs(share[PhoneOutcome.NO_ANSWER] - 0.3) < 0.03
    answered = [p for p in drawn if p.outcome is PhoneOutcome.ANSWER]
    machines = sum(amd_verdict(p.greeting)[0] == "MACHINE" for p in answered) / len(answered)
    assert abs(machines - 0.5) < 0.05


def test_people_answer_more_at_the_hours_the_population_says() -> None:
    """The demo's callees (the bench's curve): more answers at 18:00 in New York than at 08:00, busy and
    invalid numbers alike at any hour."""
    population = CalleePopulation(by_hour=ANSWER_BY_HOUR)
    new_york = zoneinfo.ZoneInfo("America/New_York")

    def answered_at(hour: int) -> float:
        at = dt.datetime(2026, 3, 3, hour, 0, tzinfo=new_york).timestamp()
        rng = random.Random(11)
        drawn = [draw_callee(population, "5551234", rng, at) for _ in range(6000)]
        assert abs(sum(p.outcome is PhoneOutcome.BUSY for p in drawn) / len(drawn) - population.busy) < 0.02
        return sum(p.outcome is PhoneOutcome.ANSWER for p in drawn) / len(drawn)

    average = 1 - population.invalid - population.busy - population.no_answer
    assert abs(answered_at(8) - average * ANSWER_BY_HOUR[8]) < 0.03
    assert abs(answered_at(18) - average * ANSWER_BY_HOUR[18]) < 0.03
    assert abs(answered_at(3) - average * population.off_hours) < 0.03  # a night hour the curve leaves out
