"""A progressive campaign dialled end to end on the simulator: the shipped dialplan's callcenter-dialer context,
AMD, the ACD holding agents, the outcomes in the lead histories and the interaction rows."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import Engine, func, select
from storage_helpers import TUESDAY_10_NY, factory, write_csv

from acd.agents import MANUAL_CALL_PAUSE, AgentState
from acd.config import AcdConfig, AgentConfig, QueueConfig
from acd.core import Acd
from acd.events import CallConnected, CallEnded
from acd.service import AcdService
from acd.service_settings import AcdServiceSettings
from agent_desktop.outbound_desk import CUSTOMER_VARIABLE
from bus.eventbus import EventBus
from bus.events import DomainEvent
from callcenter.interaction_recorder import InteractionRecorder
from callcenter.outbound_dial import AmiCallPlacer
from crm_core.campaign_tables import DncEntry as DncEntryRow
from crm_core.campaign_tables import Lead as LeadRow
from crm_core.campaign_tables import LeadEvent, PacingModel
from crm_core.db import session_scope
from crm_core.models import Customer, Interaction
from cti.agi import AgiServer
from cti.ami.client import AmiClient, AmiConfig
from cti.ami.events import OriginateResult
from cti.sim import PhoneBehaviour, PhoneOutcome, Simulator, SimulatorConfig
from cti.sim.config import CalleePopulation
from outbound import lead_store, pacing_store, rules
from outbound.abandon import OFCOM, US, Counts
from outbound.campaigns import PAUSED, RUNNING
from outbound.dial_events import (
    CONNECTED,
    CampaignDialAnswered,
    CampaignDialEnded,
    CampaignDialPlaced,
    EarlierAttemptsLost,
    ManualCallEnded,
)
from outbound.dialer import Dialer, DialerSettings, PreviewError
from outbound.numbers import parse_number
from outbound.pacing import LEARNING, DialStats, Pacer, PredictivePacer
from outbound.service import OutboundService

SPEED = 20.0
WAIT = 20.0  # real seconds
USER, SECRET = "dialer", "dialer-secret"
CAMPAIGN = {"name": "Spring renewals", "caller_id": "+12125550199", "queue": "sales", "default_region": "US"}
# Who answers each New York number (10:00 there at the simulated start).
CAST = {
    "+12122345600": PhoneBehaviour(answer_after=2.0, greeting=0.4, talk_time=8.0),  # a person
    "+12122345601": PhoneBehaviour(PhoneOutcome.BUSY, answer_after=1.0),
    "+12122345602": PhoneBehaviour(PhoneOutcome.NO_ANSWER, answer_after=60.0),  # rings past the 15 s
    "+12122345603": PhoneBehaviour(answer_after=3.0, greeting=5.0, talk_time=30.0),  # an answering machine
    "+12122345604": PhoneBehaviour(PhoneOutcome.INVALID, answer_after=0.0),  # not in service
}
EXPECTED = {"+12122345600": CONNECTED, "+12122345601": "busy", "+12122345602": "no_answer",
            "+12122345603": "machine", "+12122345604": "invalid"}


@dataclass
class Rig:
    bus: EventBus
    sim: Simulator
    ami: AmiClient
    acd: AcdService
    outbound: OutboundService
    dialer: Dialer
    events: list[DomainEvent]
    engine: Engine

    async def until(self, found: Callable[[], object], what: str) -> None:
        for _ in range(int(WAIT / 0.02)):
            if found():
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"waited in vain for {what}")

    def of(self, kind: type[DomainEvent]) -> list[DomainEvent]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest_asyncio.fixture
async def rig(engine: Engine, tmp_path: Path) -> AsyncIterator[Rig]:
    bus = EventBus()
    events: list[DomainEvent] = []
    bus.add_listener(events.append)
    ami_holder: list[AmiClient] = []

    async def interrupter(channel: str, agent_id: str) -> None:
        await ami_holder[0].redirect(channel, "callcenter-connect", agent_id, 1)

    agi = AgiServer("127.0.0.1", 0, interrupter=interrupter, shutdown_grace=0.5)
    await agi.start()
    # a person at the desk takes 4 s to pick up; the phone answers by itself when the dial asks it to
    agent_phone = PhoneBehaviour(answer_after=4.0, auto_answers=True)
    sim = Simulator(SimulatorConfig(
        ami_port=0, ami_user=USER, ami_secret=SECRET, agi_url=f"agi://127.0.0.1:{agi.port}/inbound", speed=SPEED,
        phones={"PJSIP/a1": agent_phone, "PJSIP/a2": agent_phone, "PJSIP/a3": PhoneBehaviour(answer_after=4.0)},
        shipped_dialplan=True,
        callees=CalleePopulation(always=CAST, talk=(20.0, 60.0))))  # short talks: the pacer learns sooner
    await sim.start()
    offset = TUESDAY_10_NY - sim.clock.now()

    def clock() -> float:
        return sim.clock.now() + offset

    ami = AmiClient(AmiConfig(port=sim.ami_port, username=USER, secret=SECRET, ping_interval=60.0), bus, clock=clock)
    ami_holder.append(ami)
    await ami.connect(timeout=WAIT)
    config = AcdConfig(queues=(QueueConfig("sales", wrap_up_seconds=5.0),),
                       agents=(AgentConfig("a1", phone="PJSIP/a1", queues=("sales",)),
                               AgentConfig("a2", phone="PJSIP/a2", queues=("sales",)),
                               AgentConfig("a3", phone="PJSIP/a3", queues=("sales",))))  # no auto-answer
    acd = AcdService(Acd(config, clock=clock), bus, ami, agi, clock=clock, time_scale=SPEED,
                     settings=AcdServiceSettings(announce_every=1000.0, callback_offer_every=0.0))
    acd.register_routes()
    await acd.start()
    sessions = factory(engine)
    recorder = InteractionRecorder(bus, sessions, flush_interval=0.02)
    recorder.start()
    outbound = OutboundService(sessions, data_dir=tmp_path / "data", clock=clock, poll_seconds=3600)
    await outbound.start()
    dialer = Dialer(outbound, acd, ami, agi, bus, clock=clock,
                    settings=DialerSettings(tick_seconds=0.05, ring_seconds=15))
    dialer.register_routes()
    try:
        yield Rig(bus, sim, ami, acd, outbound, dialer, events, engine)
    finally:
        await dialer.stop()
        await outbound.stop()
        await acd.close()
        await ami.close()
        await sim.stop()
        await agi.close()
        await recorder.stop()


def abandon_messages(rig: Rig, sound: str = "sorry-youre-having-problems") -> list[float]:
    """When the PBX starts playing the abandon message (``sound``) from now on (its FastAGI commands, as AMI
    reports them), on the dialer's clock."""
    played: list[float] = []
    rig.sim.add_event_sink(lambda headers: played.extend(
        rig.dialer.clock() for k, v in headers if k == "Command" and v.startswith(f"STREAM FILE {sound} ")))
    return played


