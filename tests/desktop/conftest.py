"""Fixtures for the desktop tests: fakes of the services the app calls, logged-in HTTP clients, and a
Playwright harness driving Debian's chromium (never a downloaded browser)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from argon2 import PasswordHasher

from acd.config import AgentConfig, QueueConfig
from acd.events import AgentStateChanged, CallConnected, CallOffered
from agent_desktop.accounts import Account, AccountStore
from agent_desktop.app import create_app
from agent_desktop.config import DesktopConfig
from agent_desktop.security import LoginRateLimiter, RequestRateLimiter
from agent_desktop.services import (
    AgentControlRefused,
    CustomerCard,
    CustomerRejected,
    CustomerSummary,
    InteractionSummary,
    NewCustomer,
    NoManualCall,
    PossibleDuplicate,
    PossibleDuplicates,
    TicketSummary,
)
from agent_desktop.supervision import SpyMode, SupervisorActionRefused
from bus.eventbus import EventBus
from crm_core.codes import make_customer_code
from crm_core.db import make_engine, make_session_factory, migrate
from outbound.dial_events import ManualCallDisposed
from outbound.service import OutboundService

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
# Cheap parameters: the tests check behaviour, not the cost of brute force.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
HOSTILE_TEXT = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeAgentControl:
    """Stands in for the ACD: records commands and publishes the resulting state change on the bus; what a
    call command leads to (hold, consultation...) the test publishes itself, as the ACD would."""

    def __init__(self, bus: EventBus, clock: Any) -> None:
        self.bus = bus
        self.clock = clock
        self.states: dict[str, str] = {}
        self.calls: list[tuple[Any, ...]] = []
        self.refuse: str | None = None
        self.auto_answer: dict[str, int] = {}
        # The agents' phones: one asked to auto-answer picks an offered call up by itself, as the ACD then sees.
        bus.add_listener(self._phone_rings, CallOffered)
        self.agents: list[AgentConfig] = [AgentConfig("a1", "Agent One", phone="PJSIP/1001", skills=(("english", 5),),
                                                      queues=("support",)),
                                          AgentConfig("a2", "Agent Two", phone="PJSIP/1002", skills=(("billing", 4),),
                                                      queues=("support", "sales"))]
        self.queues: list[QueueConfig] = [QueueConfig("support", dispositions=("resolved", "escalated")),
                                          QueueConfig("sales")]
        self.skills = ["billing", "english"]
        self.reasons = ["break", "lunch", "training"]

    # The admin console's agent directory, as the ACD service answers it.
    def agent_configs(self) -> list[AgentConfig]:
        return list(self.agents)

    def queue_names(self) -> list[str]:
        return ["support", "sales"]

    def skill_names(self) -> list[str]:
        return list(self.skills)

    async def add_agent(self, config: AgentConfig) -> None:
        self.calls.append(("add_agent", config.id))
        if self.refuse:
            raise AgentControlRefused(self.refuse)
        self.agents.append(config)

    async def update_agent(self, config: AgentConfig) -> None:
        self.calls.append(("update_agent", config.id))
        if self.refuse:
            raise AgentControlRefused(self.refuse)
        self.agents = [config if a.id == config.id else a for a in self.agents]

    def queue_configs(self) -> list[QueueConfig]:
        return list(self.queues)

    def pause_reasons(self) -> list[str]:
        return sorted(self.reasons)

    async def update_queue(self, config: QueueConfig) -> None:
        self.calls.append(("update_queue", config.name))
        if self.refuse:
            raise AgentControlRefused(self.refuse)
        self.queues = [config if q.name == config.name else q for q in self.queues]

    async def set_names(self, skills: list[str], pause_reasons: list[str]) -> None:
        self.calls.append(("set_names", tuple(skills), tuple(pause_reasons)))
        self.skills, self.reasons = list(skills), list(pause_reasons)

    def _move(self, agent_id: str, state: str, reason: str | None = None) -> None:
        if self.refuse:
            raise AgentControlRefused(self.refuse)
        previous = self.states.get(agent_id, "logged_out")
        self.states[agent_id] = state
        self.bus.publish(AgentStateChanged(
            agent_id=agent_id, state=state, previous=previous, reason=reason, at=self.clock()))

    async def set_ready(self, agent_id: str) -> None:
        self.calls.append(("ready", agent_id))
        self._move(agent_id, "ready")

    async def set_not_ready(self, agent_id: str, reason: str) -> None:
        self.calls.append(("not_ready", agent_id, reason))
        self._move(agent_id, "not_ready", reason)

    async def logout(self, agent_id: str) -> None:
        self.calls.append(("logout", agent_id))
        self._move(agent_id, "logged_out")

    async def set_auto_answer(self, agent_id: str, seconds: int | None) -> None:
        self.calls.append(("auto_answer", agent_id, seconds))
        if self.refuse:
            raise AgentControlRefused(self.refuse)
        if seconds is None:
            self.auto_answer.pop(agent_id, None)
        else:
            self.auto_answer[agent_id] = seconds

    def _phone_rings(self, event: Any) -> None:
        seconds = self.auto_answer.get(event.agent_id)
        if seconds is None or event.consult_of is not None:
            return
        asyncio.get_running_loop().call_later(seconds, lambda: self.bus.publish(CallConnected(
            call_id=event.call_id, queue=event.queue, agent_id=event.agent_id, wait_seconds=event.wait_seconds,
            at=self.clock())))

    async def extend_wrap_up(self, agent_id: str) -> None:
        self.calls.append(("extend_wrap_up", agent_id))
        if self.refuse:
            raise AgentControlRefused(self.refuse)

    async def dispose(self, call_id: str, agent_id: str, disposition: str, notes: str) -> None:
        self.calls.append(("dispose", call_id, agent_id, disposition, notes))

    def _call_command(self, *command: Any) -> None:
        self.calls.append(command)
        if self.refuse:
            raise AgentControlRefused(self.refuse)

    async def transfer_to_queue(self, call_id: str, agent_id: str | None, queue: str) -> None:
        self._call_command("transfer", call_id, agent_id, queue)

    async def transfer_to_agent(self, call_id: str, agent_id: str | None, target_agent: str) -> None:
        self._call_command("transfer_to_agent", call_id, agent_id, target_agent)

    async def hold(self, call_id: str, agent_id: str | None) -> None:
        self._call_command("hold", call_id, agent_id)

    async def resume(self, call_id: str, agent_id: str | None) -> None:
        self._call_command("resume", call_id, agent_id)

    async def consult(
        self, call_id: str, agent_id: str | None, *, target_agent: str | None = None, queue: str | None = None
    ) -> None:
        self._call_command("consult", call_id, agent_id, target_agent, queue)

    async def complete_consult(self, call_id: str, agent_id: str | None) -> None:
        self._call_command("complete_consult", call_id, agent_id)

    async def cancel_consult(self, call_id: str, agent_id: str | None) -> None:
        self._call_command("cancel_consult", call_id, agent_id)


class FakeSupervisorActions:
    """Stands in for the PBX side of the wall: records spies, forces states through the fake ACD."""

    def __init__(self, control: FakeAgentControl) -> None:
        self.control = control
        self.spies: list[tuple[str, str, SpyMode]] = []

    async def spy(self, agent_id: str, supervisor_phone: str, mode: SpyMode) -> None:
        if self.control.states.get(agent_id) != "on_call":
            raise SupervisorActionRefused(f"agent {agent_id} is not on a call")
        self.spies.append((agent_id, supervisor_phone, mode))

    async def force_not_ready(self, agent_id: str, reason: str) -> None:
        await self.control.set_not_ready(agent_id, reason)

    async def force_ready(self, agent_id: str) -> None:
        if self.control.states.get(agent_id) != "not_ready":
            raise SupervisorActionRefused(f"agent {agent_id} is not paused")
        await self.control.set_ready(agent_id)

    async def force_logout(self, agent_id: str) -> None:
        await self.control.logout(agent_id)


class FakeCallPlacer:
    """Places calls on paper: (agent, number, caller id, variables) of each, in order; with a bus, its wrap-ups
    are published as the real placer's (the test plays the PBX's part of the calls)."""

    def __init__(self, bus: EventBus | None = None) -> None:
        self.calls: list[tuple[str, str, str | None, dict[str, str]]] = []
        self.wrap_ups: list[tuple[str, str, str, str]] = []  # (call id, agent, disposition, notes)
        self.bus = bus

    async def place_call(self, agent_id: str, e164: str, *, caller_id: str | None, variables: Any) -> str:
        self.calls.append((agent_id, e164, caller_id, dict(variables)))
        return f"placed-{len(self.calls)}"

    async def wrap_up(self, call_id: str, agent_id: str, disposition: str, notes: str) -> None:
        if self.bus is None:
            raise NoManualCall(call_id)
        self.wrap_ups.append((call_id, agent_id, disposition, notes))
        self.bus.publish(ManualCallDisposed(at=time.time(), call_id=call_id, agent_id=agent_id,
                                            disposition=disposition, notes=notes))


def summary_of(card: CustomerCard) -> CustomerSummary:
    return CustomerSummary(card.customer_id, card.code, card.name, card.company, card.phones, card.email)


class FakeCustomerLookup:
    """A CRM in a dict: substring search, look-alikes by equal name or phone, creations recorded."""

    def __init__(self, cards: dict[str, CustomerCard]) -> None:
        self.cards = cards
        self.delay = 0.0
        self.created: list[tuple[NewCustomer, str]] = []  # (draft, actor)

    async def customer_card(self, customer_id: str) -> CustomerCard | None:
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.cards.get(customer_id)

    async def search_customers(self, text: str, *, limit: int) -> list[CustomerSummary]:
        wanted = text.casefold()
        return [summary_of(c) for c in self.cards.values()
                if wanted in c.name.casefold() or wanted in c.company.casefold() or text in (c.code, *c.phones)
                ][:limit]

    async def create_customer(self, draft: NewCustomer, *, actor: str, allow_duplicates: bool) -> CustomerSummary:
        if "@" not in draft.email and draft.email:
            raise CustomerRejected(f"email: {draft.email!r} is not an e-mail address")
        duplicates = tuple(
            PossibleDuplicate(summary_of(c), "same phone" if draft.phone in c.phones else "similar name")
            for c in self.cards.values()
            if c.name.casefold() == draft.name.casefold() or (draft.phone and draft.phone in c.phones)
        )
        if duplicates and not allow_duplicates:
            raise PossibleDuplicates(duplicates)
        card = CustomerCard(customer_id=f"new{len(self.created) + 1}",
                            code=make_customer_code(20_000 + len(self.created)), name=draft.name,
                            company=draft.company, phones=(draft.phone,) if draft.phone else (),
                            email=draft.email)
        self.cards[card.customer_id] = card
        self.created.append((draft, actor))
        return summary_of(card)


def sample_cards() -> dict[str, CustomerCard]:
    return {
        "c1": CustomerCard(
            customer_id="c1", code="100008", name="Ada Lovelace", company="Analytical Engines Ltd",
            tier="vip", phones=("+441632960001",), notes="Prefers email.",
            last_interactions=(InteractionSummary(at=1_699_990_000.0, direction="inbound", queue="support",
                                                  outcome="answered", disposition="resolved"),),
            open_tickets=(TicketSummary("T-17", "Invoice wrong", "open", 1_699_000_000.0),),
        ),
        "evil": CustomerCard(customer_id="evil", code="100016", name=HOSTILE_TEXT, company=HOSTILE_TEXT,
                             tier="normal", notes=HOSTILE_TEXT),
    }


# One account per role, plus a second agent; the password of each is "pw-<id>".
ACCOUNT_SPECS = [
    ("agent1", "agent", "a1"),
    ("agent2", "agent", "a2"),
    ("super", "supervisor", None),
    ("camp", "campaign_manager", None),
    ("root", "admin", None),
]
PHONES = {"super": "PJSIP/9001", "root": "PJSIP/9002"}
ROLE_USER = {"agent": "agent1", "supervisor": "super", "campaign_manager": "camp", "admin": "root"}


def make_accounts() -> AccountStore:
    return AccountStore(
        [Account(user, user.title(), role, FAST_HASHER.hash(f"pw-{user}"), agent, PHONES.get(user))
         for user, role, agent in ACCOUNT_SPECS],
        hasher=FAST_HASHER,
    )


DESKTOP_CONFIG = DesktopConfig(
    queues=("support", "sales"),
    dispositions={"support": ("resolved", "escalated")},
    memberships={"a1": ("support",), "a2": ("support", "sales")},
    agent_names={"a1": "Agent One", "a2": "Agent Two"},
    pause_reasons=("break", "lunch", "training"),
)


@dataclasses.dataclass
class Desk:
    """A running app with its collaborators, for one test."""

    app: web.Application
    server: TestServer
    bus: EventBus
    clock: ManualClock
    control: FakeAgentControl
    lookup: FakeCustomerLookup
    limiter: LoginRateLimiter
    supervision: FakeSupervisorActions
    login_traffic: RequestRateLimiter
    outbound: OutboundService

    role_user = ROLE_USER
    hostile_text = HOSTILE_TEXT

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def ws_url(self) -> str:
        return self.url("/ws")

    def session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def login(self, session: aiohttp.ClientSession, user: str, password: str | None = None) -> str:
        """Log ``session`` in as ``user``; returns the session's CSRF token."""
        token = await self.anonymous_token(session)
        async with session.post(self.url("/login"), allow_redirects=False, data={
            "username": user, "password": password or f"pw-{user}", "csrf_token": token,
        }) as response:
            assert response.status == 303, await response.text()
        async with session.get(self.url("/api/me")) as response:
            me: dict[str, Any] = await response.json()
        return str(me["csrf_token"])

    async def can_log_in(self, user: str, password: str) -> bool:
        """Whether ``user`` gets in with ``password`` (from a client of its own)."""
        async with self.session() as client:
            token = await self.anonymous_token(client)
            async with client.post(self.url("/login"), allow_redirects=False, data={
                "username": user, "password": password, "csrf_token": token,
            }) as response:
                return response.status == 303

    @staticmethod
    async def next_message(ws: aiohttp.ClientWebSocketResponse, timeout: float = 2.0) -> dict[str, Any]:
        message: dict[str, Any] = await asyncio.wait_for(ws.receive_json(), timeout)
        return message

    @classmethod
    async def messages_until(
        cls, ws: aiohttp.ClientWebSocketResponse, kind: str, timeout: float = 2.0
    ) -> list[dict[str, Any]]:
        """Every message up to and including the first of type ``kind``."""
        seen = []
        while True:
            message = await cls.next_message(ws, timeout)
            seen.append(message)
            if message["type"] == kind:
                return seen

    @classmethod
    async def replies_to(cls, ws: aiohttp.ClientWebSocketResponse, message: dict[str, Any]) -> list[dict[str, Any]]:
        """Send ``message`` and collect what comes back before a ping sent right after it is answered."""
        barrier = f"barrier-{id(message)}"
        await ws.send_json(message)
        await ws.send_json({"type": "ping", "id": barrier})
        seen: list[dict[str, Any]] = []
        while True:
            reply = await cls.next_message(ws)
            if reply["type"] == "pong" and reply["id"] == barrier:
                return seen
            seen.append(reply)

    async def anonymous_token(self, session: aiohttp.ClientSession) -> str:
        async with session.get(self.url("/login")) as response:
            html = await response.text()
        found = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert found, html
        return found.group(1)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def outbound_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied for each app (migrating each time would cost a second a test)."""
    path = tmp_path_factory.mktemp("outbound") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


def outbound_service(folder: Path, template: Path, clock: Any, **options: Any) -> OutboundService:
    """The outbound service over a fresh copy of the template database in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, folder / "outbound.sqlite3")
    sessions = make_session_factory(make_engine(f"sqlite:///{folder / 'outbound.sqlite3'}"))
    return OutboundService(sessions, data_dir=folder / "data", clock=clock, poll_seconds=3600, **options)


