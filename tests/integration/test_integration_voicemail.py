"""EXEC VoiceMail in the simulator: greeting, a message until the caller hangs up, VMSTATUS."""

from __future__ import annotations

from integration_kit import Changes, sim_config, start_agi

from cti.agi import AgiHangup, AgiSession
from cti.sim import CallerScript, Simulator


class VoicemailIvr(Changes):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[tuple[str, str | None]] = []

    async def __call__(self, session: AgiSession) -> None:
        await session.answer()
        try:
            result = str(await session.exec("VoiceMail", "1001@default", "u"))
        except AgiHangup:
            result = "hung up"
        self.results.append((result, await session.get_variable("VMSTATUS")))
        self.changed()


async def test_a_caller_leaves_a_message_and_hangs_up() -> None:
    ivr = VoicemailIvr()
    agi = await start_agi([("ivr", ivr)])
    sim = Simulator(sim_config(agi.port, "ivr", speed=20))
    await sim.start()
    try:
        await sim.place_inbound_call("5551000", "5550001", script=CallerScript(patience=10.0))
        await ivr.wait_for(lambda: ivr.results)
        assert ivr.results == [("hung up", "SUCCESS")]
    finally:
        await sim.stop()
        await agi.close()