async def running_campaign(rig: Rig, tmp_path: Path, numbers: tuple[str, ...] = tuple(CAST),
                           **settings: Any) -> int:
    campaign = await rig.outbound.create_campaign({**CAMPAIGN, **settings}, actor="camp")
    rows = [["name", "phone"], *[[f"P{i}", number] for i, number in enumerate(numbers)]]
    upload = rig.outbound.upload_path("list.csv")
    shutil.copy(write_csv(tmp_path / "list.csv", rows), upload)
    job = await rig.outbound.start_import(campaign.id, upload, file_name="list.csv", actor="camp")
    while not (job := await rig.outbound.import_job(job.id)).over or upload.exists():
        await asyncio.sleep(0.02)
    assert job.added == len(numbers)
    await rig.outbound.set_status(campaign.id, RUNNING, actor="camp")
    return campaign.id


async def test_a_progressive_campaign_reaches_each_kind_of_callee_and_connects_the_person(
        rig: Rig, tmp_path: Path) -> None:
    campaign_id = await running_campaign(rig, tmp_path)
    await rig.acd.set_ready("a1")
    await rig.acd.set_ready("a2")
    await rig.dialer.start()
    ended = lambda: {e.attempt_id: e for e in rig.of(CampaignDialEnded)}  # noqa: E731
    await rig.until(lambda: len(ended()) == len(CAST), "every lead's dial to end")
    placed = {e.attempt_id: e for e in rig.of(CampaignDialPlaced)}
    assert len(placed) == len(CAST)  # each lead dialled once: none again before its retry time
    outcomes = {placed[a].number: e.outcome for a, e in ended().items()}
    assert outcomes == EXPECTED
    # Progressive: every line held an agent from the dial on, never more lines than agents.
    assert all(e.agent_id in ("a1", "a2") for e in placed.values())

    person = next(a for a, e in ended().items() if e.outcome == CONNECTED)
    [answer] = [e for e in rig.of(OriginateResult) if e.success and e.channel.startswith("Local/+12122345600@")]
    await rig.until(lambda: any(e.call_id == person for e in rig.of(CallConnected)), "the person's agent to answer")
    [connected] = [e for e in rig.of(CallConnected) if e.call_id == person]
    assert connected.agent_id == placed[person].agent_id
    [heard] = [e for e in rig.of(CampaignDialAnswered) if e.attempt_id == person]
    assert (heard.verdict, heard.amd_status) == ("person", "HUMAN")
    # the 2 s run from AMD's verdict (the end of the person's "hello"), as the rule counts them
    assert answer.at <= heard.at and connected.at - heard.at <= 2.0, "the person waited more than 2 s for the agent"
    assert [e.amd_cause for e in rig.of(CampaignDialAnswered) if e.verdict == "machine"] == ["LONGGREETING-1500-1500"]

    # The agent's disposition decides the person's lead; the others' outcomes schedule their retries.
    agent = connected.agent_id
    await rig.acd.dispose(person, agent, "sale", "renewed for a year")
    await rig.until(lambda: any(e.call_id == person for e in rig.of(CallEnded)), "the talk to end")
    hopper = rig.outbound.hopper(campaign_id)
    assert hopper is not None
    by_number = {placed[a].number: placed[a].lead_id for a in placed}
    await rig.until(lambda: hopper.history(by_number["+12122345600"]).last_outcome == rules.ANSWERED,
                    "the disposition to reach the lead")
    histories = {n: hopper.history(lead_id) for n, lead_id in by_number.items()}
    assert {n: h.last_outcome for n, h in histories.items()} == {
        "+12122345600": rules.ANSWERED, "+12122345601": rules.BUSY, "+12122345602": rules.NO_ANSWER,
        "+12122345603": rules.MACHINE, "+12122345604": rules.INVALID}
    assert all(h.attempts == 1 for h in histories.values())
    now = rig.dialer.clock()
    busy = hopper.eligibility.decide(hopper.lead(by_number["+12122345601"]), histories["+12122345601"], now)
    assert not busy.released and busy.next_at is not None and busy.next_at > now  # retried later, not now
    # a number the network does not know is not dialled again, ever (by default)
    invalid = hopper.eligibility.decide(hopper.lead(by_number["+12122345604"]), histories["+12122345604"], now + 86400)
    assert not invalid.released and invalid.next_at is None and invalid.rule == rules.RULE_RETRY
    assert {a.agent_id: a.state for a in rig.acd.agents_of("sales")}[agent] is not AgentState.RESERVED

    # One outbound interaction row per attempt, with its campaign, lead and outcome (and the sale).
    def rows() -> dict[str, Interaction]:
        with session_scope(factory(rig.engine)) as session:
            found = session.scalars(select(Interaction)).all()
            session.expunge_all()
            return {r.leg_id: r for r in found}

    await rig.until(lambda: (row := rows().get(person)) is not None and row.disposition == "sale",
                    "the person's row to get the disposition")
    stored = rows()
    assert set(stored) == set(placed)
    for attempt, row in stored.items():
        assert (row.direction, row.campaign, row.ani) == ("outbound", "Spring renewals", placed[attempt].number)
        assert row.ivr_data["lead_id"] == str(placed[attempt].lead_id)
        assert row.ivr_data["campaign_id"] == str(campaign_id)
    assert stored[person].outcome == "answered" and stored[person].agent_id == agent
    assert {placed[a].number: r.outcome for a, r in stored.items() if a != person} == {
        n: o for n, o in EXPECTED.items() if o != CONNECTED}