@pytest.fixture
async def desk(clock: ManualClock, tmp_path: Path, outbound_template: Path) -> AsyncIterator[Desk]:
    bus = EventBus()
    control = FakeAgentControl(bus, clock)
    lookup = FakeCustomerLookup(sample_cards())
    limiter = LoginRateLimiter(clock=clock, per_user=5, per_ip=20, window=900.0)
    # Every test logs in many times at one instant of the manual clock; the test of this limit lowers it.
    login_traffic = RequestRateLimiter(clock=clock, per_ip=10_000, window=60.0)
    supervision = FakeSupervisorActions(control)
    outbound = outbound_service(tmp_path / "outbound", outbound_template, clock)
    app = create_app(bus=bus, accounts=make_accounts(), agent_control=control, customer_lookup=lookup,
                     supervisor_actions=supervision, outbound=outbound, agent_directory=control,
                     clock=clock, config=DESKTOP_CONFIG,
                     limiter=limiter, login_traffic=login_traffic, wall_min_interval=0.02, wall_max_interval=0.2,
                     call_placer=FakeCallPlacer())
    await outbound.start()
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield Desk(app, server, bus, clock, control, lookup, limiter, supervision, login_traffic, outbound)
    finally:
        await server.close()
        await outbound.stop()


def start_on_fakes(clock: ManualClock, outbound: OutboundService,
                   config: DesktopConfig = DESKTOP_CONFIG) -> tuple[web.Application, FakeAgentControl]:
    """The app over ``outbound`` with fake ACD, CRM and supervision parts, not served, and its ACD stand-in."""
    bus = EventBus()
    control = FakeAgentControl(bus, clock)
    app = create_app(bus=bus, accounts=make_accounts(), agent_control=control,
                     customer_lookup=FakeCustomerLookup({}), supervisor_actions=FakeSupervisorActions(control),
                     outbound=outbound, agent_directory=control, clock=clock, config=config)
    return app, control


