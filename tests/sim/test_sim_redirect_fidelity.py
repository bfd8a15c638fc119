"""Fidelity: an AMI Redirect of a channel running FastAGI, against recording 11 of a real Asterisk.

Each case runs the recording's harness dialplan (``agi-edge`` answers and runs AGI, ``redirect-target``
runs NoOp, Playback, Wait) in the simulator, with a script that does what the recorder's script did,
faster. What the script reads (replies and ``HANGUP`` lines, up to the simulator's close) and the AMI
events of the ``;2`` channel from its ``AGI`` step to the target's second step must match the recording.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sim_testkit import AmiTestClient

from cti.ami.protocol import AmiMessage, AmiParser, MessageKind
from cti.sim import Simulator, SimulatorConfig

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"
HARNESS_DIALPLAN = """
[agi-edge]
exten => _9XX,1,Answer()
 same => n,AGI(agi://127.0.0.1:{port}/edge?case=${{EXTEN}}&lang=en&empty=,first arg,second,,last)
 same => n,Hangup()

[redirect-target]
exten => _8XX,1,NoOp(Redirected ${{CHANNEL}} to ${{EXTEN}})
 same => n,Playback(transfer)
 same => n,Wait(20)
"""
CASES = {911: 1, 912: 2, 913: 3, 914: 4, 915: 5, 916: 6}  # case -> FastAGI connection of the recording
SPEED = 20
TARGET_STEPS = ("NoOp", "Playback")  # the target's own steps (an EXEC after the redirect shows there too)
# Events of the ;2 channel compared with the recording (the simulator has no DeviceStateChange).
COMPARED = ("Newexten", "AGIExecStart", "AGIExecEnd", "VarSet", "MusicOnHoldStart", "MusicOnHoldStop")
FIELDS = ("Context", "Exten", "Priority", "Application", "Command", "ResultCode", "Result", "Variable", "Value")


def normalised(line: str) -> str:
    return re.sub(r"endpos=\d+", "endpos=N", line)


def recorded_session(conn: int) -> list[tuple[str, str]]:
    """(direction, line) of one recorded FastAGI session after its environment, endpos blanked."""
    out = []
    for text in (RECORDED / "11-agi-redirect.agi.jsonl").read_text().splitlines():
        record = json.loads(text)
        if record["conn"] == conn and record["dir"] in ("in", "out") and not record["raw"].startswith("agi_"):
            out.append((record["dir"], normalised(record["raw"])))
    return out


def recorded_events() -> list[AmiMessage]:
    parser = AmiParser()
    for text in (RECORDED / "11-agi-redirect.ami.jsonl").read_text().splitlines():
        record = json.loads(text)
        if record["dir"] == "in":
            parser.receive_data(record["raw"].encode())
    return [m for m in parser.messages() if m.kind is MessageKind.EVENT]


def redirect_window(events: list[AmiMessage], channel: str) -> list[tuple[str, ...]]:
    """The compared events of ``channel`` from its AGI step to the redirect target's Playback step."""
    mine = [e for e in events if e.get("Channel") == channel and e.name in COMPARED]
    start = next(i for i, e in enumerate(mine) if e.name == "Newexten" and e["Application"] == "AGI")
    end = next(i for i, e in enumerate(mine) if e.name == "Newexten" and e["Application"] == "Playback")
    return [(e.name, *(e.get(k) or "" for k in FIELDS)) for e in mine[start : end + 1]]


@dataclass
class Session:
    """The script side: what it sent and read, in order, and what AMI had shown when it closed."""

    log: list[tuple[str, str]] = field(default_factory=list)
    target_ran_before_close: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)


Behaviour = Callable[["Peer"], Awaitable[None]]


class Peer:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, session: Session) -> None:
        self.reader, self.writer, self.session = reader, writer, session

    async def read(self) -> str:
        line = (await self.reader.readline()).decode()
        if line:
            self.session.log.append(("in", normalised(line)))
        return line

    async def command(self, text: str) -> str:
        self.session.log.append(("out", text + "\n"))
        self.writer.write(text.encode() + b"\n")
        await self.writer.drain()
        return await self.read()


async def moh_then_dead_channel_commands(peer: Peer) -> None:
    await peer.command("ANSWER")
    await peer.command("EXEC MusicOnHold default,30")
    await peer.read()  # HANGUP
    await asyncio.sleep(0.1)
    for command in ("NOOP", "GET VARIABLE AGISTATUS", "GET VARIABLE CHANNEL", 'STREAM FILE beep ""', "EXEC Wait 1"):
        await peer.command(command)