async def test_a_person_nobody_can_take_hears_the_message_at_once_and_counts_as_abandoned(
        rig: Rig, tmp_path: Path) -> None:
    """The agent held for the line logs out while it rings and nobody else is ready: the answered person
    is let go with the campaign's message right after AMD's verdict, and the lead's outcome is 'abandoned'."""
    heard_on_wire = abandon_messages(rig, "renewals/sorry")
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345600",), abandon_message="renewals/sorry")
    hopper = rig.outbound.hopper(campaign_id)
    assert hopper is not None
    await rig.acd.set_ready("a1")
    await rig.dialer.start()
    await rig.until(lambda: rig.of(CampaignDialPlaced), "the person's number to be dialled")
    await rig.acd.logout("a1")
    await rig.until(lambda: rig.of(CampaignDialEnded), "the person's dial to end")
    [ended] = rig.of(CampaignDialEnded)
    [heard] = rig.of(CampaignDialAnswered)
    assert (ended.outcome, heard.verdict) == ("abandoned", "person")
    assert ended.at - heard.at <= 2.0
    await rig.until(lambda: hopper.history(ended.lead_id).last_outcome == rules.ABANDONED, "the abandon to be kept")
    await rig.until(lambda: not rig.sim.live_channels(), "the person's line to hang up")
    assert heard_on_wire, "the abandon message was not played"
    assert not rig.of(CallConnected)


