"""A FastAGI round trip: the simulator rings a caller into our AgiServer; the AMI client watches."""

from __future__ import annotations

import logging

import pytest
from integration_kit import WAIT, BusRecorder, Changes, ami_config, sim_config, start_agi

from bus.eventbus import EventBus
from cti.agi import AgiServer, AgiSession
from cti.ami.client import AmiClient
from cti.ami.events import ChannelAppeared, ChannelHungUp, DtmfReceived, VariableSet
from cti.sim import CallerScript, Simulator

CODE = "100008"  # a customer code: 10000 and its Luhn check digit


class CodeIvr(Changes):
    """Answers, asks for a customer code, puts it and the intent on the channel, says goodbye."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str | None, str | None, dict[str, str], str]] = []

    async def __call__(self, session: AgiSession) -> None:
        await session.answer()
        code = await session.get_data("enter-customer-code", 3000, len(CODE))
        await session.set_variable("CTI_CUSTOMER_CODE", code)
        await session.set_variable("CC_INTENT", "billing")
        await session.stream_file("auth-thankyou")
        env = session.env
        self.calls.append((session.channel, env.caller_number, env.caller_name, dict(session.query), code))
        self.changed()
        await session.hangup()


async def test_caller_keys_a_code_into_our_ivr_and_ami_sees_it(bus: EventBus, recorder: BusRecorder) -> None:
    ivr = CodeIvr()
    agi = await start_agi([("ivr", ivr)])
    sim = Simulator(sim_config(agi.port, "ivr?lang=en", speed=10))
    await sim.start()
    client = AmiClient(ami_config(sim.ami_port), bus)
    try:
        await client.connect(timeout=WAIT)
        caller = CallerScript(digits=tuple((0.3, digit) for digit in CODE))
        one = await sim.place_inbound_call("5551000", "5550001", "Alice Example", script=caller)
        two = one[:-1] + "2"
        await ivr.wait_for(lambda: ivr.calls)
        assert ivr.calls == [(two, "5550001", "Alice Example", {"lang": "en"}, CODE)]

        uniqueids = {e.channel: e.uniqueid for e in recorder.of(ChannelAppeared)}
        assert set(uniqueids) == {one, two}
        await recorder.wait_for(lambda: len(recorder.of(ChannelHungUp)) == 2)
        assert {e.uniqueid for e in recorder.of(ChannelHungUp)} == set(uniqueids.values())
        assert [(e.channel, e.uniqueid, e.name, e.value) for e in recorder.of(VariableSet)] == [
            (two, uniqueids[two], "CTI_CUSTOMER_CODE", CODE),
            (two, uniqueids[two], "CC_INTENT", "billing"),
        ]
        assert "".join(e.digit for e in recorder.of(DtmfReceived) if e.uniqueid == uniqueids[two]) == CODE
        assert len(client.channels) == 0 and sim.live_channels() == []
        assert (agi.stats.accepted, agi.stats.completed) == (1, 1)
    finally:
        await client.close()
        await sim.stop()
        await agi.close()


async def test_closing_our_agi_server_cancels_a_held_call_quietly(
    bus: EventBus, recorder: BusRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    held = Changes()

    async def hold(session: AgiSession) -> None:
        await session.answer()
        held.changed()
        await session.wait_for_digit(-1)

    agi = AgiServer("127.0.0.1", 0, shutdown_grace=0.1)
    agi.route("hold", hold)
    await agi.start()
    sim = Simulator(sim_config(agi.port, "hold", speed=10))
    await sim.start()
    client = AmiClient(ami_config(sim.ami_port), bus)
    try:
        await client.connect(timeout=WAIT)
        caller = await sim.place_inbound_call("5551000", "5550001", "Held")
        await held.wait_for(lambda: agi.active_sessions == 1)
        await agi.close()  # the handler outlives the grace period and is cancelled
        assert agi.active_sessions == 0
        # The simulator notices a dropped script only when its running command ends (Asterisk
        # watches the socket during waits): ending the call finishes the session.
        await client.hangup(caller)
        await recorder.wait_for(lambda: len(recorder.of(ChannelHungUp)) == 2)
        assert sim.live_channels() == []
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    finally:
        await client.close()
        await sim.stop()
