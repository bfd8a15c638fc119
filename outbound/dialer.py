"""The dialer: the edge that makes running campaigns dial, through the ACD's agents and Asterisk's AMI.

Every ``tick_seconds`` each running progressive or predictive campaign gets a round: its pacer
(:mod:`outbound.pacing`) says how many lines, :func:`outbound.dialer_lines.take_leads` holds agents (progressive)
and takes confirmed leads from :class:`~outbound.service.OutboundService`, and each lead is originated
(``Async``, ``ActionID`` = the attempt) as ``Local/<number>@callcenter-outbound`` into ``callcenter-dialer``/<attempt
id> with the channel variables the dialplan reads (see ``asterisk_conf``). A preview campaign dials only when
a desk asks: :meth:`Dialer.preview_dial` holds that agent and dials the next lead (or one named lead) for them.
A due call-back an agent kept for themself is dialled holding that agent; while they are not free it waits, up to
``callback_grace`` seconds past its time, then goes to whoever is free.

What the PBX reports decides each attempt (:mod:`outbound.dial_outcomes`): a failed ``OriginateResponse`` with
the hang-up causes of its channels (busy, no answer, congestion, invalid, failed); ``CC_AMD_STATUS`` set by the
dialplan for a machine (hang up or message there); the ``dialer`` FastAGI script for a person, which hands them
to the held agent (or, predictive, to any ready agent of the campaign's queue) the way inbound callers reach
agents (:meth:`acd.service.AcdService.wait_in_queue`, pinned, with the attempt id as call id), or plays the
abandon message at once when nobody is free. Outcomes go to :meth:`OutboundService.dial_ended` (retries and
do-not-call follow the campaign's rules); a connected person's lead is decided by the agent's disposition
(``CallDisposed`` → :meth:`OutboundService.dispose`). Each attempt's timeline is published on the bus
(:mod:`outbound.dial_events`). What a predictive campaign's pacer learned is saved every ``MODEL_SAVE_SECONDS``
and at a stop (:mod:`outbound.pacing_store`); a dialer that makes the pacer again (a restart, a fail-over) starts
from it, and from the campaign's 30 days of outcomes, instead of dialling progressively until it learned again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import math
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from acd.agents import AgentState
from acd.control import AgentControlRefused
from acd.events import AgentStateChanged, CallAbandoned, CallConnected, CallDisposed, CallEnded
from acd.service import AcdService
from asterisk_conf.dialstring import callback_number
from bus.clock import Clock
from bus.eventbus import EventBus
from bus.events import DomainEvent
from bus.tasks import TaskSet
from cti.agi import AgiError, AgiHangup, AgiServer, AgiSession
from cti.ami.client import AmiClient, AmiError
from cti.ami.events import ChannelHungUp, OriginateResult, VariableSet
from ivr.caller import CallerData
from ivr.outcome import IvrOutcome, OutcomeKind
from outbound import dial_outcomes as dial
from outbound.abandon import US_WINDOW, AbandonLedger
from outbound.after_call import AfterCallWork
from outbound.campaign_store import StoredCampaign
from outbound.campaigns import AGENT, PREDICTIVE, PREVIEW, SOUND_NAME, CampaignError
from outbound.dial_events import (
    CONNECTED,
    CampaignDialAnswered,
    CampaignDialEnded,
    CampaignDialPlaced,
    EarlierAttemptsLost,
)
from outbound.dialer_lines import Line, LineBook, Take, pacing_state, take_leads
from outbound.hopper import HopperError
from outbound.leads import Lead
from outbound.pacing import DialStats, Pacer, PacingError, PredictivePacer
from outbound.rules import ANSWERED
from outbound.service import DispositionError, OutboundService

log = logging.getLogger(__name__)

DIALER_CONTEXT = "callcenter-dialer"
#: The channel variables the dialplan and a restarted node read (values are ids, rules and sound names only).
CAMPAIGN_VARIABLE, LEAD_VARIABLE, ATTEMPT_VARIABLE = "CC_CAMPAIGN_ID", "CC_LEAD_ID", "CC_ATTEMPT_ID"
RULE_VARIABLE, MACHINE_MESSAGE_VARIABLE, ABANDON_MESSAGE_VARIABLE = (
    "CC_MACHINE_RULE", "CC_MACHINE_MESSAGE", "CC_ABANDON_MESSAGE")
AMD_STATUS_VARIABLE, AMD_CAUSE_VARIABLE = "CC_AMD_STATUS", "CC_AMD_CAUSE"
#: The far half of an attempt's Local channel has the attempt id and this as its Uniqueid (ids have no '.').
OTHER_HALF = ".2"
#: Real seconds a failed originate waits for its channels' hang-up causes, which may come after it.
CAUSE_GRACE = 0.3
#: Seconds from AMD's verdict within which an agent must take the answered person, or the call counts as
#: abandoned (the US and UK rules' 2 s).
CONNECT_LIMIT = 2.0
CAMPAIGN_CACHE_SECONDS = 5.0
#: How often the predictive campaigns' pacing models are saved, and how old a saved one may be to be used
#: (callees' habits and the team move on).
MODEL_SAVE_SECONDS = 300.0
MODEL_SHELF_LIFE = 7 * 86400.0
#: Seconds a stopping dialer gives the last save of its models.
MODEL_SAVE_TIMEOUT = 2.0


class DialerSettingsError(ValueError):
    """A ``[dialer]`` setting that cannot work."""


class PreviewError(RuntimeError):
    """A preview dial that cannot be made now (agent not ready, no lead, campaign not running)."""


@dataclasses.dataclass(frozen=True, slots=True)
class DialerSettings:
    """The ``[dialer]`` table (what a call AMD judges a machine gets is each campaign's ``machine_rule``; the
    messages here play for campaigns that have no recording of their own)."""

    enabled: bool = True
    tick_seconds: float = 1.0
    ring_seconds: int = 30
    dial: str = "Local/{number}@callcenter-outbound"
    machine_message: str = "vm-goodbye"
    abandon_message: str = "sorry-youre-having-problems"
    keep_for_inbound: int = 0
    max_lines: int = 50
    # Seconds after a connected call's talk ends that the lead waits for the agent's disposition; then it is
    # recorded as answered (a final outcome), so no lead stays taken out for good.
    disposition_wait: float = 900.0
    # Seconds past a call-back's time that a call-back kept for one agent waits for that agent to be free;
    # then whoever is free takes it.
    callback_grace: float = 300.0

    def __post_init__(self) -> None:
        for name in (self.machine_message, self.abandon_message):
            if not SOUND_NAME.fullmatch(name):
                raise DialerSettingsError(f"message {name!r}: a sound name of letters, digits, _ / - only")
        if not 15 <= self.ring_seconds <= 120:
            raise DialerSettingsError("ring_seconds: 15-120")
        if self.tick_seconds <= 0 or self.max_lines < 1 or self.keep_for_inbound < 0 or self.callback_grace < 0:
            raise DialerSettingsError(
                "tick_seconds and max_lines must be positive, keep_for_inbound and callback_grace not negative")
        if "{number}" not in self.dial:
            raise DialerSettingsError("dial: needs {number}")

    @classmethod
    def from_table(cls, table: Mapping[str, Any], *, ring_seconds: int = 30) -> DialerSettings:
        """Read the ``[dialer]`` table (unknown keys refused); ``ring_seconds`` is the node's setting."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(table) - known)
        moved = sorted(set(unknown) & {"machine_rule", "machine_rules"})
        if moved:
            raise DialerSettingsError(f"[dialer]: {', '.join(moved)}: each campaign now has its own machine rule "
                                      "(the campaign page, 'Answering machines'); take it out of [dialer]")
        if "ring_seconds" in table:  # one value: the rendered dialplan's Dial() rings as long as the originate
            raise DialerSettingsError("[dialer]: ring_seconds is the top-level setting (the rendered dialplan "
                                      "uses it too); move it out of [dialer]")
        if unknown:
            raise DialerSettingsError(f"[dialer]: unknown settings {', '.join(unknown)}")
        values = dict(table)
        values.setdefault("ring_seconds", ring_seconds)
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise DialerSettingsError(f"[dialer]: {exc}") from exc