async def forget_the_line(rig: Rig) -> CampaignDialPlaced:
    """What a restart forgets of a line in progress: the line, and the agent it held."""
    await rig.until(lambda: rig.of(CampaignDialPlaced), "the person's number to be dialled")
    [placed] = rig.of(CampaignDialPlaced)
    assert isinstance(placed, CampaignDialPlaced) and placed.agent_id is not None
    rig.dialer.lines.close(placed.attempt_id)
    rig.acd.release_agent(placed.agent_id, placed.attempt_id)
    return placed


async def test_a_person_answering_a_line_dialled_before_a_restart_is_taken_over_and_reaches_an_agent(
        rig: Rig, tmp_path: Path) -> None:
    heard_on_wire = abandon_messages(rig)
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345600",))
    await rig.acd.set_ready("a1")
    await rig.dialer.start()
    placed = await forget_the_line(rig)
    await rig.until(lambda: rig.of(CallConnected), "the person to reach the agent")
    [connected] = rig.of(CallConnected)
    assert isinstance(connected, CallConnected) and connected.call_id == placed.attempt_id
    [ended] = rig.of(CampaignDialEnded)
    assert isinstance(ended, CampaignDialEnded) and (ended.outcome, ended.lead_id) == (CONNECTED, placed.lead_id)
    # the lead is out until the agent's word: not dialled again meanwhile, then decided by it
    await asyncio.sleep(0.3)
    assert len(rig.of(CampaignDialPlaced)) == 1
    await rig.acd.dispose(placed.attempt_id, connected.agent_id, "sale", "")
    hopper = rig.outbound.hopper(campaign_id)
    assert hopper is not None
    await rig.until(lambda: hopper.history(placed.lead_id).last_outcome == rules.ANSWERED, "the disposition")
    assert not heard_on_wire


async def test_lines_of_an_earlier_run_that_no_report_ended_are_closed_as_lost_once_none_can_ring(
        rig: Rig, tmp_path: Path) -> None:
    """A restart forgets two lines while they ring: the person who answers one is taken over; the other (nobody
    answers) ends unseen. Once no line of the earlier run can still ring, its row is closed as lost; the
    person's stays theirs."""
    await running_campaign(rig, tmp_path, ("+12122345600", "+12122345602"))
    await rig.acd.set_ready("a1")
    await rig.acd.set_ready("a2")
    await rig.dialer.start()
    await rig.until(lambda: len(rig.of(CampaignDialPlaced)) == 2, "both numbers to be dialled")
    placed = {e.number: e for e in rig.of(CampaignDialPlaced) if isinstance(e, CampaignDialPlaced)}
    for line in placed.values():
        assert line.agent_id is not None
        rig.dialer.lines.close(line.attempt_id)
        rig.acd.release_agent(line.agent_id, line.attempt_id)
    await rig.dialer.stop()  # the new run starts now: the lines are its earlier run's
    await rig.dialer.start()
    person, nobody = placed["+12122345600"].attempt_id, placed["+12122345602"].attempt_id

    def rows() -> dict[str, Interaction]:
        with session_scope(factory(rig.engine)) as session:
            found = session.scalars(select(Interaction)).all()
            session.expunge_all()
            return {r.leg_id: r for r in found}

    await rig.until(lambda: any(e.call_id == person for e in rig.of(CallConnected)), "the person to be taken over")
    await rig.until(lambda: rig.of(EarlierAttemptsLost), "the earlier run's lines to be given up")
    [lost] = rig.of(EarlierAttemptsLost)
    assert isinstance(lost, EarlierAttemptsLost) and lost.at - lost.before > rig.dialer.settings.ring_seconds
    await rig.until(lambda: rows()[nobody].end_at is not None, "the unanswered line's row to close")
    assert rows()[nobody].outcome == "lost"
    assert rows()[person].answer_at is not None and rows()[person].outcome != "lost"  # their talk is theirs


async def test_a_person_answering_a_line_of_a_campaign_no_longer_running_hears_the_abandon_message(
        rig: Rig, tmp_path: Path) -> None:
    """The person is not left in silence."""
    heard_on_wire = abandon_messages(rig)
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345600",))
    await rig.acd.set_ready("a1")
    await rig.dialer.start()
    await forget_the_line(rig)
    await rig.outbound.set_status(campaign_id, PAUSED, actor="camp")
    await rig.until(lambda: heard_on_wire, "the abandon message")
    await rig.until(lambda: not rig.sim.live_channels(), "the person's line to hang up")
    assert not rig.of(CallConnected)