async def idle(peer: Peer) -> None:
    await peer.command("ANSWER")
    await peer.read()  # HANGUP at the redirect itself
    await asyncio.sleep(0.1)


def one_command(command: str, hold: float = 0.0) -> Behaviour:
    async def behaviour(peer: Peer) -> None:
        await peer.command("ANSWER")
        await peer.command(command)
        await asyncio.sleep(hold)

    return behaviour


BEHAVIOUR: dict[int, Behaviour] = {
    911: moh_then_dead_channel_commands,
    912: one_command("EXEC Wait 30"),
    913: one_command("WAIT FOR DIGIT -1"),
    914: idle,
    915: one_command('STREAM FILE vm-intro "1"', hold=0.3),
    916: one_command('STREAM FILE vm-intro "1"', hold=0.3),
}
REDIRECTED_WHILE = {911: "EXEC MusicOnHold", 912: "EXEC Wait", 913: "WAIT FOR DIGIT", 915: "STREAM", 916: "STREAM"}


@dataclass
class Rig:
    sim: Simulator
    ami: AmiTestClient
    server: asyncio.Server
    session: Session


@pytest.fixture
async def rig_for() -> AsyncIterator[Callable[[int], Awaitable[Rig]]]:
    rigs: list[Rig] = []

    async def start(case: int) -> Rig:
        session = Session()
        holder: list[AmiTestClient] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while (await reader.readline()) not in (b"\n", b""):
                pass
            peer = Peer(reader, writer, session)
            await BEHAVIOUR[case](peer)
            # Like the recorder: half-close, then read what Asterisk still sends until it closes.
            session.target_ran_before_close = any(
                e.name == "Newexten" and e["Context"] == "redirect-target" and e["Application"] in TARGET_STEPS
                for e in holder[0].events
            )
            writer.write_eof()
            while await peer.read():
                pass
            writer.close()
            session.done.set()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        sim = Simulator(SimulatorConfig(
            ami_port=0, agi_url="agi://127.0.0.1:1/unused", speed=SPEED, dialplan=HARNESS_DIALPLAN.format(port=port),
            prompt_lengths={"vm-intro": 3.0, "transfer": 1.0},
        ))
        await sim.start()
        ami = await AmiTestClient.connect(sim.ami_port)
        holder.append(ami)
        await ami.login()
        rig = Rig(sim, ami, server, session)
        rigs.append(rig)
        return rig

    yield start
    for rig in rigs:
        await rig.ami.close()
        await rig.sim.stop()
        rig.server.close()


def started(ami: AmiTestClient, prefix: str) -> bool:
    return any(e.name == "AGIExecStart" and e["Command"].startswith(prefix) for e in ami.events)


@pytest.mark.parametrize("case", list(CASES))
async def test_redirect_during_fastagi_matches_recording_11(
    rig_for: Callable[[int], Awaitable[Rig]], case: int
) -> None:
    rig = await rig_for(case)
    variables = [("Variable", "__AGIEXITONHANGUP=yes")] if case == 916 else []
    await rig.ami.action("Originate", [
        ("Channel", f"Local/{case}@agi-edge"), ("Context", "caller"), ("Exten", "wait"), ("Priority", "1"),
        ("CallerID", f'"Redirect {case}" <555{case}>'), ("Async", "true"), *variables,
    ])
    if case in REDIRECTED_WHILE:
        await rig.ami.wait_for(lambda: started(rig.ami, REDIRECTED_WHILE[case]))
    else:
        await rig.ami.wait_for(lambda: any(e.name == "AGIExecEnd" for e in rig.ami.events))
    await asyncio.sleep(0.05)
    two = f"Local/{case}@agi-edge-00000000;2"
    response = await rig.ami.action(
        "Redirect", {"Channel": two, "Context": "redirect-target", "Exten": f"8{case % 100}", "Priority": "1"}
    )
    assert (response["Response"], response["Message"]) == ("Success", "Redirect successful")
    await asyncio.wait_for(rig.session.done.wait(), 10)
    await rig.ami.wait_for(
        lambda: any(e.name == "Newexten" and e["Application"] == "Playback" for e in rig.ami.events)
    )

    assert rig.session.log == recorded_session(CASES[case])
    # The target runs only once the script has closed, unless AGIEXITONHANGUP lets Asterisk go at once.
    assert rig.session.target_ran_before_close is (case == 916)
    recorded = recorded_events()
    theirs = next(
        e["Channel"] for e in recorded
        if e.name == "Newchannel" and e["Channel"].startswith(f"Local/{case}@") and e["Channel"].endswith(";2")
    )
    assert redirect_window(rig.ami.events, two) == redirect_window(recorded, theirs)
