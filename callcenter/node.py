"""One running callcenter node: storage, bus, event log, interaction history, PBX link (or the embedded
simulator), FastAGI server with the IVR, and the web app. ``callcenter serve`` is this, until a signal."""

from __future__ import annotations

import asyncio
import logging
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from redis.exceptions import RedisError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from acd.agents import AgentState
from acd.config import ConfigError
from acd.config import load_config as load_acd_config
from acd.core import Acd
from acd.service import AcdService
from agent_desktop.accounts import Account, AccountConfigError
from agent_desktop.config import DesktopConfigError, desktop_config_from_raw
from agent_desktop.handling import HUB
from bus.eventbus import EventBus
from bus.events import DomainEvent
from callcenter.doctor_call import answer_doctor_call
from callcenter.interaction_recorder import InteractionRecorder
from callcenter.leadership import LeaderLease
from callcenter.metrics import NodeMetrics
from callcenter.open_calls_snapshot import OpenCallsSnapshot
from callcenter.ops import OpsServer
from callcenter.recorder import EventRecorder
from callcenter.redis_bus import RedisBridge
from callcenter.settings import MANUAL_WRAP_UP_RANGE, Settings
from callcenter.speech import SpeechInput, SpeechSettings, SpeechSettingsError, start_speech
from callcenter.staff_seed import seeded_staff
from crm_core.commands import default_region
from crm_core.db import make_engine, make_session_factory, migrate, session_scope
from crm_core.demo import seed_demo
from crm_core.eventlog import SqlEventLog
from crm_core.models import Customer
from cti.agi import AgiApplicationNotFound, AgiHangup, AgiServer, AgiSession
from cti.agi.server import parse_peer_networks
from cti.ami.client import AmiClient, AmiConfig
from cti.sim import Simulator, SimulatorConfig, TrafficSettings
from cti.sim.config import ANSWER_BY_HOUR, CalleePopulation, PhoneBehaviour
from ivr.agi_channel import AgiCallChannel
from ivr.agi_runner import run_flow
from ivr.directory import CustomerDirectory
from ivr.events import IvrFinished
from ivr.flow import Flow
from ivr.loader import load_builtin_flow
from ivr.outcome import OutcomeKind
from ivr.prompts import PromptLibrary
from ivr.tts import SpeechSynthesizer
from outbound.dialer import Dialer, DialerSettings, DialerSettingsError
from outbound.service import OutboundService
from reports.rollup_store import rebuild_if_missing
from reports.rollups import queue_kpis

log = logging.getLogger(__name__)

DEMO_CONFIG = Path(__file__).with_name("demo.toml")


def with_demo_center(raw: dict[str, Any]) -> dict[str, Any]:
    """The settings as they are when they declare a contact center; else with the demo one's queues and agents
    added, so a newcomer has some."""
    if "queues" in raw:
        return raw
    return {**tomllib.loads(DEMO_CONFIG.read_text(encoding="utf-8")), **raw}

# Demo traffic: enough calls that the wall moves within seconds of `make run`.
DEMO_CALLS_PER_HOUR = 240.0



def ami_config(settings: Settings, *, host: str | None = None, port: int | None = None) -> AmiConfig:
    """The AMI client's configuration from the node's settings (``host``/``port`` override theirs)."""
    return AmiConfig(
        host=settings.ami_host if host is None else host,
        port=settings.ami_port if port is None else port,
        username=settings.ami_user,
        secret=settings.ami_secret,
    )

class NodeStartError(RuntimeError):
    """A component could not start (port in use, PBX unreachable, bad database URL...)."""