async def test_a_machine_under_the_message_rule_hears_the_message_after_its_greeting(rig: Rig, tmp_path: Path) -> None:
    played: list[float] = []
    rig.sim.add_event_sink(lambda headers: played.extend(
        rig.dialer.clock() for k, v in headers if k == "AppData" and v == "renewals/machine-note"))
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345603",), machine_rule="message",
                                         machine_message="renewals/machine-note")
    await rig.acd.set_ready("a1")
    await rig.dialer.start()
    await rig.until(lambda: played, "the machine's message")
    [heard] = rig.of(CampaignDialAnswered)
    assert heard.verdict == "machine"
    assert played[0] - heard.at >= 5.0 - 1.5  # the 5 s greeting was over (AMD decided 1.5 s into it)
    [ended] = rig.of(CampaignDialEnded)
    assert ended.outcome == "machine"
    assert {a.agent_id: a.state for a in rig.acd.agents_of("sales")}["a1"] is AgentState.READY  # let go
    hopper = rig.outbound.hopper(campaign_id)
    assert hopper is not None
    await rig.until(lambda: hopper.history(ended.lead_id).last_outcome == rules.MACHINE, "the machine outcome")


async def test_a_person_whose_held_agent_left_reaches_another_ready_agent(
        rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a predictive line does (it holds nobody while it rings), the answered person takes any ready agent."""
    # a person who lets it ring 12 s (0.6 s here): time for the agents to change while it rings, however busy
    # the machine running the test is
    monkeypatch.setitem(CAST, "+12122345609", PhoneBehaviour(answer_after=12.0, greeting=0.4, talk_time=8.0))
    await running_campaign(rig, tmp_path, ("+12122345609",))
    await rig.acd.set_ready("a1")
    await rig.dialer.start()
    await rig.until(lambda: rig.of(CampaignDialPlaced), "the person's number to be dialled")
    [placed] = rig.of(CampaignDialPlaced)
    assert placed.agent_id == "a1"
    await rig.acd.set_ready("a2")
    await rig.acd.logout("a1")
    assert not rig.of(CampaignDialAnswered), "the person answered before the agents changed"
    await rig.until(lambda: rig.of(CallConnected), "the person to reach an agent")
    [ended] = rig.of(CampaignDialEnded)
    [connected] = rig.of(CallConnected)
    assert (ended.outcome, ended.agent_id, connected.agent_id) == (CONNECTED, "a2", "a2")
    assert not any(e.outcome == "abandoned" for e in rig.of(CampaignDialEnded))
    [heard] = rig.of(CampaignDialAnswered)
    assert heard.at - placed.at >= 12.0  # the patient person's


async def test_a_preview_campaign_dials_only_when_a_desk_asks_and_for_that_agent(rig: Rig, tmp_path: Path) -> None:
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345600",))
    await rig.outbound.update_campaign(campaign_id, {**CAMPAIGN, "mode": "preview"}, actor="camp")
    await rig.acd.set_ready("a1")
    await rig.acd.set_ready("a2")
    await rig.dialer.start()
    await asyncio.sleep(0.3)
    assert not rig.of(CampaignDialPlaced)  # the rounds leave a preview campaign alone
    attempt = await rig.dialer.preview_dial(campaign_id, "a2")
    await rig.until(lambda: rig.of(CallConnected), "the person to reach a2")
    [connected] = rig.of(CallConnected)
    assert (connected.call_id, connected.agent_id) == (attempt, "a2")
    with pytest.raises(PreviewError, match="no lead"):
        await rig.dialer.preview_dial(campaign_id, "a1")  # the list is used up
    assert {a.agent_id: a.state for a in rig.acd.agents_of("sales")}["a1"] is AgentState.READY


class Taught(Pacer):
    """Progressive pacing that keeps what the dialer teaches it."""

    def __init__(self) -> None:
        self.talks: list[float] = []
        self.wraps: list[float] = []
        self.lives: list[tuple[float, bool]] = []

    def live(self, at: float, *, abandoned: bool) -> None:
        self.lives.append((at, abandoned))

    def handled(self, seconds: float) -> None:
        self.talks.append(seconds)

    def wrapped(self, seconds: float) -> None:
        self.wraps.append(seconds)


async def test_a_talk_never_disposed_of_leaves_its_lead_answered_after_the_wait(rig: Rig, tmp_path: Path) -> None:
    rig.dialer.settings = DialerSettings(tick_seconds=0.05, ring_seconds=15, disposition_wait=10.0)
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345600",))
    await rig.acd.set_ready("a1")
    taught = rig.dialer._pacers[campaign_id] = Taught()
    await rig.dialer.start()
    # The pacer learns the talk and the after-call work, which here ends by the queue's 5 s timer.
    await rig.until(lambda: taught.wraps, "the wrap-up to end")
    [talk] = rig.of(CallEnded)
    assert isinstance(talk, CallEnded) and taught.talks == [talk.talk_seconds] and talk.talk_seconds > 0
    assert taught.wraps == [pytest.approx(5.0, abs=0.5)]
    assert [abandoned for _, abandoned in taught.lives] == [False]  # the agent took the person within 2 s
    [ended] = rig.of(CampaignDialEnded)
    hopper = rig.outbound.hopper(campaign_id)
    assert hopper is not None
    assert hopper.history(ended.lead_id).last_outcome is None  # still waiting for the agent's word
    await rig.until(lambda: hopper.history(ended.lead_id).last_outcome == rules.ANSWERED, "the wait to run out")


async def test_a_person_the_agent_s_phone_does_not_take_within_2_s_hears_the_message_and_counts_abandoned(
        rig: Rig, tmp_path: Path) -> None:
    """A desk phone that does not answer by itself (its person would pick up after 4 s): it rings what is left of
    the 2 s, then the person hears the campaign's message, within 2 s of their greeting, and is abandoned (lead,
    pacer), and the agent is made not ready, as after any missed call; the person is not passed to another
    agent."""
    heard_on_wire = abandon_messages(rig, "renewals/sorry")
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345600",), abandon_message="renewals/sorry")
    await rig.acd.set_ready("a3")
    taught = rig.dialer._pacers[campaign_id] = Taught()
    await rig.dialer.start()
    await rig.until(lambda: heard_on_wire, "the campaign's message")
    [heard] = rig.of(CampaignDialAnswered)
    assert isinstance(heard, CampaignDialAnswered)
    assert not rig.of(CallConnected)
    # the rule's 2 s from the person's greeting (AMD's verdict) hold for the message too
    assert heard_on_wire[0] - heard.at <= 2.0, "the message started more than 2 s after the greeting"
    assert taught.lives == [(pytest.approx(heard.at, abs=0.5), True)]
    hopper = rig.outbound.hopper(campaign_id)
    assert hopper is not None
    await rig.until(lambda: hopper.history(heard.lead_id).last_outcome == rules.ABANDONED, "the abandon to be kept")
    assert rig.acd.acd.agent("a3").state is AgentState.NOT_READY
    await rig.until(lambda: not rig.sim.live_channels(), "the person's line to hang up")


async def test_a_predictive_campaign_s_abandon_rate_counts_its_month_before_the_dialer_started(
        rig: Rig, tmp_path: Path) -> None:
    """A restart does not give a predictive campaign a fresh abandon budget: its pacer's ledger starts from the
    campaign's stored outcomes of the last 30 days (US) and 24 hours (Ofcom)."""
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345600",), mode="predictive")
    now = rig.dialer.clock()
    with session_scope(factory(rig.engine)) as session:
        [(lead, _)] = lead_store.campaign_leads(session, campaign_id)
        for ago, outcome in ((40 * 86400, rules.ABANDONED), (2 * 86400, rules.ABANDONED), (3600, rules.ANSWERED),
                             (3600, rules.BUSY), (600, rules.MACHINE)):
            lead_store.record_outcome(session, lead, outcome, at=now - ago)
    await rig.dialer.start()  # nobody is ready: the campaign's round makes its pacer and dials nothing
    await rig.until(lambda: campaign_id in rig.dialer._pacers, "the campaign's pacer")
    pacer = rig.dialer._pacers[campaign_id]
    assert isinstance(pacer, PredictivePacer)
    assert pacer.ledger.counts(US, now) == Counts(live=2, abandoned=1, machines=1)
    assert pacer.ledger.counts(OFCOM, now) == Counts(live=1, abandoned=0, machines=1)
    assert not rig.of(CampaignDialPlaced)


