"""The dialer against a real Asterisk (``ASTERISK_BIN``): a campaign's calls go out through the rendered
[callcenter-outbound] trunk context into [callcenter-dialer], where a real AMD() listens.

The "trunk" loops back to Local channels in a test context: one callee answers like a person (a short
spoken "hello?" then silence), one like an answering machine (a long spoken greeting), one is busy. The sounds are made
with espeak-ng and sox in the test's folder (no sound packages are installed). The person must be bridged to
the agent held for the line; the machine must be hung up and its agent let go. An agent's call dialled by hand
(the agent's phone, then the number) is followed from the same PBX's events to what it came to. A person whose
held agent's phone is not picked up hears the campaign's message within 2 s of AMD's verdict. Without
espeak-ng or sox the tests are skipped.

With ``CC_RECORD_DIALER_TRACE=1`` the AMI traffic of each run (a second, listening AMI session) is written to
``tests/fixtures/recorded/``: ``13-dialer-context.ami.jsonl`` (the campaign) and ``14-manual-call.ami.jsonl``
(the calls dialled by hand), the recordings the simulator's events are held to (tests/sim/test_sim_dialer_trace.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from real_asterisk import SECRET, free_port, open_edges, running_asterisk

from acd.agents import AgentState
from acd.config import AcdConfig, AgentConfig, QueueConfig
from acd.core import Acd
from acd.events import CallConnected
from acd.service import AcdService
from acd.service_settings import AcdServiceSettings
from asterisk_conf.site import SiteConfig
from bus.events import DomainEvent
from callcenter.outbound_dial import AmiCallPlacer
from crm_core.db import make_engine, make_session_factory, migrate
from cti.ami.events import DialEnded
from outbound import rules
from outbound.campaigns import RUNNING
from outbound.dial_events import (
    CONNECTED,
    CampaignDialAnswered,
    CampaignDialEnded,
    CampaignDialPlaced,
    ManualCallEnded,
)
from outbound.dialer import Dialer, DialerSettings
from outbound.service import OutboundService

pytestmark = pytest.mark.asterisk

PERSON, MACHINE, BUSY = "+12125550101", "+12125550102", "+12125550103"
TUESDAY_10_NY = 1741100400.0
WAIT = 30.0
RECORDED = Path(__file__).parents[1] / "fixtures" / "recorded"
#: The recording each test writes with CC_RECORD_DIALER_TRACE=1.
TRACES = {"test_a_person_reaches_the_held_agent_and_a_machine_is_hung_up_on_a_real_asterisk": "13-dialer-context",
          "test_calls_dialled_by_hand_are_followed_to_what_they_came_to_on_a_real_asterisk": "14-manual-call"}


def callees(sounds: Path) -> str:
    return f"""
[cc-test-callees]
exten => {PERSON},1,Answer()
 same => n,Playback({sounds}/hello)
 same => n,Wait(60)
exten => {MACHINE},1,Answer()
 same => n,Playback({sounds}/greeting)
 same => n,Wait(60)
exten => {BUSY},1,Busy(3)

[cc-test-phones]
exten => _a[0-9],1,Answer()
 same => n,Wait(300)
 same => n,Hangup()
; a desk phone nobody picks up: it rings on
exten => _b[0-9],1,Ringing()
 same => n,Wait(300)
"""


def make_sounds(folder: Path) -> Path:
    """hello.wav: a short "hello?" then 3 s of silence; greeting.wav: 6 s of an answering machine speaking."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox make the callees' voices; one is missing")
    folder.mkdir()
    for name, text, pad in (("hello", "Hello?", "pad 0.2 3"),
                            ("greeting", "Hi, you have reached the Miller family. We cannot come to the phone "
                                         "right now, please leave a message after the tone.", "pad 0 1")):
        raw = folder / f"{name}-raw.wav"
        subprocess.run(["espeak-ng", "-s", "170", "-w", str(raw), text], check=True, capture_output=True)
        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(folder / f"{name}.wav"),
                        *pad.split()], check=True, capture_output=True)
    return folder


@pytest.fixture
def asterisk_site(tmp_path: Path) -> Iterator[SiteConfig]:
    sounds = make_sounds(tmp_path / "sounds")
    site = SiteConfig(agi_port=free_port(), ami_port=free_port(), ami_secret=SECRET,
                      trunk="Local/{number}@cc-test-callees", ring_seconds=15)
    with running_asterisk(site, callees(sounds)):
        yield site


