"""The simulator runs the dialplan asterisk_conf ships: per-context FastAGI scripts and the holding loop."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sim_testkit import AmiTestClient

from asterisk_conf.checker import ConfigSyntaxError
from cti.agi.errors import AgiError
from cti.agi.server import AgiServer
from cti.agi.session import AgiSession
from cti.sim import CallerScript, Simulator, SimulatorConfig
from cti.sim.dialplan import SimDialplanError, load_dialplan

SPEED = 50  # the holding loop's 20 s of music take 0.4 s
Handler = Callable[[AgiSession], Awaitable[None]]


class Rig:
    def __init__(self, agi: AgiServer, sim: Simulator, ami: AmiTestClient) -> None:
        self.agi, self.sim, self.ami = agi, sim, ami
        self.sessions: list[tuple[str, dict[str, str], str]] = []  # (script, query, context)

    def record(self, handler: Handler) -> Handler:
        async def recorded(session: AgiSession) -> None:
            self.sessions.append((session.script_path, dict(session.query), session.env.context))
            await handler(session)

        return recorded

    def agistatus(self) -> list[str]:
        return [e["Value"] for e in self.ami.named("VarSet") if e["Variable"] == "AGISTATUS"]


@pytest.fixture
async def rig() -> AsyncIterator[Callable[[dict[str, Handler]], Awaitable[Rig]]]:
    started: list[Rig] = []

    async def start(routes: dict[str, Handler]) -> Rig:
        agi = AgiServer("127.0.0.1", 0, shutdown_grace=0.0)
        await agi.start()
        sim = Simulator(SimulatorConfig(
            ami_port=0, agi_url=f"agi://127.0.0.1:{agi.port}/inbound", speed=SPEED, shipped_dialplan=True,
        ))
        await sim.start()
        ami = await AmiTestClient.connect(sim.ami_port)
        await ami.login()
        r = Rig(agi, sim, ami)
        for path, handler in routes.items():
            agi.route(path, r.record(handler))
        started.append(r)
        return r

    yield start
    for r in started:
        await r.ami.close()
        await r.sim.stop()
        await r.agi.close()


async def hang_up(session: AgiSession) -> None:
    await session.hangup()


async def test_inbound_call_runs_the_inbound_script_with_the_encoded_number(rig: Callable[..., Awaitable[Rig]]) -> None:
    r = await rig({"inbound": hang_up})
    caller = await r.sim.place_inbound_call("+4930123456", "5550001", script=CallerScript())
    await r.ami.wait_for(lambda: caller not in r.sim.live_channels())
    assert r.sessions == [("inbound", {"dnis": "+4930123456"}, "callcenter-inbound")]
    assert [e["Value"] for e in r.ami.named("VarSet") if e["Variable"] == "__CC_DNIS"] == ["+4930123456"]
    assert r.agistatus() == ["HANGUP"]
    assert not r.ami.named("MusicOnHoldStart")


async def test_agi_leaves_the_inbound_call_unanswered_until_the_script_answers(
    rig: Callable[..., Awaitable[Rig]],
) -> None:
    # Real Asterisk's AGI() does not answer (res_agi.c keeps that code under #if 0); a caller's digits and
    # patience start once the call is answered.
    states: list[int] = []

    async def answer_late(session: AgiSession) -> None:
        states.append(await session.channel_status())
        await session.exec("Wait", "2")
        states.append(await session.channel_status())
        await session.answer()
        states.append(await session.channel_status())
        await session.get_data("beep", 2000, 1)
        await session.hangup()

    r = await rig({"inbound": answer_late})
    caller = await r.sim.place_inbound_call("5551000", "5550001", script=CallerScript(digits=((0.0, "5"),)))
    await r.ami.wait_for(lambda: caller not in r.sim.live_channels())
    assert states == [4, 4, 6]  # ringing, still ringing, up
    assert [e["Digit"] for e in r.ami.named("DTMFEnd")] == ["5"]


async def test_a_session_ending_without_a_queued_call_hangs_up(rig: Callable[..., Awaitable[Rig]]) -> None:
    async def leave(session: AgiSession) -> None:
        await session.answer()

    r = await rig({"inbound": leave})
    caller = await r.sim.place_inbound_call("5551000", "5550001", script=CallerScript())
    await r.ami.wait_for(lambda: caller not in r.sim.live_channels())
    assert r.agistatus() == ["SUCCESS"]
    hangups = [e for e in r.ami.named("Newexten") if e["Application"] == "Hangup"]
    assert len(hangups) == 1 and not r.ami.named("MusicOnHoldStart")


async def test_a_queued_call_whose_session_dies_holds_on_music_and_resumes(
    rig: Callable[..., Awaitable[Rig]],
) -> None:
    async def take_and_vanish(session: AgiSession) -> None:
        await session.answer()
        await session.set_variable("CC_CALL_ID", "call-7")  # the server then goes away mid-wait

    r = await rig({"inbound": take_and_vanish, "resume": hang_up})
    caller = await r.sim.place_inbound_call("5551000", "5550001", script=CallerScript())
    await r.ami.wait_for(lambda: caller not in r.sim.live_channels())
    assert [(script, query) for script, query, _ in r.sessions] == [
        ("inbound", {"dnis": "5551000"}),
        ("resume", {"call": "call-7"}),
    ]
    assert r.agistatus() == ["SUCCESS", "HANGUP"]
    assert [e["Class"] for e in r.ami.named("MusicOnHoldStart")] == ["default"]


async def test_holding_loop_retries_while_the_fastagi_server_is_down(rig: Callable[..., Awaitable[Rig]]) -> None:
    async def take(session: AgiSession) -> None:
        await session.answer()
        await session.set_variable("CC_CALL_ID", "call-8")

    r = await rig({"inbound": take})
    caller = await r.sim.place_inbound_call("5551000", "5550001", script=CallerScript())
    await r.ami.wait_for(lambda: r.ami.named("MusicOnHoldStart"))
    await r.agi.close()  # nobody listens now: every resume attempt fails
    await r.ami.wait_for(lambda: r.agistatus().count("FAILURE") >= 2, timeout=10)
    assert caller in r.sim.live_channels()
    assert len(r.ami.named("MusicOnHoldStart")) >= 2
    await r.ami.action("Hangup", {"Channel": caller})
    await r.ami.wait_for(lambda: not r.sim.live_channels())


async def test_redirects_reach_the_script_of_their_context(rig: Callable[..., Awaitable[Rig]]) -> None:
    async def wait_in_queue(session: AgiSession) -> None:
        await session.answer()
        await session.set_variable("CC_CALL_ID", "call-9")
        session.expect_interrupt("agent")
        with contextlib.suppress(AgiError):  # interrupted by the redirect: close, so the PBX moves on
            await session.exec("MusicOnHold", "default", "600")

    r = await rig({"inbound": wait_in_queue, "connect": hang_up})
    caller = await r.sim.place_inbound_call("5551000", "5550001", script=CallerScript())
    await r.ami.wait_for(lambda: r.ami.named("MusicOnHoldStart"))
    two = caller[:-1] + "2"
    response = await r.ami.action(
        "Redirect", {"Channel": two, "Context": "callcenter-connect", "Exten": "agent 7", "Priority": "1"}
    )
    assert response["Response"] == "Success"
    await r.ami.wait_for(lambda: caller not in r.sim.live_channels())
    assert r.sessions[1] == ("connect", {"agent": "agent 7"}, "callcenter-connect")
    # The redirected session ends as HANGUP, so the holding loop lets the call go to its new context.
    assert r.agistatus() == ["HANGUP", "HANGUP"]
    assert len(r.ami.named("MusicOnHoldStart")) == 1


def test_a_dialplan_with_an_application_the_simulator_lacks_is_refused() -> None:
    with pytest.raises(SimDialplanError, match=r"System\(\)"):
        load_dialplan("[x]\nexten => 1,1,System(rm -rf /)\n")
    with pytest.raises(ConfigSyntaxError):
        load_dialplan("[x]\nexten => 1,2,NoOp()\n")