async def test_a_restarted_dialer_paces_a_predictive_campaign_from_the_model_saved_before(
        rig: Rig, tmp_path: Path) -> None:
    """What a predictive campaign's pacer learned is saved (now and then, and at a stop), and only when it learned
    something, so a model's time says when it last learned; a dialer that makes the pacer again starts from a
    model at most a week old, once the lines of the earlier run it cannot see have had time to end."""
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345600",), mode="predictive")
    learned = DialStats()
    for i in range(300):
        learned.resolved(9.0 + i % 7, connect=i % 3 == 0)
        learned.talks.add(60.0 + i)
        learned.wraps.add(5.0)

    def stored() -> tuple[float, dict[str, Any]] | None:
        with session_scope(factory(rig.engine)) as session:
            row = session.get(PacingModel, campaign_id)
            return None if row is None else (row.saved_at, row.model)

    with session_scope(factory(rig.engine)) as session:  # a week and a day ago: too old
        pacing_store.save_model(session, campaign_id, learned.snapshot(), at=rig.dialer.clock() - 8 * 86400)
    await rig.dialer.start()  # nobody is ready: the round makes the campaign's pacer and dials nothing
    await rig.until(lambda: campaign_id in rig.dialer._pacers, "the campaign's pacer")
    first = rig.dialer._pacers[campaign_id]
    assert isinstance(first, PredictivePacer) and len(first.stats.talks) == 0
    await rig.dialer.save_models()  # it learned nothing: the old model stays as it was
    assert stored() == (pytest.approx(rig.dialer.clock() - 8 * 86400, abs=60), learned.snapshot())
    first.resolved(rig.dialer.clock(), 11.0, connect=True)
    await rig.dialer.save_models()
    saved = stored()
    assert saved is not None and saved[1] == first.stats.snapshot()
    assert saved[0] == pytest.approx(rig.dialer.clock(), abs=60)
    await rig.dialer.save_models()
    assert stored() == saved  # nothing new: not written again
    first.handled(120.0)
    await rig.dialer.stop()  # the stop saves what was learned since
    assert await rig.outbound.pacing_model(campaign_id, 0.0) == first.stats.snapshot()

    with session_scope(factory(rig.engine)) as session:
        pacing_store.save_model(session, campaign_id, learned.snapshot(), at=rig.dialer.clock() - 3 * 86400)
    # a long ring time: the earlier run's lines may ring for 3 minutes (9 s at the simulator's speed)
    again = Dialer(rig.outbound, rig.acd, rig.ami, rig.dialer.agi, rig.bus, clock=rig.dialer.clock,
                   settings=DialerSettings(tick_seconds=0.05, ring_seconds=120))
    started = rig.dialer.clock()
    await again.start()
    try:
        await rig.until(lambda: campaign_id in again._pacers, "the restarted dialer's pacer")
        pacer = again._pacers[campaign_id]
        assert isinstance(pacer, PredictivePacer)
        assert pacer.stats.snapshot() == learned.snapshot()
        assert pacer.stats.learned(2) and pacer.stats.connect_share() == pytest.approx(1 / 3, abs=0.01)
        # one line per free agent while the earlier run's lines may still ring (the ring time and a minute)
        assert pacer.settle_until == pytest.approx(started + 120 + 60, abs=2)
        assert again.pacing_states() == {campaign_id: LEARNING}
        await again.save_models()  # a restored model that learned nothing keeps its time
        assert stored() == (pytest.approx(rig.dialer.clock() - 3 * 86400, abs=60), learned.snapshot())
    finally:
        await again.stop()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # pacing, not storage: one database is enough
