"""The asyncio FastAGI server: Asterisk connects, we read the environment and run the routed handler.

``AGI(agi://host:4573/ivr?lang=en,...)`` in the dialplan reaches the handler routed as ``"ivr"``.
When the handler returns, the socket is closed (as a FastAGI script that ends) and Asterisk goes on
with the dialplan. A handler's exception is logged and contained; a hang-up (:class:`AgiHangup`) is
a normal end. Connections with an unknown path, a bad environment, or none within
``environment_timeout`` are logged and closed.

Only peers inside ``allowed_peers`` (loopback by default) are served: anyone else who can reach the
port could otherwise invent inbound calls or name a waiting caller's channel and take over its session.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import TracebackType

from bus.context import about_call
from cti.agi.errors import AgiHangup, AgiProtocolError
from cti.agi.protocol import AgiEnvironment, AgiParser
from cti.agi.session import READ_SIZE, AgiSession, ChannelInterrupter

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4573

AgiHandler = Callable[[AgiSession], Awaitable[None]]
PeerNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK_PEERS = "127.0.0.1/32,::1/128"


def parse_peer_networks(text: str) -> tuple[PeerNetwork, ...]:
    """Networks from a comma-separated list of addresses or CIDRs; raises ``ValueError`` on a bad one."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def peer_allowed(peer: object, networks: Iterable[PeerNetwork]) -> bool:
    """Whether a socket's ``peername`` lies in one of ``networks`` (IPv4-mapped IPv6 counts as IPv4)."""
    if not isinstance(peer, tuple) or not peer or not isinstance(peer[0], str):
        return False  # not an IP socket (or no address at all): nothing to vouch for it
    try:
        address = ipaddress.ip_address(peer[0].partition("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


@dataclass(slots=True)
class AgiServerStats:
    """Counters since start: connections accepted, and how the sessions ended."""

    accepted: int = 0
    completed: int = 0  # handler returned
    hung_up: int = 0  # handler ended by AgiHangup
    failed: int = 0  # handler raised anything else
    rejected: int = 0  # peer not allowed, no environment, bad environment, or unknown path


class AgiServer:
    """A FastAGI server routing connections by script path to ``async def handler(session)``.

    Use ``async with AgiServer(...) as server`` or :meth:`start` / :meth:`close`. ``port=0`` binds
    a free port (see :attr:`port`). ``interrupter`` is handed to every session for
    :meth:`AgiSession.interrupt`. ``allowed_peers`` are the networks Asterisk connects from
    (``"10.0.0.5/32,::1/128"`` or parsed networks); others are closed before a byte is read.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        interrupter: ChannelInterrupter | None = None,
        environment_timeout: float = 10.0,
        shutdown_grace: float = 5.0,
        backlog: int = 4096,
        allowed_peers: str | Iterable[PeerNetwork] = LOOPBACK_PEERS,
    ) -> None:
        self.host = host
        self.allowed_peers = (
            parse_peer_networks(allowed_peers) if isinstance(allowed_peers, str) else tuple(allowed_peers)
        )
        self._port = port
        self._interrupter = interrupter
        self._environment_timeout = environment_timeout
        self._shutdown_grace = shutdown_grace
        self._backlog = backlog
        self._routes: dict[str, AgiHandler] = {}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._by_channel: dict[str, AgiSession] = {}
        self._by_uniqueid: dict[str, AgiSession] = {}
        self._cancelling = False
        self.stats = AgiServerStats()

    def route(self, path: str, handler: AgiHandler) -> None:
        """Send connections for script ``path`` (``"ivr"`` for ``agi://host/ivr?x=1``) to ``handler``."""
        path = path.strip("/")
        if path in self._routes:
            raise ValueError(f"AGI path already routed: {path!r}")
        self._routes[path] = handler

    @property
    def port(self) -> int:
        """The bound port (the real one when constructed with ``port=0``)."""
        if self._server is None or not self._server.sockets:
            return self._port
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def active_sessions(self) -> int:
        """Connections being served right now."""
        return len(self._tasks)

    def session_for_channel(self, channel: str) -> AgiSession | None:
        """The live session running on Asterisk channel ``channel``, if any."""
        return self._by_channel.get(channel)

    def session_for_uniqueid(self, uniqueid: str) -> AgiSession | None:
        """The live session of the channel with this ``Uniqueid``, if any."""
        return self._by_uniqueid.get(uniqueid)

    async def start(self) -> None:
        """Start listening."""
        if self._server is not None:
            raise RuntimeError("AGI server already started")
        self._server = await asyncio.start_server(
            self._on_connect, self.host, self._port, backlog=self._backlog, limit=READ_SIZE
        )
        log.info("FastAGI server listening on %s:%d", self.host, self.port)

    async def serve_forever(self) -> None:
        """Start if needed and serve until cancelled; then shut down cleanly."""
        if self._server is None:
            await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop accepting, give running sessions ``shutdown_grace`` seconds, then cancel the rest."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=self._shutdown_grace)
            self._cancelling = True
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
            self._cancelling = False
        await server.wait_closed()
        log.info("FastAGI server stopped")

    async def __aenter__(self) -> AgiServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.stats.accepted += 1
        peer = writer.get_extra_info("peername")
        parser = AgiParser()
        session: AgiSession | None = None
        try:
            if not peer_allowed(peer, self.allowed_peers):
                log.warning("FastAGI connection from %s refused: not in the allowed peers", peer)
                self.stats.rejected += 1
                return
            env = await self._read_environment(reader, parser, peer)
            handler = self._routes.get(env.script_path) if env is not None else None
            if env is None or handler is None:
                if env is not None:
                    log.warning("FastAGI %s: no route for script %r", peer, env.script_path)
                self.stats.rejected += 1
                return
            session = AgiSession(env, reader, writer, parser, interrupter=self._interrupter)
            self._register(session)
            # Our calls are named by the Asterisk channel's uniqueid until the script knows better.
            with about_call(env.uniqueid or None):
                await self._run(handler, session)
        except asyncio.CancelledError:
            # Python 3.11's start_server callback logs a cancelled connection task as an error;
            # a session cut short by close() is an expected end, so the task finishes normally.
            if not self._cancelling:
                raise
            log.debug("FastAGI %s: session cancelled by shutdown", peer)
        finally:
            if session is not None:
                self._unregister(session)
                await session.close()
            elif not writer.is_closing():
                writer.close()
            self._tasks.discard(task)

    async def _read_environment(
        self, reader: asyncio.StreamReader, parser: AgiParser, peer: object
    ) -> AgiEnvironment | None:
        try:
            async with asyncio.timeout(self._environment_timeout):
                while True:
                    message = parser.next_message()
                    if isinstance(message, AgiEnvironment):
                        return message
                    if message is not None:
                        raise AgiProtocolError("a reply before the AGI environment")
                    data = await reader.read(READ_SIZE)
                    if not data:
                        log.debug("FastAGI %s: closed before sending its environment", peer)
                        return None
                    parser.receive_data(data)
        except TimeoutError:
            log.warning("FastAGI %s: no environment within %.1f s", peer, self._environment_timeout)
        except AgiProtocolError as exc:
            log.warning("FastAGI %s: bad environment: %s", peer, exc)
        except ConnectionError as exc:
            log.debug("FastAGI %s: connection lost before the environment: %s", peer, exc)
        return None

    async def _run(self, handler: AgiHandler, session: AgiSession) -> None:
        try:
            await handler(session)
        except AgiHangup as exc:
            self.stats.hung_up += 1
            log.debug("FastAGI %s %s ended by hang-up: %s", session.script_path, session.channel, exc)
        except Exception:
            self.stats.failed += 1
            log.exception("FastAGI handler for %r on %s failed", session.script_path, session.channel)
        else:
            self.stats.completed += 1

    def _register(self, session: AgiSession) -> None:
        if session.channel:
            self._by_channel[session.channel] = session
        if session.uniqueid:
            self._by_uniqueid[session.uniqueid] = session

    def _unregister(self, session: AgiSession) -> None:
        if self._by_channel.get(session.channel) is session:
            del self._by_channel[session.channel]
        if self._by_uniqueid.get(session.uniqueid) is session:
            del self._by_uniqueid[session.uniqueid]
