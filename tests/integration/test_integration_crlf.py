"""Issue 2: every AMI/AGI value path refuses CR/LF before a byte reaches the (real, simulated) PBX,
including caller-ID names that came from the PBX and are echoed back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from integration_kit import WAIT, ActionSpy, Changes, SimEvents, ami_config, sim_config, start_agi

from bus.eventbus import EventBus
from cti.agi import AgiInjectionError, AgiServer, AgiSession
from cti.ami.client import AmiClient
from cti.ami.protocol import AmiInjectionError
from cti.sim import PhoneBehaviour, Simulator

PHONE = "PJSIP/2001"
# A line break then a header that would hang the victim up, if it ever reached the PBX.
BREAKS = {"crlf": "\r\n", "lf": "\n", "cr": "\r"}


@dataclass
class EchoIvr(Changes):
    """A FastAGI handler running ``script`` on each call; keeps what the script returns."""

    script: Callable[[AgiSession], Awaitable[object]] | None = None
    results: list[object] = field(default_factory=list)

    def __post_init__(self) -> None:
        Changes.__init__(self)

    async def __call__(self, session: AgiSession) -> None:
        assert self.script is not None
        try:
            self.results.append(await self.script(session))
        except Exception as exc:  # the test inspects what went wrong
            self.results.append(exc)
        finally:
            self.changed()


@dataclass
class CallRig:
    """A simulator with a live victim call, our AMI client on it, and our FastAGI server behind it."""

    sim: Simulator
    client: AmiClient
    ivr: EchoIvr
    agi: AgiServer
    victim: str  # a live call that an injected "Action: Hangup" would end

    def victim_alive(self) -> bool:
        return self.victim in self.sim.live_channels()


@pytest.fixture
async def pbx(bus: EventBus, action_spy: ActionSpy) -> AsyncIterator[CallRig]:
    ivr = EchoIvr()
    agi = await start_agi([("echo", ivr)])
    sim = Simulator(sim_config(agi.port, "echo", speed=10, phones={PHONE: PhoneBehaviour(answer_after=0.1)}))
    await sim.start()
    client = AmiClient(ami_config(sim.ami_port), bus)
    await client.connect(timeout=WAIT)
    await client.originate(PHONE, application="Wait", data="600", run_async=False)
    (victim,) = sim.live_channels()
    yield CallRig(sim, client, ivr, agi, victim)
    await client.close()
    await sim.stop()
    await agi.close()


def injection(victim: str, line_break: str = "\r\n") -> str:
    return f"x{line_break}Action: Hangup{line_break}Channel: {victim}"


AmiCall = Callable[[AmiClient, str], Awaitable[object]]
AMI_CALLS: dict[str, AmiCall] = {
    "originate channel": lambda c, bad: c.originate(bad, application="Wait", data="1"),
    "originate caller id": lambda c, bad: c.originate(PHONE, context="c", exten="e", caller_id=bad),
    "originate variable": lambda c, bad: c.originate(
        PHONE, context="c", exten="e", variables={"CTI_NOTE": bad}
    ),
    "originate data": lambda c, bad: c.originate(PHONE, application="Wait", data=bad),
    "hangup": lambda c, bad: c.hangup(bad),
    "redirect exten": lambda c, bad: c.redirect(PHONE, "ctx", bad),
    "redirect extra channel": lambda c, bad: c.redirect(PHONE, "ctx", "1", extra_channel=bad),
    "setvar value": lambda c, bad: c.setvar("CTI_NOTE", bad),
    "setvar name": lambda c, bad: c.setvar(bad, "v"),
    "getvar": lambda c, bad: c.getvar(bad),
    "play_dtmf": lambda c, bad: c.play_dtmf(PHONE, bad),
    "status channel": lambda c, bad: c.status(channel=bad),
    "status variables": lambda c, bad: c.status(variables=("CTI_CALL_ID", bad)),
    "send_action value": lambda c, bad: c.send_action("UserEvent", {"UserEvent": "Note", "Note": bad}),
    "send_action key": lambda c, bad: c.send_action("UserEvent", [(bad, "v")]),
    "send_action name": lambda c, bad: c.send_action(bad),
}


@pytest.mark.parametrize("line_break", BREAKS.values(), ids=BREAKS.keys())
@pytest.mark.parametrize("call", AMI_CALLS.values(), ids=AMI_CALLS.keys())
async def test_every_ami_action_path_refuses_cr_lf_before_sending(
    pbx: CallRig, action_spy: ActionSpy, call: AmiCall, line_break: str
) -> None:
    mark = len(action_spy.actions)
    with pytest.raises(AmiInjectionError):
        await call(pbx.client, injection(pbx.victim, line_break))
    await pbx.client.ping()  # anything sent before it would have been handled by now
    assert action_spy.names(mark) == ["Ping"]
    assert pbx.victim_alive() and pbx.client.pending_actions == 0


@pytest.mark.parametrize("line_break", BREAKS.values(), ids=BREAKS.keys())
async def test_escaped_caller_name_from_events_echoes_back_as_literal_text(
    pbx: CallRig, action_spy: ActionSpy, line_break: str
) -> None:
    async def hold(session: AgiSession) -> None:
        await session.wait_for_digit(-1)

    pbx.ivr.script = hold
    raw_name = "Eve" + injection(pbx.victim, line_break)
    caller = await pbx.sim.place_inbound_call("5551000", "5550001", raw_name)
    (snapshot,) = await pbx.client.status(channel=caller)
    # Asterisk escapes caller-ID names in channel snapshots: a backslash and a letter, no line break.
    name = snapshot.caller_id_name
    assert name == raw_name.replace("\r", "\\r").replace("\n", "\\n")
    mark = len(action_spy.actions)
    await pbx.client.setvar("CALLERID(name)", name, channel=caller)
    assert [(a.name, a["Value"]) for a in action_spy.actions[mark:]] == [("Setvar", name)]
    assert pbx.sim.pbx.find(caller).caller_name == name  # type: ignore[union-attr]
    assert pbx.victim_alive()


async def test_raw_caller_name_from_the_pbx_is_refused_on_ami_and_agi(
    pbx: CallRig, action_spy: ActionSpy
) -> None:
    """A bare CR is no line end for Asterisk: Getvar and GET VARIABLE hand the name back raw."""
    sim_events = SimEvents(pbx.sim)
    raw_name = "Eve" + injection(pbx.victim, "\r")

    async def echo(session: AgiSession) -> list[str]:
        name = await session.get_variable("CALLERID(name)")
        assert name == raw_name
        try:
            await session.set_variable("CALLERID(name)", name)
        except AgiInjectionError:
            await session.noop()  # the link is fine and the refused command never left
            return [e["Command"] for e in sim_events.named("AGIExecStart")]
        return []

    pbx.ivr.script = echo
    caller = await pbx.sim.place_inbound_call("5551000", "5550001", raw_name)
    await pbx.ivr.wait_for(lambda: pbx.ivr.results)
    assert pbx.ivr.results == [["GET VARIABLE CALLERID(name)", "NOOP"]]

    ami_name = await pbx.client.getvar("CALLERID(name)", channel=caller)
    assert ami_name == raw_name
    mark = len(action_spy.actions)
    with pytest.raises(AmiInjectionError):
        await pbx.client.setvar("CALLERID(name)", ami_name, channel=caller)
    await pbx.client.ping()
    assert action_spy.names(mark) == ["Ping"]
    assert pbx.victim_alive()


AgiCall = Callable[[AgiSession, str], Awaitable[object]]
AGI_CALLS: dict[str, AgiCall] = {
    "value": lambda s, bad: s.set_variable("CTI_NOTE", bad),
    "name": lambda s, bad: s.set_variable(bad, "v"),
}


@pytest.mark.parametrize("line_break", BREAKS.values(), ids=BREAKS.keys())
@pytest.mark.parametrize("call", AGI_CALLS.values(), ids=AGI_CALLS.keys())
async def test_agi_set_variable_refuses_cr_lf_and_sends_nothing(
    pbx: CallRig, call: AgiCall, line_break: str
) -> None:
    sim_events = SimEvents(pbx.sim)
    bad = "x" + line_break + "EXEC Hangup"

    async def script(session: AgiSession) -> object:
        try:
            await call(session, bad)
        except AgiInjectionError:
            await session.noop()
            return [e["Command"] for e in sim_events.named("AGIExecStart")]
        return "sent"

    pbx.ivr.script = script
    await pbx.sim.place_inbound_call("5551000", "5550001", "Ann")
    await pbx.ivr.wait_for(lambda: pbx.ivr.results)
    assert pbx.ivr.results == [["NOOP"]]