async def test_a_predictive_campaign_overdials_once_it_has_learned_and_counts_every_person(
        rig: Rig, tmp_path: Path) -> None:
    """Predictive pacing through the whole stack (AMI originates, AMD, the ACD, the agents' wrap-up): once its
    model has seen enough calls it dials lines that hold no agent, more than the agents ready, and every person
    who answered is in its abandon ledger as the dial's events tell it (put through, or abandoned)."""
    numbers = tuple(f"+1212345{i:04d}" for i in range(300))  # callees drawn from the simulator's population
    campaign_id = await running_campaign(rig, tmp_path, numbers, mode="predictive")
    pacer = rig.dialer._pacers[campaign_id] = PredictivePacer(stats=DialStats(min_samples=5))
    await rig.acd.set_ready("a1")
    await rig.acd.set_ready("a2")
    overdialled: list[int] = []

    def watch() -> bool:
        lines = len(rig.dialer.lines.of(campaign_id))
        ready = sum(a.state is AgentState.READY for a in rig.acd.agents_of("sales"))
        if pacer.stats.learned(2) and lines > ready:
            overdialled.append(lines)
        return len(overdialled) >= 3

    await rig.dialer.start()
    for _ in range(3):  # the model learns from a dozen calls first (a minute and a half of simulated time)
        with contextlib.suppress(AssertionError):
            await rig.until(watch, "lines beyond the ready agents")
            break
    assert overdialled, "predictive pacing never dialled beyond the ready agents"
    await rig.dialer.stop()
    ended = [e for e in rig.of(CampaignDialEnded) if isinstance(e, CampaignDialEnded)]
    persons = {e.attempt_id for e in rig.of(CampaignDialAnswered)
               if isinstance(e, CampaignDialAnswered) and e.verdict == "person"}
    connected = {e.call_id for e in rig.of(CallConnected) if isinstance(e, CallConnected)}
    abandoned = {e.attempt_id for e in ended if e.outcome == "abandoned"}
    assert any(e.agent_id is None for e in rig.of(CampaignDialPlaced) if isinstance(e, CampaignDialPlaced))
    counts = pacer.ledger.counts(US, rig.dialer.clock())
    # each person counted once (put through within 2 s, or abandoned); one whose agent is still ringing is not yet
    assert counts.abandoned == len(abandoned & persons)
    assert len((connected | abandoned) & persons) - 2 <= counts.live <= len(persons)


