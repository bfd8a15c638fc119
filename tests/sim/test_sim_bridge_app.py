"""The Bridge application, as Asterisk runs it: it takes the named channel out of what it does, bridges it with
the channel running it until one side leaves, and sets BRIDGERESULT; the channel it took goes on in its own
dialplan afterwards (option x: it is hung up)."""

from __future__ import annotations

from bridge_rig import Rig, Session, dial_the_agent, start_rig

from cti.sim import PhoneBehaviour


class Resume:
    """The ``resume`` script: ``Bridge()`` with the agent's line (``line``, known once the call is up), then
    ask for BRIDGERESULT."""

    def __init__(self, options: str = "") -> None:
        self.options = options
        self.line = ""

    async def __call__(self, session: Session) -> None:
        await session.command(f"EXEC Bridge {self.line}{self.options}")
        await session.command("GET VARIABLE BRIDGERESULT")


async def held_and_resumed(rig: Rig, resume: Resume) -> tuple[str, str]:
    """A call whose caller was held, then bridged again with the agent's line by ``resume``."""
    caller, line = await rig.call()
    resume.line = line
    await rig.hold(caller, line)
    await rig.resume(caller)
    return caller, line


async def test_bridge_takes_the_held_line_out_of_its_wait_until_the_phone_hangs_up() -> None:
    resume = Resume()
    rig = await start_rig({"talk": dial_the_agent, "resume": resume}, PhoneBehaviour(answer_after=0.5, talk_time=30.0))
    try:
        caller, line = await held_and_resumed(rig, resume)
        entered = [(e["Channel"], e["Context"], e["Priority"]) for e in rig.ami.named("BridgeEnter")[-2:]]
        # The line was waiting at priority 2 of [cc-held]; it is noted to go on at 3.
        assert entered == [(line, "cc-held", "3"), (caller, "cc-resume", "1")]
        peers = {e["Channel"]: e["Value"] for e in rig.ami.named("VarSet") if e["Variable"] == "BRIDGEPEER"}
        assert peers == {line: caller, caller: line}
        (session,) = rig.sessions["resume"]
        assert session.heard == []  # Bridge() blocks while the two talk

        await rig.ami.wait_for(lambda: rig.hung_up(line) and len(session.heard) == 2)
        assert rig.of(line, "Hangup")[0]["Context"] == "cc-held"  # the phone's hang-up ends it in the bridge
        assert session.heard == ["200 result=0\n", "200 result=1 (SUCCESS)\n"]
        await rig.ami.wait_for(lambda: rig.hung_up(caller))  # the script closed: [cc-resume] goes on to Hangup()
        assert rig.of(caller, "Newexten")[-1]["Application"] == "Hangup"
    finally:
        await rig.close()


async def test_the_caller_hanging_up_sends_the_line_on_from_where_bridge_took_it() -> None:
    resume = Resume()
    rig = await start_rig({"talk": dial_the_agent, "resume": resume})
    try:
        caller, line = await held_and_resumed(rig, resume)
        await rig.ami.action("Hangup", {"Channel": caller[:-1] + "1"})
        await rig.ami.wait_for(lambda: rig.hung_up(caller) and len(rig.of(line, "Newexten")) >= 5)
        steps = [(e["Priority"], e["Application"]) for e in rig.of(line, "Newexten")]
        assert steps[-2:] == [("3", "Goto"), ("2", "Wait")]  # back in its wait loop, after the bridge
        assert not rig.hung_up(line)
        assert rig.sessions["resume"][0].heard[0] == "200 result=0\n"
        assert [e["Value"] for e in rig.of(caller, "VarSet") if e["Variable"] == "BRIDGERESULT"] == ["SUCCESS"]
    finally:
        await rig.close()


async def test_with_option_x_the_line_is_hung_up_when_the_caller_hangs_up() -> None:
    resume = Resume(",x")
    rig = await start_rig({"talk": dial_the_agent, "resume": resume})
    try:
        caller, line = await held_and_resumed(rig, resume)
        await rig.ami.action("Hangup", {"Channel": caller[:-1] + "1"})
        await rig.ami.wait_for(lambda: rig.hung_up(caller) and rig.hung_up(line))
        assert [e.name for e in rig.of(line, "SoftHangupRequest", "Hangup")] == ["Hangup"]
        assert rig.of(line, "Newexten")[-1]["Application"] == "Wait"  # it never went back to its dialplan
    finally:
        await rig.close()


async def test_holding_again_sends_both_out_of_the_bridge_where_they_are_sent() -> None:
    resume = Resume()
    rig = await start_rig({"talk": dial_the_agent, "resume": resume})
    try:
        caller, line = await held_and_resumed(rig, resume)
        response = await rig.hold(caller, line)
        assert response["Message"] == "Dual Redirect successful"
        assert not rig.hung_up(caller) and not rig.hung_up(line)
        await rig.ami.wait_for(lambda: rig.sessions["resume"][0].heard[-1:] == ["HANGUP\n"])
        assert rig.sessions["resume"][0].heard[0] == "200 result=0\n"
        await rig.resume(caller)  # and back again
        assert rig.ami.named("BridgeEnter")[-2]["Channel"] == line
    finally:
        await rig.close()


async def test_bridge_result_for_a_channel_that_does_not_exist_and_for_itself() -> None:
    async def talk(session: Session) -> None:
        await session.command("EXEC Bridge PJSIP/nosuch-00000000")
        await session.command("GET VARIABLE BRIDGERESULT")
        await session.command(f"EXEC Bridge {session.channel}")
        await session.command("GET VARIABLE BRIDGERESULT")

    rig = await start_rig({"talk": talk})
    try:
        await rig.ring()
        await rig.ami.wait_for(lambda: "talk" in rig.sessions and len(rig.sessions["talk"][0].heard) == 4)
        assert rig.sessions["talk"][0].heard == [
            "200 result=0\n", "200 result=1 (NONEXISTENT)\n", "200 result=0\n", "200 result=1 (LOOP)\n"]
        assert not rig.ami.named("BridgeCreate")
    finally:
        await rig.close()


async def test_bridge_in_the_dialplan_finds_the_line_by_the_start_of_its_name() -> None:
    rig = await start_rig({"talk": dial_the_agent})
    try:
        caller, line = await rig.call()
        await rig.hold(caller, line)
        await rig.ami.action("Setvar", {"Channel": caller, "Variable": "AGENT", "Value": "PJSIP/1001"})
        await rig.ami.action("Redirect", {"Channel": caller, "Context": "cc-plan", "Exten": "100", "Priority": "1"})
        await rig.ami.wait_for(lambda: rig.ami.named("BridgeEnter")[-1]["Channel"] == caller)
        assert rig.ami.named("BridgeEnter")[-2]["Channel"] == line
        await rig.ami.action("Hangup", {"Channel": line})
        await rig.ami.wait_for(lambda: rig.hung_up(caller))
        steps = [(e["Application"], e["AppData"]) for e in rig.of(caller, "Newexten")][-3:]
        assert steps == [("Bridge", "PJSIP/1001"), ("NoOp", "result SUCCESS"), ("Hangup", "")]
    finally:
        await rig.close()
