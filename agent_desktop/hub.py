"""The WebSocket hub: fans bus events out to the right browsers, answers client messages, pushes the wall.

Each connection has a bounded outbox drained by its own writer task, so a slow browser never
delays the bus; one that falls too far behind is closed and resyncs when it reconnects. Client
message types are checked against ``catalogue.WS_MESSAGES`` before anything else happens.

A socket is authorised once, at the handshake, so the periodic loop re-checks every connection's web
session and closes (1008) those whose session expired, was evicted or logged out. An open socket
counts as use of its session: a page left open stays logged in, but never beyond the session's
``max_age``.

Frames are read like request bodies (``json_input``, ``text_input``): one that cannot be read gets an error
reply and the socket lives on. A web session holds at most ``catalogue.MAX_SOCKETS_PER_SESSION`` sockets.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Coroutine
from typing import Any

from aiohttp import web

from acd.events import CallAbandoned, CallOffered, CallQueued
from agent_desktop.agent_feed import AgentFeeds, Delivery, Message
from agent_desktop.campaign_tiles import CampaignWall
from agent_desktop.catalogue import MAX_SOCKETS_PER_SESSION, WS_MESSAGES_BY_TYPE
from agent_desktop.events import CustomerMatched
from agent_desktop.json_input import InvalidJson, parse_json
from agent_desktop.security import SessionStore
from agent_desktop.services import CustomerCard, CustomerLookup
from agent_desktop.staffing_panel import StaffingPanel
from agent_desktop.text_input import CALL_ID, MESSAGE_TYPE, PING_ID, InvalidText
from agent_desktop.ui_text import UiText
from agent_desktop.wall import WallProjection
from bus.clock import Clock
from bus.eventbus import EventBus
from bus.events import DomainEvent
from bus.tasks import TaskSet
from outbound.dial_events import ManualCallPlaced

log = logging.getLogger(__name__)

MAX_PREFETCHED_CARDS = 10_000
#: How long a card the CRM is late with is still waited for after the pop went without it.
LATE_CARD_SECONDS = 30.0


def _dumps(message: Message) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


@dataclasses.dataclass(eq=False, slots=True)
class Connection:
    """One browser WebSocket, with the identity it authenticated as."""

    ws: web.WebSocketResponse
    account_id: str
    role: str
    agent_id: str | None
    session_id: str = ""
    outbox: asyncio.Queue[str] = dataclasses.field(default_factory=lambda: asyncio.Queue(1000))
    wall: bool = False
    writer: asyncio.Task[None] | None = None
    dropped: int = 0  # messages not queued because the outbox was full; the first one closes the socket


class LatencyStats:
    """Recent latencies in milliseconds, for percentiles."""

    def __init__(self, size: int = 10_000) -> None:
        self._samples: deque[float] = deque(maxlen=size)

    def add(self, ms: float) -> None:
        self._samples.append(ms)

    def summary(self) -> dict[str, float | int | None]:
        data = sorted(self._samples)
        if not data:
            return {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}

        def pct(p: float) -> float:
            return round(data[min(len(data) - 1, int(p * len(data)))], 3)

        return {"count": len(data), "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": round(data[-1], 3)}


class DesktopHub:
    """Connections, event fan-out and the coalesced wall push."""

    def __init__(
        self,
        *,
        bus: EventBus,
        feeds: AgentFeeds,
        wall: WallProjection,
        customer_lookup: CustomerLookup,
        sessions: SessionStore,
        clock: Clock,
        wall_min_interval: float = 0.25,
        wall_max_interval: float = 1.0,
        lookup_timeout: float = 1.0,  # a CRM stall up to this long still pops the card; longer, the pop goes without
        staffing: StaffingPanel | None = None,
        campaigns: CampaignWall | None = None,
    ) -> None:
        self.bus = bus
        self.feeds = feeds
        self.wall = wall
        self.staffing = staffing
        self.campaigns = campaigns
        self.customer_lookup = customer_lookup
        self.sessions = sessions
        self.clock = clock
        self.wall_min_interval = wall_min_interval
        self.wall_max_interval = wall_max_interval
        self.lookup_timeout = lookup_timeout
        self.pop_ack_latency = LatencyStats()  # offer event -> pop shown in the page
        self.pop_send_latency = LatencyStats()  # offer event -> pop queued to the socket
        self._connections: set[Connection] = set()
        self._by_agent: dict[str, set[Connection]] = {}
        self._slots: dict[str, int] = {}  # open sockets per web session
        self._tasks = TaskSet("desktop hub", log)
        self._loop_task: asyncio.Task[None] | None = None
        # Customer cards fetched when a call is queued, so the pop at offer time need not wait.
        self._cards: OrderedDict[str, asyncio.Task[CustomerCard | None]] = OrderedDict()

    @property
    def connections(self) -> int:
        return len(self._connections)

    def start(self) -> None:
        self.bus.add_listener(self.on_event)
        self._loop_task = asyncio.get_running_loop().create_task(self._periodic())

    async def stop(self) -> None:
        self.bus.remove_listener(self.on_event)
        for conn in tuple(self._connections):
            await conn.ws.close()
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        await self._tasks.cancel_all()

    def on_event(self, event: DomainEvent) -> None:
        """Bus listener: runs inline in publish order, so it only folds and enqueues."""
        self.wall.apply(event)
        if self.staffing is not None:
            self.staffing.apply(event)
        for delivery in self.feeds.apply(event):
            self._deliver(delivery)
        if isinstance(event, CallQueued) and event.caller.customer_id:
            self._prefetch(event.call_id, event.caller.customer_id)
        elif isinstance(event, CallOffered | ManualCallPlaced):
            self._spawn(self._pop(event))
        elif isinstance(event, CallAbandoned):
            self._cards.pop(event.call_id, None)
        elif isinstance(event, CustomerMatched):
            self._spawn(self._show_match(event))

    def _prefetch(self, call_id: str, customer_id: str) -> asyncio.Task[CustomerCard | None]:
        task = self._cards.get(call_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(self.customer_lookup.customer_card(customer_id))
            # A failed fetch is reported when the pop awaits it; don't warn about it twice.
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._cards[call_id] = task
            if len(self._cards) > MAX_PREFETCHED_CARDS:
                self._cards.popitem(last=False)
        return task

    async def _pop(self, event: CallOffered | ManualCallPlaced) -> None:
        """The pop of an offered call, or of one the agent placed by hand, with the customer's card."""
        customer: dict[str, Any] | None = None
        late: asyncio.Task[CustomerCard | None] | None = None
        offered = isinstance(event, CallOffered)
        customer_id = event.caller.customer_id if isinstance(event, CallOffered) else event.customer_id
        if customer_id:
            fetch = self._prefetch(event.call_id, customer_id)  # usually started at CallQueued
            del self._cards[event.call_id]
            customer = await self._card_of(event.call_id, asyncio.shield(fetch))
            late = None if fetch.done() else fetch
        delivery = self.feeds.complete_pop(event, customer)
        if delivery is None:
            return
        self._deliver(delivery)
        if offered:  # the screen pop's latency is the offered call's
            self.pop_send_latency.add((self.clock() - event.at) * 1000.0)
        if late is not None and customer_id:
            code = event.caller.customer_code if isinstance(event, CallOffered) else None
            self._spawn(self._late_card(event.call_id, customer_id, code, late))

    async def _late_card(self, call_id: str, customer_id: str, customer_code: str | None,
                         fetch: asyncio.Task[CustomerCard | None]) -> None:
        """The card of a CRM that answered after the pop went without it, put on the pop when it comes."""
        try:
            card = await asyncio.wait_for(fetch, LATE_CARD_SECONDS)
        except Exception:  # the pop stands without the card; the agent can still search for the customer
            log.warning("customer card for call %s never came", call_id, exc_info=True)
            return
        if card is not None:
            delivery = self.feeds.complete_card(call_id, customer_id, customer_code, dataclasses.asdict(card))
            if delivery is not None:
                self._deliver(delivery)

    async def _show_match(self, event: CustomerMatched) -> None:
        customer = await self._card_of(event.call_id, self.customer_lookup.customer_card(event.customer_id))
        delivery = self.feeds.complete_match(event, customer)
        if delivery is not None:
            self._deliver(delivery)

    async def _card_of(
        self, call_id: str, fetch: Awaitable[CustomerCard | None]
    ) -> dict[str, Any] | None:
        try:
            card = await asyncio.wait_for(fetch, self.lookup_timeout)
        except Exception:  # a pop without the card beats no pop
            log.exception("customer lookup failed for call %s", call_id)
            return None
        return dataclasses.asdict(card) if card is not None else None

    def claim_slot(self, session_id: str) -> bool:
        """Count one more socket of the web session, unless it has :data:`MAX_SOCKETS_PER_SESSION` already."""
        taken = self._slots.get(session_id, 0)
        if taken >= MAX_SOCKETS_PER_SESSION:
            return False
        self._slots[session_id] = taken + 1
        return True

    def release_slot(self, session_id: str) -> None:
        """One socket of the web session is gone."""
        left = self._slots.pop(session_id, 0) - 1
        if left > 0:
            self._slots[session_id] = left

    def attach(self, conn: Connection) -> None:
        self._connections.add(conn)
        if conn.agent_id is not None:
            self._by_agent.setdefault(conn.agent_id, set()).add(conn)
        conn.writer = self._tasks.spawn(self._write(conn), name=f"desktop writer {conn.account_id}")
        self.send(conn, {"type": "hello", "role": conn.role, "agent_id": conn.agent_id,
                         "server_time": self.clock()})

    async def detach(self, conn: Connection) -> None:
        self._connections.discard(conn)
        self._forget_agent_link(conn)
        if conn.dropped:
            log.info("%d message(s) to the slow WebSocket of %s were dropped before it closed",
                     conn.dropped, conn.account_id)
        if conn.writer is not None:
            conn.writer.cancel()
            await asyncio.gather(conn.writer, return_exceptions=True)

    def _forget_agent_link(self, conn: Connection) -> None:
        if conn.agent_id is not None:
            peers = self._by_agent.get(conn.agent_id)
            if peers is not None:
                peers.discard(conn)
                if not peers:
                    del self._by_agent[conn.agent_id]

    async def close_session(self, session_id: str) -> None:
        """Close the sockets of a web session that ended (logout)."""
        for conn in [c for c in self._connections if c.session_id == session_id]:
            await conn.ws.close(code=1008, message=b"logged out")

    def send(self, conn: Connection, message: Message) -> None:
        self._enqueue(conn, _dumps(message))

    def handle(self, conn: Connection, raw: str) -> None:
        """One client text frame: parse, authorise by the catalogue, act."""
        try:
            message = parse_json(raw, what="message")
            if not isinstance(message, dict):
                raise InvalidJson(UiText("expected a JSON object with a string 'type'"))
            kind = MESSAGE_TYPE.read(message)
        except (InvalidJson, InvalidText) as exc:
            self.send(conn, _error("bad_request", None, str(exc)))
            return
        spec = WS_MESSAGES_BY_TYPE.get(kind)
        if spec is None:
            self.send(conn, _error("unknown_type", kind, "no such message type"))
            return
        if conn.role not in spec.roles:
            self.send(conn, _error("forbidden", kind, f"role {conn.role} may not send {kind}"))
            return
        try:
            self._act(conn, kind, message)
        except InvalidText as exc:
            self.send(conn, _error("bad_request", kind, str(exc)))

    def _act(self, conn: Connection, kind: str, message: dict[str, Any]) -> None:
        """Do what an authorised message asks; its text fields raise :class:`InvalidText`."""
        if kind == "ping":
            ping_id = message.get(PING_ID.name)
            if not (ping_id is None or isinstance(ping_id, int | float)):
                ping_id = PING_ID.check(ping_id)  # echoed, so only text that can be sent back
            self.send(conn, {"type": "pong", "id": ping_id, "server_time": self.clock()})
        elif kind == "resync":
            last_seq = message.get("last_seq", 0)
            if not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < 0:
                self.send(conn, _error("bad_request", kind, "last_seq must be a non-negative integer"))
                return
            if conn.agent_id is not None:
                for item in self.feeds.replay(conn.agent_id, last_seq):
                    self.send(conn, item)
            else:
                self.send(conn, {"type": "resync.done", "seq": self.feeds.seq, "active_calls": []})
            if conn.wall:
                self.send(conn, self._wall_message())
        elif kind == "wall.subscribe":
            conn.wall = True
            self.send(conn, self._wall_message())
        elif kind == "pop.ack":
            pop = self.feeds.pop_for(conn.agent_id or "", CALL_ID.read(message))
            if pop is None:
                self.send(conn, _error("bad_request", kind, "no such active call of yours"))
                return
            self.pop_ack_latency.add((self.clock() - pop.offered_at) * 1000.0)

    def _deliver(self, delivery: Delivery) -> None:
        agent_id, message = delivery
        peers = self._by_agent.get(agent_id)
        if peers:
            text = _dumps(message)
            for conn in tuple(peers):
                self._enqueue(conn, text)

    def _enqueue(self, conn: Connection, text: str) -> None:
        try:
            conn.outbox.put_nowait(text)
        except asyncio.QueueFull:
            conn.dropped += 1
            if conn.dropped == 1:  # the rest are counted, and told once when the socket is gone
                log.warning("closing slow WebSocket of %s; it will resync", conn.account_id)
                self._spawn(conn.ws.close(code=1013, message=b"too slow, reconnect"))

    async def _write(self, conn: Connection) -> None:
        while True:
            text = await conn.outbox.get()
            try:
                await conn.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return  # closed under us; the reader side detaches
            except UnicodeEncodeError:
                # A lone surrogate got past the edges' checks: a bug, but this desk must stay fed.
                log.error("message to %s held text that is not valid Unicode; sent with it replaced", conn.account_id)
                await conn.ws.send_str(text.encode("utf-8", "replace").decode("utf-8"))

    def _wall_message(self) -> Message:
        snapshot = self.wall.snapshot()
        message = snapshot.to_dict()
        message["type"] = "wall.snapshot"
        if self.campaigns is not None:
            message["campaigns"] = self.campaigns.to_json()
        if self.staffing is not None:
            logged_in = {tile.queue: sum(n for state, n in tile.agents.items() if state != "logged_out")
                         for tile in snapshot.queues}
            try:
                message["staffing"] = self.staffing.panels(logged_in, logged_in)
            except (ArithmeticError, ValueError):
                # The advice is a help; a figure it cannot work out must not stop the wall's pushes.
                log.exception("staffing advice failed; the wall goes out without it")
        return message

    def close_ended_sessions(self) -> int:
        """Close the sockets whose web session is gone; returns how many were closed."""
        ended = [c for c in self._connections if self.sessions.get(c.session_id) is None]
        for conn in ended:
            # Detached at once so no pop is queued to it while the close handshake runs.
            self._connections.discard(conn)
            self._forget_agent_link(conn)
            self._spawn(conn.ws.close(code=1008, message=b"session ended"))
        return len(ended)

    async def _periodic(self) -> None:
        seen_version = -1
        last_push = 0.0
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.wall_min_interval)
            self.close_ended_sessions()
            subscribers = [c for c in self._connections if c.wall]
            now = loop.time()
            if not subscribers:
                continue
            if self.wall.version == seen_version and now - last_push < self.wall_max_interval:
                continue
            seen_version, last_push = self.wall.version, now
            text = _dumps(self._wall_message())
            for conn in subscribers:
                self._enqueue(conn, text)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._tasks.spawn(coro)


def _error(code: str, request_type: str | None, text: str) -> Message:
    return {"type": "error", "code": code, "request_type": request_type, "message": text}