async def test_a_call_dialled_by_hand_is_kept_in_the_history_with_its_wrap_up(rig: Rig) -> None:
    with session_scope(factory(rig.engine)) as session:
        customer = Customer(code="123456", name="Ada Lovelace", created_at=0.0, updated_at=0.0)
        session.add(customer)
        session.flush()
        customer_id = str(customer.id)
    placer = AmiCallPlacer(rig.ami, rig.acd)
    await rig.acd.set_ready("a1")
    await rig.acd.set_ready("a2")
    person = await placer.place_call("a1", "+12122345600", caller_id=None,
                                     variables={CUSTOMER_VARIABLE: customer_id})
    busy = await placer.place_call("a2", "+12122345601", caller_id=None, variables={})
    assert {rig.acd.acd.agent(a).reason for a in ("a1", "a2")} == {MANUAL_CALL_PAUSE}  # no queue offers them calls
    ended = lambda: {e.call_id: e for e in rig.of(ManualCallEnded)}  # noqa: E731
    await rig.until(lambda: {person, busy} <= set(ended()), "both calls to end")
    assert (ended()[person].outcome, ended()[busy].outcome) == ("answered", "busy")

    def rows() -> dict[str, Interaction]:
        with session_scope(factory(rig.engine)) as session:
            return {row.call_id: row for row in session.scalars(select(Interaction)).all()}

    await rig.until(lambda: all(rows().get(c) is not None and rows()[c].end_at for c in (person, busy)), "the rows")
    talked, refused = rows()[person], rows()[busy]
    assert (talked.direction, talked.agent_id, talked.ani, talked.customer_id) == (
        "manual", "a1", "+12122345600", int(customer_id))
    assert talked.outcome == "answered" and talked.answer_at is not None
    assert talked.talk_seconds == pytest.approx(8.0, abs=1.5)  # the person's 8 s
    assert (refused.direction, refused.agent_id, refused.outcome, refused.answer_at) == ("manual", "a2", "busy", None)
    # the pause the call put them in is over with it; after a talk, once the agent wraps it up
    await rig.until(lambda: rig.acd.acd.agent("a2").state is AgentState.READY, "a2 to be ready again")
    assert rig.acd.acd.agent("a1").reason == MANUAL_CALL_PAUSE
    await placer.wrap_up(person, "a1", "follow_up", "sends the contract on Monday")
    await rig.until(lambda: rig.acd.acd.agent("a1").state is AgentState.READY, "a1 to be ready after the wrap-up")
    await rig.until(lambda: rows()[person].disposition is not None, "the wrap-up in the history")
    assert (rows()[person].disposition, rows()[person].notes) == ("follow_up", "sends the contract on Monday")
    assert rows()[person].wrap_up_seconds is not None


async def test_a_do_not_call_said_while_the_campaign_was_paused_is_kept_and_decided_once(
        rig: Rig, tmp_path: Path) -> None:
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345600",))
    await rig.acd.set_ready("a1")
    await rig.dialer.start()
    await rig.until(lambda: rig.of(CallConnected), "the person to reach the agent")
    [connected] = rig.of(CallConnected)
    assert isinstance(connected, CallConnected)
    [placed] = rig.of(CampaignDialPlaced)
    assert isinstance(placed, CampaignDialPlaced)
    await rig.outbound.set_status(campaign_id, PAUSED, actor="camp")  # while they talk
    assert rig.outbound.hopper(campaign_id) is None
    await rig.acd.dispose(connected.call_id, connected.agent_id, "do not call", "asked to be taken off")
    number = parse_number("+12122345600")
    await rig.until(lambda: rig.outbound.dnc.blocks(number.digits, str(campaign_id)) is not None,
                    "the number to be on the internal list")
    # kept in storage: the lead's history and story, and the list entry every process reads
    await rig.outbound.dial_ended(campaign_id, placed.lead_id, rules.ANSWERED, detail="late report")  # decided once

    def stored() -> tuple[int, str | None, list[str], int]:
        with session_scope(factory(rig.engine)) as session:
            lead = session.get(LeadRow, placed.lead_id)
            assert lead is not None
            story = session.scalars(select(LeadEvent.detail).where(LeadEvent.lead_id == placed.lead_id,
                                                                   LeadEvent.kind == "outcome")).all()
            listed = session.scalar(select(func.count()).select_from(DncEntryRow).where(
                DncEntryRow.digits == number.digits))
            return lead.attempts, lead.last_outcome, list(story), listed or 0

    await rig.until(lambda: stored()[3] == 1, "the list entry to be stored")
    attempts, last_outcome, story, _ = stored()
    assert (attempts, last_outcome) == (1, rules.DO_NOT_CALL)
    assert story == ["do_not_call (do not call) by a1"]