async def listen_ami(site: SiteConfig, stop: asyncio.Event, heard: Callable[[float, str], None]) -> str:
    """Listen on an AMI session of its own until ``stop``: each chunk Asterisk sends goes to ``heard`` with the
    seconds since the start; returns the login sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", site.ami_port)
    loop = asyncio.get_running_loop()
    start = loop.time()
    login = f"Action: Login\r\nActionID: login-1\r\nUsername: {site.ami_user}\r\nSecret: {SECRET}\r\n\r\n"
    writer.write(login.encode())
    while not stop.is_set():
        read = asyncio.ensure_future(reader.read(65536))
        halt = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({read, halt}, return_when=asyncio.FIRST_COMPLETED)
        halt.cancel()
        if read not in done:
            read.cancel()
            break
        if not (data := read.result()):
            break
        heard(loop.time() - start, data.decode("utf-8"))
    writer.close()
    return login


async def record_ami(site: SiteConfig, out: Path, stop: asyncio.Event) -> None:
    """Write what Asterisk sends on a listening AMI session, as the trace files hold it."""
    records: list[dict[str, object]] = []
    login = await listen_ami(site, stop, lambda t, raw: records.append(
        {"t": round(t, 6), "dir": "in", "conn": 1, "raw": raw}))
    records.insert(0, {"t": 0.0, "dir": "out", "conn": 1, "raw": login})
    out.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


class Floor:
    def __init__(self, events: list[DomainEvent], outbound: OutboundService, dialer: Dialer) -> None:
        self.events, self.outbound, self.dialer = events, outbound, dialer

    def of(self, kind: type[DomainEvent]) -> list[DomainEvent]:
        return [e for e in self.events if isinstance(e, kind)]

    async def until(self, found: object, what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not found():  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise AssertionError(f"waited in vain for {what}: {[e.type_name for e in self.events][-30:]}")
            await asyncio.sleep(0.05)


@pytest.fixture
async def floor(asterisk_site: SiteConfig, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Floor]:
    site = asterisk_site
    offset = TUESDAY_10_NY - time.time()  # 10:00 in New York, whenever the test runs

    def clock() -> float:
        return time.time() + offset

    edges = await open_edges(site, timeout=WAIT)
    bus, events, ami, agi = edges.bus, edges.events, edges.ami, edges.agi
    stop_recording = asyncio.Event()
    recording = None
    if os.environ.get("CC_RECORD_DIALER_TRACE") == "1":
        trace = RECORDED / f"{TRACES[request.node.originalname]}.ami.jsonl"
        recording = asyncio.create_task(record_ami(site, trace, stop_recording))
    acd = Acd(AcdConfig(queues=(QueueConfig("sales", wrap_up_seconds=5.0),),
                        agents=tuple(AgentConfig(a, phone=f"Local/{a}@cc-test-phones/n", queues=("sales",))
                                     for a in ("a1", "a2", "b1"))), clock=clock)
    service = AcdService(acd, bus, ami, agi, clock=clock, settings=AcdServiceSettings(
        announce_every=1000.0, callback_offer_every=0.0))
    service.register_routes()
    await service.start()
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    migrate(engine)
    outbound = OutboundService(make_session_factory(engine), data_dir=tmp_path / "data", clock=clock,
                               poll_seconds=3600)
    await outbound.start()
    dialer = Dialer(outbound, service, ami, agi, bus, clock=clock,
                    settings=DialerSettings(tick_seconds=0.2, ring_seconds=15))
    dialer.register_routes()
    try:
        yield Floor(events, outbound, dialer)
    finally:
        stop_recording.set()
        if recording is not None:
            await recording
        await dialer.stop()
        await outbound.stop()
        await service.close()
        await ami.close()
        await agi.close()
        engine.dispose()


async def test_a_person_reaches_the_held_agent_and_a_machine_is_hung_up_on_a_real_asterisk(floor: Floor) -> None:
    campaign = await floor.outbound.create_campaign(
        {"name": "Spring renewals", "caller_id": "+12125550199", "queue": "sales", "default_region": "US"},
        actor="camp")
    upload = floor.outbound.upload_path("list.csv")
    upload.write_text(f"name,phone\r\nPat,{PERSON}\r\nMiller,{MACHINE}\r\nBusy,{BUSY}\r\n", encoding="utf-8")
    job = await floor.outbound.start_import(campaign.id, upload, file_name="list.csv", actor="camp")
    while not (job := await floor.outbound.import_job(job.id)).over or upload.exists():
        await asyncio.sleep(0.05)
    assert job.added == 3
    await floor.outbound.set_status(campaign.id, RUNNING, actor="camp")
    acd = floor.dialer.acd
    await acd.set_ready("a1")
    await acd.set_ready("a2")
    await floor.dialer.start()
    await floor.until(lambda: len(floor.of(CampaignDialEnded)) == 3, "the three dials to end")
    placed = {e.attempt_id: e.number for e in floor.of(CampaignDialPlaced)}  # type: ignore[attr-defined]
    ended = {placed[e.attempt_id]: e for e in floor.of(CampaignDialEnded)}  # type: ignore[attr-defined]
    heard = {placed[e.attempt_id]: e for e in floor.of(CampaignDialAnswered)}  # type: ignore[attr-defined]
    assert (heard[PERSON].verdict, heard[PERSON].amd_status) == ("person", "HUMAN"), heard[PERSON]
    assert heard[PERSON].amd_cause.startswith("HUMAN-")
    assert (heard[MACHINE].verdict, heard[MACHINE].amd_status) == ("machine", "MACHINE"), heard[MACHINE]
    # busy through the rendered trunk context, as the shipped dialplan says it again (not no answer)
    assert (ended[PERSON].outcome, ended[MACHINE].outcome, ended[BUSY].outcome) == (CONNECTED, "machine", "busy")
    person_attempt = ended[PERSON].attempt_id
    await floor.until(lambda: any(e.call_id == person_attempt for e in floor.of(CallConnected)),  # type: ignore[attr-defined]
                      "the agent to answer the person")
    [connected] = [e for e in floor.of(CallConnected) if e.call_id == person_attempt]  # type: ignore[attr-defined]
    assert connected.agent_id == ended[PERSON].agent_id
    assert connected.at - heard[PERSON].at <= 2.0


async def test_a_person_whose_agent_does_not_pick_up_hears_the_message_within_2_s_on_a_real_asterisk(
        floor: Floor, asterisk_site: SiteConfig) -> None:
    """The held agent's phone rings what is left of the 2 s (Dial's decimal timeout) and nobody picks up: the
    person hears the campaign's message (the FastAGI command reported on AMI) within 2 s of AMD's verdict, the
    attempt ends abandoned, nobody is connected, and the agent is made not ready as after any missed call."""
    started: list[float] = []  # when the PBX reports the message's STREAM FILE, on the dialer's clock
    logged_in = asyncio.Event()
    unread = [""]  # a line cut between two reads

    def heard(_: float, raw: str) -> None:
        *lines, unread[0] = (unread[0] + raw).split("\r\n")
        for line in lines:
            if line == "Message: Authentication accepted":
                logged_in.set()
            if line.startswith("Command: STREAM FILE renewals/sorry"):
                started.append(floor.dialer.clock())

    stop = asyncio.Event()
    listening = asyncio.create_task(listen_ami(asterisk_site, stop, heard))
    try:
        await asyncio.wait_for(logged_in.wait(), WAIT)
        campaign = await floor.outbound.create_campaign(
            {"name": "Autumn renewals", "caller_id": "+12125550199", "queue": "sales", "default_region": "US",
             "abandon_message": "renewals/sorry"}, actor="camp")
        upload = floor.outbound.upload_path("list.csv")
        upload.write_text(f"name,phone\r\nPat,{PERSON}\r\n", encoding="utf-8")
        job = await floor.outbound.start_import(campaign.id, upload, file_name="list.csv", actor="camp")
        while not (job := await floor.outbound.import_job(job.id)).over or upload.exists():
            await asyncio.sleep(0.05)
        await floor.outbound.set_status(campaign.id, RUNNING, actor="camp")
        acd = floor.dialer.acd
        await acd.set_ready("b1")
        await floor.dialer.start()
        await floor.until(lambda: floor.of(CampaignDialEnded) and started, "the dial to end and the message")
        [heard] = floor.of(CampaignDialAnswered)
        assert isinstance(heard, CampaignDialAnswered) and heard.verdict == "person"
        print(f"the message started {started[0] - heard.at:.2f} s after AMD's verdict")
        assert started[0] - heard.at <= 2.0, f"the message started {started[0] - heard.at:.2f} s after the verdict"
        hopper = floor.outbound.hopper(campaign.id)
        assert hopper is not None
        await floor.until(lambda: hopper.history(heard.lead_id).last_outcome == rules.ABANDONED,
                          "the lead's outcome to be 'abandoned'")
        assert not floor.of(CallConnected)
        assert acd.acd.agent("b1").state is AgentState.NOT_READY
    finally:
        stop.set()
        await listening


async def test_calls_dialled_by_hand_are_followed_to_what_they_came_to_on_a_real_asterisk(floor: Floor) -> None:
    acd = floor.dialer.acd
    placer = AmiCallPlacer(floor.dialer.ami, acd)
    await acd.set_ready("a1")
    await acd.set_ready("a2")
    talked = await placer.place_call("a1", PERSON, caller_id=None, variables={})
    refused = await placer.place_call("a2", BUSY, caller_id=None, variables={})
    ended = lambda: {e.call_id: e for e in floor.of(ManualCallEnded)}  # type: ignore[attr-defined]  # noqa: E731
    await floor.until(lambda: refused in ended(), "the busy number's call to end")
    assert (ended()[refused].outcome, ended()[refused].answered_at) == ("busy", None)
    await floor.until(lambda: any(isinstance(e, DialEnded) and e.uniqueid == talked for e in floor.events),
                      "the person to answer")
    await asyncio.sleep(1.0)
    [agent_channel] = {e.channel for e in floor.events if isinstance(e, DialEnded) and e.uniqueid == talked}
    assert agent_channel is not None
    await floor.dialer.ami.hangup(agent_channel)  # the agent hangs up
    await floor.until(lambda: talked in ended(), "the answered call to end")
    call = ended()[talked]
    assert call.outcome == "answered" and call.answered_at is not None and call.at - call.answered_at >= 1.0
    # the agent whose number answered is ready again once they wrap the call up; the other at once
    await floor.until(lambda: acd.acd.agent("a2").state is AgentState.READY, "a2 to be ready again")
    assert acd.acd.agent("a1").state is AgentState.NOT_READY
    await placer.wrap_up(talked, "a1", "resolved", "")
    await floor.until(lambda: acd.acd.agent("a1").state is AgentState.READY, "a1 to be ready after the wrap-up")
