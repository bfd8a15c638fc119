"""Redirects out of a Dial's bridge, as Asterisk carries them out: a Dual Redirect keeps both sides up and
gives the agent's line (which had no dialplan) one; redirecting one side alone ends the bridge."""

from __future__ import annotations

import asyncio

from bridge_rig import PHONE, Session, dial_the_agent, start_rig

from cti.sim import PhoneBehaviour


async def test_dual_redirect_out_of_a_dial_bridge_keeps_both_sides_up() -> None:
    rig = await start_rig({"talk": dial_the_agent})
    try:
        caller, line = await rig.call()
        bridge = rig.ami.named("BridgeCreate")[0]["BridgeUniqueid"]

        response = await rig.hold(caller, line)

        assert (response["Response"], response["Message"]) == ("Success", "Dual Redirect successful")
        assert not rig.hung_up(caller) and not rig.hung_up(line)
        left = [(e["Channel"], e["Context"], e["Exten"], e["Priority"], e["BridgeNumChannels"])
                for e in rig.ami.named("BridgeLeave") if e["BridgeUniqueid"] == bridge]
        assert left == [(caller, "cc-park", "100", "1", "1"), (line, "cc-held", "1001", "1", "0")]
        assert [e["BridgeUniqueid"] for e in rig.ami.named("BridgeDestroy")] == [bridge]
        steps = [(e["Context"], e["Priority"], e["Application"]) for e in rig.of(line, "Newexten")]
        assert steps == [("cc-held", "1", "AppDial"), ("cc-held", "1", "NoOp"), ("cc-held", "2", "Wait")]
        (talk,) = rig.sessions["talk"]
        assert talk.heard[-1] == "HANGUP\n"  # the caller's session learns of the redirect as of a hang-up
        assert [e["Value"] for e in rig.of(caller, "VarSet") if e["Variable"] == "AGISTATUS"] == ["HANGUP"]
    finally:
        await rig.close()


async def test_redirecting_only_the_caller_hangs_the_agents_line_up() -> None:
    rig = await start_rig({"talk": dial_the_agent})
    try:
        caller, line = await rig.call()
        await rig.ami.action("Redirect", {"Channel": caller, "Context": "cc-park", "Exten": "100", "Priority": "1"})
        await rig.ami.wait_for(lambda: rig.hung_up(line) and rig.running(caller, "cc-park", "MusicOnHold"))
        assert not rig.hung_up(caller)
        # Nothing ran the line, so Asterisk hangs it up directly: no soft hang-up request.
        assert [e.name for e in rig.of(line, "SoftHangupRequest", "Hangup")] == ["Hangup"]
    finally:
        await rig.close()


async def test_redirecting_only_the_agents_line_returns_the_callers_dial_and_its_session_goes_on() -> None:
    async def dial_then_ask(session: Session) -> None:
        await session.command(f"EXEC Dial {PHONE},20")
        await session.command("GET VARIABLE DIALSTATUS")
        await session.command("HANGUP")

    rig = await start_rig({"talk": dial_then_ask})
    try:
        caller, line = await rig.call()
        await rig.ami.action("Redirect", {"Channel": line, "Context": "cc-held", "Exten": "1001", "Priority": "1"})
        await rig.ami.wait_for(lambda: rig.hung_up(caller) and rig.running(line, "cc-held", "Wait"))
        dialled, status, hangup = rig.sessions["talk"][0].heard
        assert dialled.startswith("200 result=") and (status, hangup) == ("200 result=1 (ANSWER)\n", "200 result=1\n")
        assert not rig.hung_up(line)
    finally:
        await rig.close()


async def test_redirecting_the_caller_while_the_agent_rings_cancels_the_dial() -> None:
    rig = await start_rig({"talk": dial_the_agent}, PhoneBehaviour(answer_after=10.0))
    try:
        await rig.ring()
        await rig.ami.wait_for(lambda: rig.ami.named("DialState"))
        (begin,) = rig.ami.named("DialBegin")[-1:]
        caller, line = begin["Channel"], begin["DestChannel"]
        await rig.ami.action("Redirect", {"Channel": caller, "Context": "cc-park", "Exten": "100", "Priority": "1"})
        await rig.ami.wait_for(lambda: rig.hung_up(line) and rig.running(caller, "cc-park", "MusicOnHold"))
        assert [e["DialStatus"] for e in rig.ami.named("DialEnd")][-1] == "CANCEL"
        assert rig.sessions["talk"][0].heard == ["200 result=-1\n", "HANGUP\n"]
        assert not rig.ami.named("BridgeCreate")
    finally:
        await rig.close()


async def test_a_phone_hanging_up_while_held_ends_its_line_there() -> None:
    rig = await start_rig({"talk": dial_the_agent}, PhoneBehaviour(answer_after=0.5, talk_time=6.0))
    try:
        caller, line = await rig.call()
        await rig.hold(caller, line)
        await rig.ami.wait_for(lambda: rig.hung_up(line))
        (hangup,) = rig.of(line, "Hangup")
        assert (hangup["Context"], hangup["Exten"]) == ("cc-held", "1001")
        await asyncio.sleep(0.1)
        assert not rig.hung_up(caller) and rig.running(caller, "cc-park", "MusicOnHold")
    finally:
        await rig.close()


async def test_a_redirect_gives_a_channel_running_an_originated_application_a_dialplan() -> None:
    rig = await start_rig({})
    try:
        await rig.ami.action("Originate", {"Channel": PHONE, "Application": "Wait", "Data": "100", "Async": "true"})
        await rig.ami.wait_for(lambda: rig.ami.named("OriginateResponse"))
        line = rig.ami.named("OriginateResponse")[0]["Channel"]
        await rig.ami.action("Redirect", {"Channel": line, "Context": "cc-held", "Exten": "1001", "Priority": "1"})
        await rig.ami.wait_for(lambda: rig.running(line, "cc-held", "Wait"))
        assert not rig.hung_up(line)
    finally:
        await rig.close()
