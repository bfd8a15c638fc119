"""Originate outcomes (trace 07), sync failures, Dial's ring time, and the Poisson traffic generator."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_testkit import AmiTestClient, trace_messages

from cti.sim import PhoneBehaviour, PhoneOutcome, Simulator, SimulatorConfig, TrafficSettings
from cti.sim.channel import parse_dial_timeout
from cti.sim.traffic import arrivals

CASES = {
    "busy": PhoneOutcome.BUSY,
    "noanswer": PhoneOutcome.NO_ANSWER,
    "congestion": PhoneOutcome.CONGESTION,
    "rejected": PhoneOutcome.REJECT,
}


def recorded_outcome(case: str) -> tuple[str, str, str, dict[str, str]]:
    """(Response, Reason, Uniqueid, {leg suffix: hangup cause}) of one traced dialer case."""
    trace = trace_messages("07-dialer-originate-amd")
    response = next(m for m in trace if m.name == "OriginateResponse" and m["ActionID"] == f"dial-{case}")
    causes = {
        m["Channel"][-2:]: m["Cause"]
        for m in trace
        if m.name == "Hangup" and m["Channel"].startswith(f"Local/{case}@outbound-")
    }
    return response["Response"], response["Reason"], response["Uniqueid"], causes


async def test_originate_failures_report_what_asterisk_reports() -> None:
    phones = {
        f"Local/{case}@outbound": PhoneBehaviour(outcome=outcome, answer_after=0.5)
        for case, outcome in CASES.items()
    }
    sim = Simulator(SimulatorConfig(ami_port=0, agi_url="agi://127.0.0.1:1/x", speed=20, phones=phones))
    await sim.start()
    client = await AmiTestClient.connect(sim.ami_port)
    try:
        await client.login()
        for case in CASES:
            await client.action(
                "Originate",
                [
                    ("Channel", f"Local/{case}@outbound"),
                    ("Context", "dialer"),
                    ("Exten", "connected"),
                    ("CallerID", '"Campaign 7" <5557000>'),
                    ("Timeout", "6000"),
                    ("Async", "true"),
                ],
                action_id=f"dial-{case}",
            )
        await client.wait_for(lambda: len(client.named("OriginateResponse")) == len(CASES))
        await client.wait_for(lambda: len(client.named("Hangup")) == 2 * len(CASES))
        for case in CASES:
            ours = next(m for m in client.named("OriginateResponse") if m["ActionID"] == f"dial-{case}")
            causes = {
                m["Channel"][-2:]: m["Cause"]
                for m in client.named("Hangup")
                if m["Channel"].startswith(f"Local/{case}@outbound-")
            }
            assert (ours["Response"], ours["Reason"], ours["Uniqueid"], causes) == recorded_outcome(case), (
                case
            )
            assert ours["Channel"] == f"Local/{case}@outbound"
        failed = await client.action("Originate", {"Channel": "Foo/bar", "Exten": "1", "Context": "x"})
        assert (failed["Response"], failed["Message"]) == ("Error", "Originate failed")
    finally:
        await client.close()
        await sim.stop()


async def test_sync_originate_answers_after_the_call_is_up() -> None:
    sim = Simulator(
        SimulatorConfig(
            ami_port=0,
            agi_url="agi://127.0.0.1:1/x",
            speed=20,
            phones={"PJSIP/5551234": PhoneBehaviour(answer_after=1.0)},
        )
    )
    await sim.start()
    client = await AmiTestClient.connect(sim.ami_port)
    try:
        await client.login()
        ok = await client.action(
            "Originate", {"Channel": "PJSIP/5551234", "Application": "Wait", "Data": "100"}
        )
        assert ok.get("Message") == "Originate successfully queued"
        assert [c for c in sim.live_channels()] == ["PJSIP/5551234-00000000"]
        assert client.named("OriginateResponse") == []
    finally:
        await client.close()
        await sim.stop()


def test_traffic_is_poisson_and_deterministic() -> None:
    settings_ = TrafficSettings(calls_per_hour=720, mean_handle_s=240, max_calls=4000)
    first = list(arrivals(settings_, seed=7))
    assert first == list(arrivals(settings_, seed=7))
    assert first != list(arrivals(settings_, seed=8))
    gaps = [b.at - a.at for a, b in itertools.pairwise(first)]
    assert abs(sum(gaps) / len(gaps) - 5.0) < 0.3  # 720 calls/h = one every 5 s on average
    assert abs(sum(a.handle_time for a in first) / len(first) - 240) < 15


@settings(max_examples=30, deadline=None)
@given(rate=st.floats(1, 10_000), seed=st.integers(0, 2**32), n=st.integers(1, 50))
def test_arrivals_are_ordered_and_bounded(rate: float, seed: int, n: int) -> None:
    calls = list(arrivals(TrafficSettings(calls_per_hour=rate, max_calls=n), seed))
    assert len(calls) == n
    assert all(a.at < b.at for a, b in itertools.pairwise(calls))
    assert all(c.handle_time > 0 and len(c.caller_num) == 10 for c in calls)


async def test_generated_traffic_places_calls_into_the_pbx() -> None:
    sim = Simulator(
        SimulatorConfig(
            ami_port=0,
            agi_url="agi://127.0.0.1:1/x",
            speed=200,
            seed=3,
            traffic=TrafficSettings(calls_per_hour=3600, max_calls=5),
        )
    )
    seen: list[str] = []
    sim.add_event_sink(lambda h: seen.append(h[2][1]) if h[0][1] == "Newchannel" else None)
    await sim.start()
    try:
        await asyncio.sleep(0.5)
    finally:
        await sim.stop()
    assert len([c for c in seen if c.endswith(";1")]) == 5


@pytest.mark.parametrize(("text", "seconds"), [
    ("20", 20.0), ("1.7", 1.7), (" 2 ", 2.0), ("1.5^3", 1.5),  # a ^progress timeout after it is not simulated
    ("", None), ("0", None), ("-1", None), ("soon", None),  # Asterisk rings on (an 'invalid answer timeout')
])
def test_dial_rings_for_the_seconds_asterisk_reads_a_decimal_part_included(text: str, seconds: float | None) -> None:
    assert parse_dial_timeout(text) == seconds
