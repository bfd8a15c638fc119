"""A simulator rig for hold and Bridge() tests: a caller's FastAGI session dials an agent's phone, AMI moves
the two sides around, dialplan contexts park the caller, hold the agent's line and resume with Bridge()."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sim_testkit import AgiPeer, AmiTestClient

from cti.ami.protocol import AmiMessage
from cti.sim import PhoneBehaviour, Simulator, SimulatorConfig

SPEED = 20
PHONE = "PJSIP/1001"
# {port}: the rig's FastAGI server. The caller talks in [cc-talk] (script "talk"), hears music in [cc-park],
# comes back in [cc-resume] (script "resume") or [cc-plan] (Bridge() with the channel in its AGENT variable);
# the agent's line waits in [cc-held].
DIALPLAN = """
[cc-talk]
exten => _X!,1,Answer()
 same => n,AGI(agi://127.0.0.1:{port}/talk)
 same => n,Hangup()

[cc-park]
exten => _X!,1,NoOp(caller ${{EXTEN}} on hold)
 same => n(music),MusicOnHold(default,30)
 same => n,Goto(music)

[cc-held]
exten => _X!,1,NoOp(agent ${{EXTEN}} holds)
 same => n(quiet),Wait(3600)
 same => n,Goto(quiet)

[cc-resume]
exten => _X!,1,AGI(agi://127.0.0.1:{port}/resume)
 same => n,Hangup()

[cc-plan]
exten => _X!,1,Bridge(${{AGENT}})
 same => n,NoOp(result ${{BRIDGERESULT}})
 same => n,Hangup()
"""
Script = Callable[["Session"], Awaitable[None]]


@dataclass
class Session:
    """One FastAGI session: the script's side, and every line it read (replies and HANGUP lines)."""

    peer: AgiPeer
    channel: str
    heard: list[str] = field(default_factory=list)

    async def command(self, text: str) -> str:
        reply = await self.peer.command(text)
        self.heard.append(reply)
        return reply

    async def until_hangup_line(self) -> None:
        while (line := await self.peer.read_reply()) and line != "HANGUP\n":
            self.heard.append(line)
        self.heard.append(line)


async def dial_the_agent(session: Session) -> None:
    """The ``talk`` script: dial the agent, then wait for the redirect's HANGUP line and close."""
    await session.command(f"EXEC Dial {PHONE},20")
    await session.until_hangup_line()


class Rig:
    """Simulator, AMI client and FastAGI server; ``scripts`` maps a script name to what its sessions do."""

    def __init__(self, sim: Simulator, ami: AmiTestClient, server: asyncio.Server,
                 sessions: dict[str, list[Session]]) -> None:
        self.sim, self.ami, self.server, self.sessions = sim, ami, server, sessions

    async def ring(self) -> None:
        """A caller comes in to [cc-talk], whose session dials the agent."""
        await self.ami.action("Originate", {"Channel": "Local/100@cc-talk", "Context": "caller", "Exten": "wait",
                                            "Priority": "1", "CallerID": '"Caller" <5550100>', "Async": "true"})

    async def call(self) -> tuple[str, str]:
        """A caller talking to the agent: (the caller's channel running the dialplan, the agent's line)."""
        await self.ring()
        await self.ami.wait_for(lambda: len(self.ami.named("BridgeEnter")) == 2)
        line, caller = (e["Channel"] for e in self.ami.named("BridgeEnter"))
        return caller, line

    async def hold(self, caller: str, line: str) -> AmiMessage:
        """One Dual Redirect: the caller to music in [cc-park], the agent's line to [cc-held]."""
        response = await self.ami.action("Redirect", {
            "Channel": caller, "Context": "cc-park", "Exten": "100", "Priority": "1",
            "ExtraChannel": line, "ExtraContext": "cc-held", "ExtraExten": "1001", "ExtraPriority": "1"})
        await self.ami.wait_for(lambda: self.running(caller, "cc-park", "MusicOnHold")
                                and self.running(line, "cc-held", "Wait"))
        return response

    async def resume(self, caller: str) -> None:
        """Send the held caller to [cc-resume], whose script runs Bridge() (and waits until it is bridged)."""
        bridges = len(self.ami.named("BridgeCreate"))
        await self.ami.action("Redirect", {"Channel": caller, "Context": "cc-resume", "Exten": "100",
                                           "Priority": "1"})
        await self.ami.wait_for(lambda: len(self.ami.named("BridgeCreate")) > bridges
                                and self.ami.named("BridgeEnter")[-1]["Channel"] == caller)

    def running(self, channel: str, context: str, application: str) -> bool:
        """Whether the latest Newexten of ``channel`` is ``application`` in ``context``."""
        steps = [e for e in self.of(channel, "Newexten")]
        return bool(steps) and (steps[-1]["Context"], steps[-1]["Application"]) == (context, application)

    def of(self, channel: str, *names: str) -> list[AmiMessage]:
        return [e for e in self.ami.events if e.get("Channel") == channel and (not names or e.name in names)]

    def hung_up(self, channel: str) -> bool:
        return bool(self.of(channel, "Hangup"))

    async def close(self) -> None:
        await self.ami.close()
        await self.sim.stop()
        self.server.close()


async def start_rig(scripts: dict[str, Script], phone: PhoneBehaviour | None = None) -> Rig:
    sessions: dict[str, list[Session]] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env = {}
        while (line := (await reader.readline()).decode()) not in ("\n", ""):
            key, _, value = line.rstrip("\n").partition(": ")
            env[key] = value
        session = Session(AgiPeer(reader, writer, list(env.items())), env["agi_channel"])
        script = env["agi_network_script"]
        sessions.setdefault(script, []).append(session)
        try:
            await scripts[script](session)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sim = Simulator(SimulatorConfig(
        ami_port=0, agi_url="agi://127.0.0.1:1/unused", speed=SPEED, dialplan=DIALPLAN.format(port=port),
        phones={PHONE: phone or PhoneBehaviour(answer_after=0.5)}))
    await sim.start()
    ami = await AmiTestClient.connect(sim.ami_port)
    await ami.login()
    return Rig(sim, ami, server, sessions)