@dataclasses.dataclass(slots=True)
class _Handed:
    """A person handed to an agent: the lead waits for the agent's disposition."""

    campaign_id: int
    lead_id: int
    talk_ended_at: float | None = None
    person_at: float | None = None  # AMD's verdict on a person, until the pacer is told of their connect
    abandoned: bool = False  # the agent's phone did not take them in time (or they hung up while it rang)


class Dialer:
    """See the module doc. ``clock`` must be the ACD's and the outbound service's."""

    def __init__(self, outbound: OutboundService, acd: AcdService, ami: AmiClient, agi: AgiServer, bus: EventBus,
                 *, settings: DialerSettings | None = None, clock: Clock = time.time) -> None:
        self.outbound = outbound
        self.acd = acd
        self.ami = ami
        self.agi = agi
        self.bus = bus
        self.settings = settings or DialerSettings()
        self.clock = clock
        self.lines = LineBook(prefix=f"dial-{secrets.token_hex(3)}-")
        self._pacers: dict[int, Pacer] = {}
        self._campaigns: dict[int, tuple[float, StoredCampaign]] = {}
        self._actions: dict[str, str] = {}  # AMI ActionID -> attempt id
        self._early: dict[str, OriginateResult] = {}
        self._handed: dict[str, _Handed] = {}  # attempt id (= ACD call id) -> its lead
        self._after_call = AfterCallWork()
        self._tasks = TaskSet("dialer", log)
        self._started_at: float | None = None  # until its earlier runs' attempts are declared lost
        self._models_saved_at = -math.inf  # by the dialer's clock
        self._saved_seen: dict[int, int] = {}  # campaign id -> its model's DialStats.seen when saved or restored
        self._saving: asyncio.Task[None] | None = None

    # ---- running ----------------------------------------------------------------------------------

    def register_routes(self) -> None:
        """Route the ``dialer`` FastAGI script (a person answered a campaign's call) to this dialer."""
        self.agi.route("dialer", self.person_answered)

    async def start(self) -> None:
        self.bus.add_listener(self._on_event, OriginateResult, ChannelHungUp, VariableSet, CallDisposed, CallEnded,
                              CallAbandoned, CallConnected, AgentStateChanged)
        self._started_at = self.clock()
        self._tasks.spawn(self._run(), name="dialer-rounds")

    async def stop(self) -> None:
        self.bus.remove_listener(self._on_event)
        await self._tasks.cancel_all()
        # What was learned since the last save, after the save under way (a write in its thread cannot be called
        # off); the stop waits at most MODEL_SAVE_TIMEOUT for both.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(MODEL_SAVE_TIMEOUT):
                if self._saving is not None:
                    await asyncio.wait({self._saving})
                await self.save_models()

    async def _run(self) -> None:
        while True:
            try:
                await self.dial_round()
            except Exception:
                log.exception("dialer round failed; carrying on")
            await asyncio.sleep(self.settings.tick_seconds)

    async def dial_round(self) -> int:
        """One round over every running campaign; returns the lines originated."""
        placed = 0
        for campaign_id in self.outbound.running_campaigns():
            campaign = await self._campaign(campaign_id)
            if campaign is not None and campaign.settings.mode != PREVIEW:
                placed += await self._campaign_round(campaign)
        self._sweep()
        due = self.clock() - self._models_saved_at >= MODEL_SAVE_SECONDS
        if due and (self._saving is None or self._saving.done()):  # beside the rounds, one save at a time
            self._models_saved_at = self.clock()
            self._saving = asyncio.create_task(self.save_models(), name="dialer-save-models")
            self._saving.add_done_callback(_log_failure)
        return placed

    async def save_models(self) -> None:
        """Save each predictive campaign's model that learned something since it was saved or restored (so a
        saved model's time says when it last learned); a failed write is logged and tried at the next save."""
        for campaign_id, pacer in list(self._pacers.items()):
            if not isinstance(pacer, PredictivePacer) or pacer.stats.seen == self._saved_seen.get(campaign_id, 0):
                continue
            seen, model = pacer.stats.seen, pacer.stats.snapshot()
            try:
                await self.outbound.save_pacing_model(campaign_id, model)
            except SQLAlchemyError as exc:
                log.warning("campaign %s: its pacing model was not saved: %s", campaign_id, exc)
            else:
                self._saved_seen[campaign_id] = seen

    async def _campaign(self, campaign_id: int) -> StoredCampaign | None:
        cached = self._campaigns.get(campaign_id)
        now = time.monotonic()
        if cached is None or now - cached[0] > CAMPAIGN_CACHE_SECONDS:
            try:
                cached = (now, await self.outbound.campaign(campaign_id))
            except CampaignError:
                return None
            self._campaigns[campaign_id] = cached
        return cached[1]

    async def _pacer(self, campaign: StoredCampaign) -> Pacer:
        """The campaign's pacer; a new predictive one's abandon ledger starts from the campaign's stored outcomes
        of the last 30 days (a restart or a change of mode does not reset the rolling window), and its model from
        the one saved last (:data:`MODEL_SHELF_LIFE`)."""
        s = campaign.settings
        pacer = self._pacers.get(campaign.id)
        predictive = s.mode == PREDICTIVE
        if pacer is None or isinstance(pacer, PredictivePacer) != predictive:
            pacer = await self._predictive_pacer(campaign) if predictive else Pacer()
            self._pacers[campaign.id] = pacer
        elif isinstance(pacer, PredictivePacer):  # the campaign's settings may have changed since
            pacer.retarget(s.abandon_target, s.abandon_formula, s.amd_false_positive)
        return pacer

    async def _predictive_pacer(self, campaign: StoredCampaign) -> PredictivePacer:
        s = campaign.settings
        stats = DialStats()
        model = await self.outbound.pacing_model(campaign.id, self.clock() - MODEL_SHELF_LIFE)
        if model is not None:
            try:
                stats.restore(model)
            except PacingError as exc:  # learned again from the dials to come
                log.warning("campaign %s: its saved pacing model is not used: %s", campaign.id, exc)
        self._saved_seen[campaign.id] = stats.seen
        # the outcomes last: an abandon stored meanwhile is in them, not lost between two awaits
        ledger = AbandonLedger(false_positive=s.amd_false_positive)
        ledger.replay(await self.outbound.outcomes_since(campaign.id, self.clock() - US_WINDOW))
        pacer = PredictivePacer(target=s.abandon_target, formula=s.abandon_formula, ledger=ledger, stats=stats)
        if self._started_at is not None:  # an earlier run's lines, which this run cannot count, may still ring
            pacer.settle_until = self._started_at + self._earlier_lines_ring_for()
        return pacer

    def _earlier_lines_ring_for(self) -> float:
        """How long after this run started a line of an earlier run may still be ringing or be reported."""
        return self.settings.ring_seconds + 60.0

    async def _campaign_round(self, campaign: StoredCampaign) -> int:
        s = campaign.settings
        pacer = await self._pacer(campaign)
        lines = self.lines.of(campaign.id)
        state = pacing_state(self.clock(), self.acd.agents_of(s.queue), lines,
                             keep_for_inbound=self.settings.keep_for_inbound)
        wanted = min(pacer.lines(state), self.settings.max_lines - len(lines))
        if wanted <= 0:
            return 0
        holds = pacer.reserves_agents()
        placed = 0
        deferred: list[int] = []  # call-backs waiting for their agent: out of the hopper until the round ends
        while placed < wanted:
            takes = take_leads(
                wanted - placed, new_id=self.lines.new_id, next_lead=lambda: self.outbound.next_lead(campaign.id),
                confirm=lambda lead_id: self.outbound.confirm(campaign.id, lead_id),
                hold=(lambda attempt_id: self.acd.reserve_agent(attempt_id, s.queue)) if holds else None,
                let_go=self.acd.release_agent)
            if not takes:
                break
            for take in takes:
                owned = await self._for_callback_owner(campaign, take)
                if owned is None:
                    deferred.append(take.lead.id)
                else:
                    await self._originate(campaign, owned)
                    placed += 1
        for lead_id in deferred:
            self.outbound.put_back(campaign.id, lead_id)
        return placed

    async def _for_callback_owner(self, campaign: StoredCampaign, take: Take) -> Take | None:
        """A due call-back kept for one agent ("call me back, with you") goes to that agent: held for the attempt
        when ready (the agent the round held, if another, let go). While they are not free the lead waits (None:
        the round puts it back and dials others), until ``callback_grace`` seconds past its time; then whoever is
        free takes it."""
        hopper = self.outbound.hopper(campaign.id)
        due = hopper.history(take.lead.id).callback_at if hopper is not None else None
        if due is None:
            return take
        owner = await self.outbound.callback_agent(take.lead.id)
        if owner is None or owner == take.agent_id:
            return take
        try:
            held = self.acd.reserve_agent(take.attempt_id, campaign.settings.queue, owner)
        except AgentControlRefused:  # no such agent any more: anyone
            return take
        if held is None and self.clock() < due + self.settings.callback_grace:
            if take.agent_id is not None:
                self.acd.release_agent(take.agent_id, take.attempt_id)
            return None
        if held is None:
            return take
        if take.agent_id is not None:
            self.acd.release_agent(take.agent_id, take.attempt_id)
        return dataclasses.replace(take, agent_id=held)

    async def preview_dial(self, campaign_id: int, agent_id: str, lead_id: int | None = None) -> str:
        """A desk's "dial the next lead for me": hold ``agent_id`` (who must be ready), take the campaign's
        next confirmed lead (or ``lead_id``, a lead the desk's preview card took out of the hopper) and dial it;
        the answered person is connected to that agent. Returns the attempt id (its events tell the lead, see
        :mod:`outbound.dial_events`); :class:`PreviewError` when it cannot (the lead's rules refuse it now)."""
        campaign = await self._campaign(campaign_id)
        if campaign is None or campaign_id not in self.outbound.running_campaigns():
            raise PreviewError(f"campaign {campaign_id} is not running")
        queue = campaign.settings.queue
        next_lead: Callable[[], Lead | None] = functools.partial(self.outbound.next_lead, campaign_id)
        if lead_id is not None:  # the desk's lead, once
            next_lead = functools.partial(next, iter([self.outbound.held_lead(campaign_id, lead_id)]), None)
        takes = take_leads(
            1, new_id=self.lines.new_id, next_lead=next_lead,
            confirm=lambda found: self.outbound.confirm(campaign_id, found),
            hold=lambda attempt_id: self.acd.reserve_agent(attempt_id, queue, agent_id),
            let_go=self.acd.release_agent)
        if not takes:
            raise PreviewError(f"agent {agent_id} is not ready, or campaign {campaign.name} has no lead to dial now")
        await self._originate(campaign, takes[0])
        return takes[0].attempt_id

    def dial_levels(self) -> dict[int, float]:
        """The wall's dial level: lines in progress per logged-in agent of the campaign's queue, by campaign."""
        levels = {}
        for campaign_id, (_, campaign) in self._campaigns.items():
            agents = [a for a in self.acd.agents_of(campaign.settings.queue) if a.state is not AgentState.LOGGED_OUT]
            if agents and campaign_id in self.outbound.running_campaigns():
                levels[campaign_id] = len(self.lines.of(campaign_id)) / len(agents)
        return levels

    def pacing_states(self) -> dict[int, str]:
        """How each running predictive campaign paces now (:data:`outbound.pacing.PREDICTING`, ``LEARNING`` or
        ``AT_LIMIT``), by campaign id."""
        running = self.outbound.running_campaigns()
        return {campaign_id: pacer.state for campaign_id, pacer in self._pacers.items()
                if campaign_id in running and isinstance(pacer, PredictivePacer)}

    # ---- originating ------------------------------------------------------------------------------

    async def _originate(self, campaign: StoredCampaign, take: Take) -> None:
        s = campaign.settings
        now = self.clock()
        line = self.lines.open(Line(take.attempt_id, campaign.id, take.lead, now, agent_id=take.agent_id,
                                    machine_rule=s.machine_rule))
        number = take.lead.number.e164
        self.bus.publish(CampaignDialPlaced(
            at=now, attempt_id=line.attempt_id, campaign_id=campaign.id, campaign=s.name, lead_id=take.lead.id,
            number=number, queue=s.queue, mode=s.mode, agent_id=take.agent_id))
        if callback_number(number) is None:
            self._end(line, dial.INVALID, detail=f"not a number to dial: {number!r}")
            return
        variables = {
            CAMPAIGN_VARIABLE: str(campaign.id), LEAD_VARIABLE: str(take.lead.id), ATTEMPT_VARIABLE: line.attempt_id,
            RULE_VARIABLE: s.machine_rule, MACHINE_MESSAGE_VARIABLE: s.machine_message or self.settings.machine_message,
            ABANDON_MESSAGE_VARIABLE: self._abandon_message(campaign),
        }
        try:
            action_id = await self.ami.originate(
                self.settings.dial.format(number=number), context=DIALER_CONTEXT, exten=line.attempt_id,
                caller_id=s.caller_id, timeout_ms=self.settings.ring_seconds * 1000, variables=variables,
                channel_id=line.attempt_id, other_channel_id=f"{line.attempt_id}{OTHER_HALF}")
        except (AmiError, ValueError) as exc:
            self._end(line, dial.FAILED, detail=f"originate refused: {exc}")
            return
        early = self._early.pop(action_id, None)
        if early is not None:
            self._originated(line.attempt_id, early)
        else:
            self._actions[action_id] = line.attempt_id

    # ---- what the PBX reports ---------------------------------------------------------------------

    def _on_event(self, event: DomainEvent) -> None:
        if isinstance(event, OriginateResult):
            attempt_id = self._actions.pop(event.action_id or "", None)
            if attempt_id is not None:
                self._originated(attempt_id, event)
            elif event.action_id is not None and event.action_id.startswith(self.lines.prefix):
                self._early[event.action_id] = event  # before originate() returned
        elif isinstance(event, ChannelHungUp):
            self._hung_up(event)
        elif isinstance(event, VariableSet) and event.name == AMD_CAUSE_VARIABLE:
            line = self.lines.get(event.uniqueid or "")
            if line is not None:
                line.amd_cause = event.value
        elif isinstance(event, VariableSet) and event.name == AMD_STATUS_VARIABLE:
            line = self.lines.get(event.uniqueid or "")
            if line is not None and event.value == "MACHINE" and line.machine_rule != AGENT:
                self._answered(line, dial.MACHINE, event.value, line.amd_cause)
                self._end(line, dial.MACHINE, detail=f"answering machine ({line.machine_rule})")
        elif isinstance(event, CallDisposed):
            handed = self._handed.pop(event.call_id, None)
            if handed is not None:
                self._tasks.spawn(self._dispose(handed, event), name=f"dispose-{event.call_id}")
        elif isinstance(event, CallConnected) and event.call_id in self._handed:
            self._count_person(event.call_id, self._handed[event.call_id], event.at)
        elif isinstance(event, CallAbandoned):
            handed = self._handed.pop(event.call_id, None)
            if handed is not None:  # the agent's phone did not take them in time, or they hung up meanwhile
                handed.abandoned = True
                self._count_person(event.call_id, handed, None)
                self._report(handed.campaign_id, handed.lead_id, dial.HOPPER_OUTCOME[dial.ABANDONED])
        elif isinstance(event, CallEnded) and event.call_id in self._handed:
            handed = self._handed[event.call_id]
            handed.talk_ended_at = event.at
            pacer = self._pacers.get(handed.campaign_id)
            if pacer is not None:
                pacer.handled(event.talk_seconds)
            if event.agent_id is not None:
                self._after_call.talk_ended(event.agent_id, handed.campaign_id, event.at)
        elif isinstance(event, AgentStateChanged):
            wrapped = self._after_call.state_changed(event.agent_id, event.previous, event.state, event.at)
            pacer = self._pacers.get(wrapped.campaign_id) if wrapped is not None else None
            if wrapped is not None and pacer is not None:
                pacer.wrapped(wrapped.seconds)

    def _count_person(self, call_id: str, handed: _Handed, connected_at: float | None) -> None:
        """Tell the pacer, once, of a person handed to an agent: abandoned unless the agent took them within
        :data:`CONNECT_LIMIT` of AMD's verdict (``connected_at`` None: they were gone before)."""
        if handed.person_at is None:
            return
        at, handed.person_at = handed.person_at, None
        abandoned = connected_at is None or connected_at - at > CONNECT_LIMIT
        if connected_at is not None and abandoned:
            log.warning("campaign call %s: the agent took the person %.1f s after AMD's verdict; counted as "
                        "abandoned (does the agent's phone answer by itself?)", call_id, connected_at - at)
        pacer = self._pacers.get(handed.campaign_id)
        if pacer is not None:
            pacer.live(at, abandoned=abandoned)

    def _originated(self, attempt_id: str, result: OriginateResult) -> None:
        line = self.lines.get(attempt_id)
        if line is None:
            return
        if result.success:
            line.answered_at = self.clock()
            return
        # The channels' hang-up causes tell an invalid number from a rejection; they may still be on the way.
        loop = asyncio.get_running_loop()
        loop.call_later(CAUSE_GRACE, self._failed, attempt_id, result)

    def _failed(self, attempt_id: str, result: OriginateResult) -> None:
        line = self.lines.get(attempt_id)
        if line is None:
            return
        try:
            outcome = dial.originate_outcome("Failure", result.reason, line.causes)
        except dial.DialOutcomeError as exc:
            outcome = dial.FAILED
            log.warning("attempt %s: %s", attempt_id, exc)
        self._end(line, outcome or dial.FAILED, detail=f"originate reason {result.reason}, causes {line.causes}")

    def _hung_up(self, event: ChannelHungUp) -> None:
        attempt_id = event.uniqueid.partition(OTHER_HALF)[0]
        line = self.lines.get(attempt_id)
        if line is None:
            return
        line.causes.append(event.cause)
        if event.uniqueid == attempt_id and line.answered_at is not None and line.verdict is None:
            self._end(line, dial.FAILED, detail="hung up before AMD could tell")  # AMDSTATUS HANGUP

    def _answered(self, line: Line, verdict: str, status: str, cause: str = "") -> None:
        now = self.clock()
        line.verdict = verdict
        line.answered_at = line.answered_at or now
        pacer = self._pacers.get(line.campaign_id)
        if pacer is not None:
            pacer.resolved(now, now - line.dialled_at, connect=verdict == dial.PERSON)
            if verdict == dial.MACHINE:
                pacer.machine(now)
        self.bus.publish(CampaignDialAnswered(at=now, attempt_id=line.attempt_id, campaign_id=line.campaign_id,
                                              lead_id=line.lead.id, verdict=verdict, amd_status=status,
                                              amd_cause=cause))

    def _end(self, line: Line, outcome: str, *, agent_id: str | None = None, detail: str = "",
             person_at: float | None = None) -> None:
        """Close the line: let its held agent go (unless it took the person), publish, and tell the hopper.
        ``person_at``: when AMD said a person answered a line handed to an agent (its pacer counts the person
        when the agent takes them)."""
        if self.lines.close(line.attempt_id) is None:
            return
        now = self.clock()
        if line.agent_id is not None and outcome != CONNECTED:
            self.acd.release_agent(line.agent_id, line.attempt_id)
        pacer = self._pacers.get(line.campaign_id)
        if pacer is not None and line.verdict is None:
            pacer.resolved(now, now - line.dialled_at, connect=False)
        cached = self._campaigns.get(line.campaign_id)
        self.bus.publish(CampaignDialEnded(
            at=now, attempt_id=line.attempt_id, campaign_id=line.campaign_id,
            campaign=cached[1].name if cached else line.lead.campaign, lead_id=line.lead.id, outcome=outcome,
            ring_seconds=(line.answered_at or now) - line.dialled_at, agent_id=agent_id or line.agent_id,
            detail=detail))
        if outcome == CONNECTED:
            self._handed[line.attempt_id] = _Handed(line.campaign_id, line.lead.id, person_at=person_at)
            return
        self._report(line.campaign_id, line.lead.id, dial.HOPPER_OUTCOME[outcome], detail=detail)

    def _sweep(self) -> None:
        """Backstops for reports that never came: a line ringing past its time (and a minute) has failed, and so
        long after this run started, the earlier runs' lines no report ended are lost; a talk the agent did not
        dispose of within ``disposition_wait`` was answered."""
        limit = self._earlier_lines_ring_for()
        now = self.clock()
        if self._started_at is not None and now - self._started_at > limit:
            self.bus.publish(EarlierAttemptsLost(at=now, before=self._started_at))
            self._started_at = None
        for line in list(self.lines):
            if now - (line.answered_at or line.dialled_at) > limit:
                self._end(line, dial.FAILED, detail="no report from the PBX")
        for call_id, handed in list(self._handed.items()):
            if handed.talk_ended_at is not None and now - handed.talk_ended_at > self.settings.disposition_wait:
                del self._handed[call_id]
                self._report(handed.campaign_id, handed.lead_id, ANSWERED, detail="answered (no disposition)")

    def _report(self, campaign_id: int, lead_id: int, outcome: str, *, detail: str = "", by: str = "dialer") -> None:
        """Tell the outbound service how a lead's dial ended (in the background)."""
        async def report() -> None:
            try:
                await self.outbound.dial_ended(campaign_id, lead_id, outcome, detail=detail, by=by)
            except CampaignError:  # a campaign that is no more (one paused or stopped meanwhile keeps it)
                log.info("campaign %s is gone: lead %s's %s is not kept", campaign_id, lead_id, outcome)
            except HopperError:  # the desk's campaign wrap-up decided the lead already (a call-back, say)
                log.debug("lead %s was decided at the desk; the dialer's %s is not kept", lead_id, outcome)
        self._tasks.spawn(report(), name=f"dial-ended-{lead_id}")

    async def _dispose(self, handed: _Handed, event: CallDisposed) -> None:
        try:
            await self.outbound.dispose(handed.campaign_id, handed.lead_id, event.disposition, by=event.agent_id)
        except DispositionError as exc:
            log.warning("call %s: %s; the lead is recorded as answered unless the desk's wrap-up decided it",
                        event.call_id, exc)
            self._report(handed.campaign_id, handed.lead_id, ANSWERED, detail=f"answered ({event.disposition})",
                         by=event.agent_id)
        except CampaignError:
            log.info("campaign %s is gone: lead %s's disposition %r is not kept", handed.campaign_id,
                     handed.lead_id, event.disposition)
        except HopperError:  # the desk's campaign wrap-up gave the lead its outcome (and call-back time) already
            log.debug("call %s: lead %s was disposed of at the desk", event.call_id, handed.lead_id)

    # ---- a person answered: the 'dialer' FastAGI script --------------------------------------------

    async def _adopt(self, session: AgiSession) -> Line | None:
        """Take over the line of a person who answered a dial made before this node started (a restart): its
        campaign and lead from the call's variables, when that campaign runs here; the lead is out again until
        this attempt's outcome, so it is not dialled twice."""
        attempt_id = session.env.extension or ""
        if not attempt_id or await session.get_variable(ATTEMPT_VARIABLE) != attempt_id:
            return None  # not the attempt's own answered channel (e.g. the 'failed' run of a failed originate)
        try:
            campaign_id = int(await session.get_variable(CAMPAIGN_VARIABLE) or "")
            lead_id = int(await session.get_variable(LEAD_VARIABLE) or "")
        except ValueError:
            return None
        campaign = await self._campaign(campaign_id)
        if campaign is None or campaign_id not in self.outbound.running_campaigns():
            return None
        now = self.clock()
        try:
            lead = self.outbound.adopt_lead(campaign_id, lead_id, now)
        except (HopperError, CampaignError):
            return None
        log.info("dialer: attempt %s (lead %s) of campaign %s dialled before this node started, taken over",
                 attempt_id, lead_id, campaign.name)
        return self.lines.open(Line(attempt_id, campaign_id, lead, now, machine_rule=campaign.settings.machine_rule))

    def _abandon_message(self, campaign: StoredCampaign | None) -> str:
        """What a person no agent can take hears: the campaign's recording, else the ``[dialer]`` one."""
        return (campaign.settings.abandon_message if campaign is not None else "") or self.settings.abandon_message

    async def person_answered(self, session: AgiSession) -> None:
        """Hand the person to the agent held for the attempt, or any ready one; else the abandon message."""
        line = self.lines.get(session.env.extension or "") or await self._adopt(session)
        if line is None:  # not a campaign running here: nobody can take them, but a person hears why
            log.warning("dialer: no attempt %r in progress on %s; the abandon message, then hang up",
                        session.env.extension, session.channel)
            with contextlib.suppress(AgiError):
                await session.stream_file(self.settings.abandon_message)
                await session.hangup()
            return
        status = await session.get_variable("AMDSTATUS") or "NOTSURE"
        cause = await session.get_variable("AMDCAUSE") or ""
        try:
            verdict = dial.amd_outcome(status, cause)
        except dial.DialOutcomeError:
            verdict = dial.PERSON
        self._answered(line, dial.PERSON if verdict == dial.FAILED else verdict, status, cause)
        campaign = await self._campaign(line.campaign_id)
        queue = campaign.settings.queue if campaign is not None else ""
        agent_id = line.agent_id
        if agent_id is None or not self.acd.holds(agent_id, line.attempt_id):
            agent_id = self.acd.reserve_agent(line.attempt_id, queue) if queue else None
        pacer = self._pacers.get(line.campaign_id)
        person = status != "MACHINE"
        if pacer is not None and person and agent_id is None:
            pacer.live(self.clock(), abandoned=True)
        if agent_id is None:
            line.agent_id = None
            self._end(line, dial.ABANDONED, detail="no agent free for the answered person")
            with contextlib.suppress(AgiError):
                await session.stream_file(self._abandon_message(campaign))
                await session.hangup()
            return
        line.agent_id = agent_id
        assert campaign is not None
        self._end(line, CONNECTED, agent_id=agent_id, person_at=self.clock() if person else None)
        handed = self._handed.get(line.attempt_id)
        outcome = IvrOutcome(kind=OutcomeKind.QUEUE, call_id=line.attempt_id, queue=queue,
                             caller=caller_data(campaign, line))
        with contextlib.suppress(AgiHangup):
            await self.acd.wait_in_queue(session, outcome, agent_id)
        if handed is not None and handed.abandoned:  # the agent's phone did not take them within the 2 s
            with contextlib.suppress(AgiError):
                await session.stream_file(self._abandon_message(campaign))
                await session.hangup()


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("saving the pacing models failed", exc_info=task.exception())


def caller_data(campaign: StoredCampaign, line: Line) -> CallerData:
    """What the agent's screen pop and the interaction row know of a campaign call: the number, and
    ``campaign_id``, ``lead_id``, ``campaign`` and ``attempt_id`` in its data."""
    return CallerData(ani=line.lead.number.e164, intent=f"campaign: {campaign.name}", ivr_data=(
        ("attempt_id", line.attempt_id), ("campaign", campaign.name), ("campaign_id", str(campaign.id)),
        ("lead_id", str(line.lead.id))))