@pytest.fixture
def app_for(tmp_path: Path, outbound_template: Path) -> Any:
    """``app_for(config, clock)``: the app on fakes, not served, for tests of what a configuration does."""

    def build(config: DesktopConfig, clock: ManualClock) -> web.Application:
        return start_on_fakes(clock, outbound_service(tmp_path / "outbound", outbound_template, clock), config)[0]

    return build


@pytest.fixture
def second_start() -> Any:
    """``second_start(desk)``: the app started again over ``desk``'s database (what outlives a restart), with
    its ACD stand-in; a fixture because a test module cannot import this conftest by name."""
    return lambda desk: start_on_fakes(desk.clock, desk.outbound)


# --- browser harness ---------------------------------------------------------------------------------
# The browser, the served app and the browser tests share the session's event loop, so a test can
# publish on the app's bus directly while Playwright drives the page.


@dataclasses.dataclass
class LiveServer:
    """The app served on a real port for the browser."""

    base_url: str
    bus: EventBus
    control: FakeAgentControl
    outbound: OutboundService
    placer: FakeCallPlacer


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def live_server(tmp_path_factory: pytest.TempPathFactory, outbound_template: Path) -> AsyncIterator[LiveServer]:
    bus = EventBus()
    control = FakeAgentControl(bus, time.time)
    placer = FakeCallPlacer(bus)
    # Small, slow import batches: a list of a few thousand rows keeps the progress bar moving for a second.
    outbound = outbound_service(tmp_path_factory.mktemp("live"), outbound_template, time.time, import_batch=250,
                                import_pause=0.1)
    app = create_app(bus=bus, accounts=make_accounts(), agent_control=control,
                     customer_lookup=FakeCustomerLookup(sample_cards()),
                     supervisor_actions=FakeSupervisorActions(control), outbound=outbound, agent_directory=control,
                     config=DESKTOP_CONFIG, call_placer=placer)
    await outbound.start()
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield LiveServer(f"http://127.0.0.1:{runner.addresses[0][1]}", bus, control, outbound, placer)
    finally:
        await runner.cleanup()
        await outbound.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    """One headless Debian chromium for the whole session (Playwright gives it a fresh profile dir)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


async def _sign_in(page: Any, base_url: str, user: str, password: str | None = None) -> None:
    await page.goto(base_url + "/login")
    await page.fill("#username", user)
    await page.fill("#password", password or f"pw-{user}")
    await page.click("#login-submit")


@pytest.fixture
def sign_in() -> Any:
    """``await sign_in(page, base_url, user, password=None)``: log in through the login form."""
    return _sign_in
