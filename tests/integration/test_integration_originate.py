"""Originate through our AMI client into the real simulator: async outcomes, channel events, sync errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from integration_kit import WAIT, BusRecorder, ami_config, client_uniqueids, sim_config, uniqueids_of

from bus.eventbus import EventBus
from cti.ami.client import AmiActionError, AmiClient
from cti.ami.events import (
    ChannelAppeared,
    ChannelHungUp,
    ChannelStateChanged,
    DialEnded,
    DialStarted,
    OriginateResult,
    VariableSet,
)
from cti.sim import PhoneBehaviour, PhoneOutcome, Simulator

ANSWERS = "PJSIP/2001"
BUSY = "PJSIP/2002"
STATE_UP = 6


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    phones = {
        ANSWERS: PhoneBehaviour(answer_after=1.0),
        BUSY: PhoneBehaviour(outcome=PhoneOutcome.BUSY, answer_after=1.0),
    }
    simulator = Simulator(sim_config(speed=10, phones=phones))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def client(sim: Simulator, bus: EventBus) -> AsyncIterator[AmiClient]:
    ami = AmiClient(ami_config(sim.ami_port), bus)
    await ami.connect(timeout=WAIT)
    yield ami
    await ami.close()


def result_for(recorder: BusRecorder, action_id: str) -> list[OriginateResult]:
    return [e for e in recorder.of(OriginateResult) if e.action_id == action_id]


async def test_answered_originate_reports_success_and_channel_events(
    sim: Simulator, client: AmiClient, recorder: BusRecorder
) -> None:
    action_id = await client.originate(
        ANSWERS,
        application="Wait",
        data="60",
        caller_id='"Campaign 7" <5557000>',
        variables={"CTI_CALL_ID": "c-42"},
    )
    await recorder.wait_for(lambda: result_for(recorder, action_id))
    (result,) = result_for(recorder, action_id)
    assert (result.success, result.reason) == (True, 4)
    assert result.channel.startswith(f"{ANSWERS}-") and result.uniqueid is not None
    assert set(sim.live_channels()) == {result.channel}

    appeared = [e for e in recorder.of(ChannelAppeared) if e.uniqueid == result.uniqueid]
    assert [e.channel for e in appeared] == [result.channel]
    (dial,) = recorder.of(DialStarted)
    assert (dial.channel, dial.dest_uniqueid, dial.dial_string) == (None, result.uniqueid, ANSWERS)
    assert [e.dial_status for e in recorder.of(DialEnded)] == ["ANSWER"]
    assert STATE_UP in [e.state for e in recorder.of(ChannelStateChanged) if e.uniqueid == result.uniqueid]
    assert [(e.name, e.value) for e in recorder.of(VariableSet) if e.uniqueid == result.uniqueid] == [
        ("CTI_CALL_ID", "c-42")
    ]
    await recorder.wait_for(lambda: client_uniqueids(client) == uniqueids_of(sim))
    info = client.channels.get(result.uniqueid)
    assert info is not None and info.state == STATE_UP

    await client.hangup(result.channel)
    await recorder.wait_for(lambda: recorder.of(ChannelHungUp))
    assert [e.uniqueid for e in recorder.of(ChannelHungUp)] == [result.uniqueid]
    assert len(client.channels) == 0 and sim.live_channels() == []


async def test_busy_phone_fails_the_originate_with_reason_5(
    sim: Simulator, client: AmiClient, recorder: BusRecorder
) -> None:
    action_id = await client.originate(BUSY, context="dialer", exten="connected")
    await recorder.wait_for(lambda: result_for(recorder, action_id))
    (result,) = result_for(recorder, action_id)
    assert (result.success, result.reason, result.channel, result.uniqueid) == (False, 5, BUSY, None)
    assert [e.dial_status for e in recorder.of(DialEnded)] == ["BUSY"]
    await recorder.wait_for(lambda: len(client.channels) == 0)
    assert len(recorder.of(ChannelHungUp)) == len(recorder.of(ChannelAppeared)) == 1
    assert sim.live_channels() == []


async def test_sync_originate_failures_raise_action_error(
    sim: Simulator, client: AmiClient, recorder: BusRecorder
) -> None:
    with pytest.raises(AmiActionError) as unknown_tech:
        await client.originate("Foo/bar", context="dialer", exten="1", run_async=False)
    assert unknown_tech.value.response.text == "Originate failed"
    with pytest.raises(AmiActionError) as busy:
        await client.originate(BUSY, application="Wait", data="60", run_async=False)
    assert busy.value.response.text == "Originate failed"
    assert recorder.of(OriginateResult) == []  # sync originates answer with a Response only

    # A sync originate that answers returns once the call is up.
    await client.originate(ANSWERS, application="Wait", data="60", run_async=False)
    (up,) = sim.live_channels()
    await recorder.wait_for(lambda: client_uniqueids(client) == uniqueids_of(sim))
    assert [info.channel for info in client.channels] == [up]
    assert client.pending_actions == 0