@dataclass
class Node:
    """Assembles and runs the components named by ``settings``; ``say`` prints start-up notices.

    ``simulator_speed`` is the embedded simulator's simulated seconds per real second (prompts,
    callers and phones run that much faster); tests and what-if runs raise it.
    """

    settings: Settings
    directory_factory: Callable[[sessionmaker[Session]], CustomerDirectory]
    say: Callable[[str], None] = print
    bus: EventBus = field(default_factory=EventBus)
    engine: Engine | None = None
    sessions: sessionmaker[Session] | None = None
    simulator: Simulator | None = None
    ami: AmiClient | None = None
    agi: AgiServer | None = None
    recorder: EventRecorder | None = None
    interactions: InteractionRecorder | None = None
    outbound: OutboundService | None = None
    dialer: Dialer | None = None
    simulator_speed: float = 1.0
    flow: Flow | None = None
    speech: SpeechInput | None = None
    http_port: int | None = None
    demo_codes: tuple[str, ...] = ()
    staff_accounts: list[Account] = field(default_factory=list)  # web logins as stored (seeded from the settings)
    acd: Acd | None = None
    acd_service: AcdService | None = None
    open_calls: OpenCallsSnapshot | None = None
    redis: RedisBridge | None = None
    lease: LeaderLease | None = None
    metrics: NodeMetrics | None = None
    ops: OpsServer | None = None
    web_app: web.Application | None = None
    _web: web.AppRunner | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self, web_app: Callable[[Node], web.Application] | None = None) -> None:
        s = self.settings
        if s.demo and not s.simulated_pbx:
            # Demo mode creates demo-admin/demo-admin and readies agents: harmless on the simulator,
            # a way into real calls on a real PBX.
            raise NodeStartError(
                f"demo mode runs only on the PBX simulator, not with ami_host={s.ami_host!r}: "
                "unset ami_host or leave out --demo / CALLCENTER_DEMO"
            )
        try:
            agi_peers = parse_peer_networks(s.agi_allow)
        except ValueError as exc:
            raise NodeStartError(f"agi_allow {s.agi_allow!r}: {exc}") from exc
        low, high = MANUAL_WRAP_UP_RANGE
        if not low <= s.manual_wrap_up_seconds <= high:
            raise NodeStartError(
                f"manual_wrap_up_seconds: {s.manual_wrap_up_seconds} must be {low}-{high} whole seconds")
        try:
            dialer_settings = DialerSettings.from_table(s.raw.get("dialer", {}), ring_seconds=s.ring_seconds)
        except DialerSettingsError as exc:
            raise NodeStartError(str(exc)) from exc
        self.engine = make_engine(s.db_url)
        await asyncio.to_thread(migrate, self.engine)
        self.sessions = make_session_factory(self.engine)
        await self._start_ops()
        if s.demo:
            self.demo_codes = await asyncio.to_thread(self._seed_demo)
        # With several nodes on Redis, an event is stored once: by the node where it was published.
        self.recorder = EventRecorder(self.bus, SqlEventLog(self.sessions), keep=self._started_here)
        self.recorder.start()
        # The rollups count each queue's calls with its thresholds as the ACD has them (once it is made, below).
        self.interactions = InteractionRecorder(
            self.bus, self.sessions, keep=self._started_here,
            kpis=queue_kpis(lambda: self.acd.config.queues if self.acd is not None else ()))
        self.interactions.start()

        if "queues" not in s.raw:
            s.raw = with_demo_center(s.raw)
            self.say(f"no [[queues]] in callcenter.toml: using the demo queues and agents of {DEMO_CONFIG.name}")
        try:
            s.raw, self.staff_accounts = await asyncio.to_thread(seeded_staff, self.sessions, s.raw)
        except (ConfigError, AccountConfigError) as exc:
            raise NodeStartError(f"settings: {exc}") from exc
        self.acd = Acd(load_acd_config(s.raw), time.time)
        if await asyncio.to_thread(self._count_rollups_if_missing):
            self.say("report rollups counted again from the interaction rows (after an upgrade)")
        if s.redis_url:
            self.redis = RedisBridge(self.bus, s.redis_url)
            try:
                await self.redis.start()
            except (OSError, RedisError) as exc:
                raise NodeStartError(f"Redis at {s.redis_url} is unreachable: {exc}") from exc
            await self._lead(s.redis_url, self.redis.node_id)

        self.flow = load_builtin_flow("main")
        try:
            speech_settings = SpeechSettings.from_section(s.raw.get("ivr", {}))
        except SpeechSettingsError as exc:
            raise NodeStartError(str(exc)) from exc
        self.speech = await start_speech(speech_settings, flow_language=self.flow.language, agi_host=s.agi_host,
                                         allowed_peers=s.agi_allow)
        prompts = PromptLibrary(SpeechSynthesizer(Path(s.data_dir) / "tts"))
        directory = self.directory_factory(self.sessions)
        self.agi = AgiServer(s.agi_host, s.agi_port, interrupter=self._interrupt, allowed_peers=agi_peers)
        self.agi.route("inbound", lambda session: self._inbound(session, directory, prompts))
        self.agi.route("doctor", answer_doctor_call)
        try:
            await self.agi.start()
        except OSError as exc:
            raise NodeStartError(f"FastAGI server cannot listen on {s.agi_host}:{s.agi_port}: {exc}") from exc

        ami_host = s.ami_host
        if s.simulated_pbx:
            ami_host = "127.0.0.1"
            self.simulator = Simulator(self._simulator_config())
            try:
                await self.simulator.start()
            except OSError as exc:
                raise NodeStartError(f"PBX simulator cannot listen on port {s.ami_port}: {exc}") from exc
            self.say(
                "*** No AMI address configured: started the embedded PBX SIMULATOR on "
                f"127.0.0.1:{self.simulator.ami_port} (calls are simulated, not real) ***"
            )
        config = ami_config(s, host=ami_host, port=self.simulator.ami_port if self.simulator else s.ami_port)
        self.ami = AmiClient(config, self.bus)
        self.ami.start()
        try:
            await self.ami.wait_ready(timeout=15)
        except TimeoutError as exc:
            raise NodeStartError(f"no AMI session with {ami_host}:{config.port} after 15 s") from exc

        assert self.acd is not None
        self.acd_service = AcdService(self.acd, self.bus, self.ami, self.agi)
        self.acd_service.register_routes()
        await self.acd_service.start()
        # Calls still waiting in the PBX and agent states come back from the channels and the event log (its
        # snapshot of open calls and the events after it).
        self.open_calls = OpenCallsSnapshot(self.sessions)
        await self.acd_service.readopt(await asyncio.to_thread(self.open_calls.open_calls))
        self.open_calls.start()
        if s.demo:
            # Every demo agent but the first (driven by the person trying it out) is simulated and ready.
            for agent in self.acd.agents()[1:]:
                if agent.state is AgentState.LOGGED_OUT:
                    await self.acd_service.set_ready(agent.agent_id)

        # Campaigns, lists and do-not-call: on the node that leads (its hoppers are the dialer's, part 2).
        self.outbound = OutboundService(self.sessions, data_dir=s.data_dir, default_region=default_region(s),
                                        site_zone=_site_zone(s))
        await self.outbound.start()
        if dialer_settings.enabled:  # running campaigns dial (on the simulator: a simulated callee population)
            self.dialer = Dialer(self.outbound, self.acd_service, self.ami, self.agi, self.bus,
                                 settings=dialer_settings)
            self.dialer.register_routes()
            await self.dialer.start()

        if web_app is not None:
            self.web_app = web_app(self)
            self._web = web.AppRunner(self.web_app)
            await self._web.setup()
            site = web.TCPSite(self._web, s.http_host, s.http_port)
            try:
                await site.start()
            except OSError as exc:
                raise NodeStartError(f"web server cannot listen on {s.http_host}:{s.http_port}: {exc}") from exc
            server = site._server
            sockets = getattr(server, "sockets", None) or []
            self.http_port = sockets[0].getsockname()[1] if sockets else s.http_port
            self.say(f"callcenter is serving http://{s.http_host}:{self.http_port}")

    async def _start_ops(self) -> None:
        """Health and metrics first: a standby waiting for the lead still answers its checks."""
        s = self.settings
        self.metrics = NodeMetrics(self.bus, self, keep=self._started_here)
        self.metrics.loop_lag.start()
        self.ops = OpsServer(s.ops_host, s.ops_listen_port, metrics=self.metrics, role=self.role,
                             pbx_connected=lambda: self.ami is not None and self.ami.ready,
                             ping_database=self._ping_database)
        try:
            await self.ops.start()
        except OSError as exc:
            raise NodeStartError(f"operations listener cannot listen on {s.ops_host}:{s.ops_listen_port}: "
                                 f"{exc} (ops_port)") from exc
        self.say(f"health and metrics on http://{s.ops_host}:{self.ops.port}/readyz and /metrics")

    def role(self) -> str:
        """``leader`` or ``standby`` with Redis, ``single`` without."""
        if self.lease is None:
            return "single"
        return "leader" if self.lease.held else "standby"

    def _ping_database(self) -> None:
        assert self.engine is not None
        with self.engine.connect() as connection:
            connection.execute(select(1))

    # The parts the metrics read (callcenter.metrics.NodeParts).

    def acd_core(self) -> Acd | None:
        return self.acd if self.acd_service is not None else None

    def ami_state(self) -> tuple[bool, float | None]:
        return (self.ami is not None and self.ami.ready, None if self.ami is None else self.ami.last_round_trip)

    def fastagi_sessions(self) -> int | None:
        return None if self.agi is None else self.agi.active_sessions

    def websocket_clients(self) -> int | None:
        return None if self.web_app is None else self.web_app[HUB].connections

    def event_log_state(self) -> tuple[int, float | None, int, bool]:
        recorders = [r for r in (self.recorder, self.interactions) if r is not None]
        now = time.time()
        backlogs = [r.backlog(now) for r in recorders]
        ages = [age for _, age in backlogs if age is not None]
        return (sum(n for n, _ in backlogs), max(ages) if ages else None,
                sum(r.failed_writes for r in recorders), any(r.unreachable for r in recorders))

    def leading(self) -> bool:
        return self.role() != "standby"

    async def _lead(self, redis_url: str, node_id: str) -> None:
        """Wait until this node leads the ACD: the FastAGI server, the PBX link and the ACD start only then,
        so a standby decides nothing while another node leads."""
        try:
            self.lease = LeaderLease(redis_url, node_id, ttl=self.settings.leader_ttl)
        except ValueError as exc:
            raise NodeStartError(f"leader_ttl: {exc}") from exc
        try:
            if await self.lease.try_acquire():
                return
            holder = await self.lease.holder()
        except RedisError as exc:
            raise NodeStartError(f"Redis at {redis_url} is unreachable: {exc}") from exc
        self.say(f"node {holder} leads the ACD: this node waits on standby and takes over when it goes")
        await self.lease.acquire()
        self.say("this node leads the ACD now: taking the calls over")

    def _simulator_config(self) -> SimulatorConfig:
        s = self.settings
        traffic = TrafficSettings()
        if s.demo:
            # Mostly valid customer codes, and a few mistyped ones so "unidentified" shows up too.
            codes = (*self.demo_codes[:50], "123456", "000000")
            traffic = TrafficSettings(
                calls_per_hour=DEMO_CALLS_PER_HOUR, mean_handle_s=120.0, mean_patience_s=90.0, caller_codes=codes
            )
        return SimulatorConfig(
            ami_host="127.0.0.1",
            ami_port=s.ami_port,
            ami_user=s.ami_user,
            ami_secret=s.ami_secret,
            agi_url=f"agi://{s.agi_host}:{self.agi.port if self.agi else s.agi_port}/inbound",
            seed=int(time.time()) if s.demo else 1,
            shipped_dialplan=True,
            speed=self.simulator_speed,
            traffic=traffic,
            callees=CalleePopulation(by_hour=ANSWER_BY_HOUR),
            # the agents' desk phones answer by themselves when a dial asks them to (SIP answer-after), as the
            # dialer does for a campaign's answered person; otherwise their agents pick up
            default_phone=PhoneBehaviour(auto_answers=True),
        )

    def _started_here(self, event: DomainEvent) -> bool:
        """Whether ``event`` was published on this node rather than relayed from another over Redis."""
        return self.redis is None or not self.redis.is_relayed(event)

    def agent_control(self) -> AcdService:
        """What the web app calls to change agent states and save dispositions."""
        assert self.acd_service is not None
        return self.acd_service

    def _count_rollups_if_missing(self) -> bool:
        """After an upgrade emptied the report rollups: count them again, each queue with its thresholds."""
        assert self.sessions is not None and self.acd is not None
        queues = self.acd.config.queues
        with session_scope(self.sessions) as session:
            return rebuild_if_missing(session, queue_kpis(lambda: queues))

    def _seed_demo(self) -> tuple[str, ...]:
        assert self.sessions is not None
        with session_scope(self.sessions) as session:
            created = seed_demo(session)
            codes = tuple(session.scalars(select(Customer.code).order_by(Customer.id)))
        self.say(f"demo data: {len(codes)} customers ({created} new), e.g. customer code {codes[0]}")
        return codes

    async def _interrupt(self, channel: str, reason: str) -> None:
        """Break a FastAGI wait: redirect the channel to the connect context (see asterisk_conf)."""
        if self.ami is None:
            raise NodeStartError("no AMI link to interrupt a wait")
        await self.ami.redirect(channel, "callcenter-connect", reason, 1)

    async def _inbound(self, session: AgiSession, directory: CustomerDirectory, prompts: PromptLibrary) -> None:
        assert self.flow is not None and self.acd_service is not None
        channel = AgiCallChannel(session, await _call_id(session))
        speech = self.speech
        outcome = await run_flow(channel, self.flow, directory, prompts=prompts, publish=self.bus.publish,
                                 listener=speech.listener if speech else None,
                                 min_confidence=speech.min_confidence if speech else 0.0)
        self.bus.publish(IvrFinished.from_outcome(outcome))
        if outcome.kind is OutcomeKind.QUEUE:
            await self.acd_service.wait_in_queue(session, outcome)
        elif outcome.kind is OutcomeKind.CALLBACK:
            await self.acd_service.callback_from_ivr(session, outcome)
        elif outcome.kind is OutcomeKind.VOICEMAIL and outcome.mailbox:
            await _leave_voicemail(session, outcome.mailbox)

    async def stop(self) -> None:
        # Deciding stops first: a node that lost the lead must not act on the PBX a moment longer.
        if self.dialer is not None:
            await self.dialer.stop()
        if self.acd_service is not None:
            await self.acd_service.close()
        if self.open_calls is not None:
            await self.open_calls.stop()
        if self.ami is not None:
            await self.ami.close()
        if self._web is not None:
            await self._web.cleanup()
        if self.simulator is not None:
            await self.simulator.stop()
        if self.agi is not None:
            await self.agi.close()
        if self.speech is not None:
            await self.speech.close()
        if self.redis is not None:
            await self.redis.close()
        if self.lease is not None:
            await self.lease.release()  # last: a standby may decide as soon as it is free
        if self.outbound is not None:
            await self.outbound.stop()
        if self.recorder is not None:
            await self.recorder.stop()
        if self.interactions is not None:
            await self.interactions.stop()
        if self.ops is not None:
            await self.ops.stop()
        if self.metrics is not None:
            await self.metrics.loop_lag.stop()
            self.metrics.close()
        if self.engine is not None:
            self.engine.dispose()


def _site_zone(settings: Settings) -> ZoneInfo | None:
    """The zone whose day the campaigns' "later today" means: the wall's ([wall] time_zone), else the server's."""
    try:
        return desktop_config_from_raw(settings.raw).time_zone
    except DesktopConfigError:
        return None  # the web app reports the bad setting when it starts


async def _leave_voicemail(session: AgiSession, mailbox: str) -> None:
    """Asterisk's VoiceMail records the message (``u``: the mailbox's unavailable greeting)."""
    try:
        await session.exec("VoiceMail", mailbox, "u")
    except AgiApplicationNotFound:
        log.error("the PBX has no VoiceMail application (load app_voicemail); message for %s lost", mailbox)
    except AgiHangup:
        pass  # callers hang up to end their message


async def _call_id(session: AgiSession) -> str | None:
    """The call id an originator put in ``CTI_CALL_ID``, if any."""
    try:
        return await session.get_variable("CTI_CALL_ID")
    except AgiHangup:
        return None
