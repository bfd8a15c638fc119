"""The asyncio AudioSocket server: Asterisk connects once per ``AudioSocket(uuid,host:port)``.

Whoever starts the application first says which UUID it expects (:meth:`AudioSocketServer.expect`) and
is handed that connection as an :class:`AudioStream`. A connection from a peer outside
``allowed_peers``, with an unknown UUID, or with no UUID within ``hello_timeout`` is closed at once:
a caller's audio goes only to the session that asked for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterable

from cti.agi.server import LOOPBACK_PEERS, PeerNetwork, parse_peer_networks, peer_allowed
from cti.audiosocket.protocol import (
    AudioSocketError,
    AudioSocketParser,
    Frame,
    HangupFrame,
    UuidFrame,
    encode_audio,
    encode_hangup,
)

log = logging.getLogger(__name__)
READ_SIZE = 8192


class AudioStream:
    """One call's AudioSocket session: frames from Asterisk in, audio and the hang-up frame out."""

    def __init__(self, session: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 parser: AudioSocketParser, pending: Iterable[Frame]) -> None:
        self.session = session
        self._reader = reader
        self._writer = writer
        self._parser = parser
        self._frames: deque[Frame] = deque(pending)
        self._ended = False
        self.closed = asyncio.Event()

    async def next_frame(self) -> Frame | None:
        """The next frame from Asterisk; None once the session is over (hang-up frame or socket closed)."""
        while not self._frames:
            if self._ended:
                return None
            try:
                data = await self._reader.read(READ_SIZE)
            except (ConnectionError, OSError):
                data = b""
            if not data:
                self._ended = True
                return None
            try:
                self._frames.extend(self._parser.feed(data))
            except AudioSocketError as exc:
                log.warning("AudioSocket %s: %s; ending the session", self.session, exc)
                self._ended = True
                return None
        frame = self._frames.popleft()
        if isinstance(frame, HangupFrame):
            self._ended = True
            return None
        return frame

    async def send_audio(self, pcm: bytes) -> None:
        """Play ``pcm`` (8 kHz signed linear) to the caller."""
        with contextlib.suppress(ConnectionError, OSError):
            self._writer.write(encode_audio(pcm))
            await self._writer.drain()

    async def close(self) -> None:
        """End the session: Asterisk's ``AudioSocket()`` returns and the dialplan (or AGI) goes on."""
        if self.closed.is_set():
            return
        self.closed.set()
        self._ended = True
        with contextlib.suppress(ConnectionError, OSError):
            self._writer.write(encode_hangup())
            await self._writer.drain()
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()


class AudioSocketServer:
    """Accepts AudioSocket connections and hands each to the session that expects its UUID.

    ``port=0`` binds a free port (see :attr:`port`). ``allowed_peers`` are the networks Asterisk
    connects from (loopback by default).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 allowed_peers: str | Iterable[PeerNetwork] = LOOPBACK_PEERS, hello_timeout: float = 5.0) -> None:
        self.host = host
        self._port = port
        self._peers = parse_peer_networks(allowed_peers) if isinstance(allowed_peers, str) else tuple(allowed_peers)
        self._hello_timeout = hello_timeout
        self._server: asyncio.Server | None = None
        self._expected: dict[str, asyncio.Future[AudioStream]] = {}

    @property
    def port(self) -> int:
        if self._server is None:
            return self._port
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self._port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for waiting in self._expected.values():
            waiting.cancel()
        self._expected.clear()

    def expect(self, session: str) -> asyncio.Future[AudioStream]:
        """A future resolved with the connection that opens with ``session`` (a UUID string). Cancel it
        (or let :meth:`forget` drop it) when the application could not be started."""
        future: asyncio.Future[AudioStream] = asyncio.get_running_loop().create_future()
        self._expected[session] = future
        return future

    def forget(self, session: str) -> None:
        """Stop waiting for ``session``."""
        waiting = self._expected.pop(session, None)
        if waiting is not None and not waiting.done():
            waiting.cancel()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if not peer_allowed(peer, self._peers):
            log.warning("AudioSocket connection from %s refused: not in the allowed peers", peer)
            writer.close()
            return
        parser = AudioSocketParser()
        frames: list[Frame] = []
        try:
            async with asyncio.timeout(self._hello_timeout):
                while not frames:
                    data = await reader.read(READ_SIZE)
                    if not data:
                        break
                    frames = parser.feed(data)
        except (TimeoutError, ConnectionError, OSError, AudioSocketError) as exc:
            log.warning("AudioSocket connection from %s dropped before its UUID: %s", peer, exc or "timeout")
            frames = []
        first = frames[0] if frames else None
        if not isinstance(first, UuidFrame):
            if first is not None:
                log.warning("AudioSocket connection from %s opened with %s, not a UUID", peer, first)
            writer.close()
            return
        waiting = self._expected.pop(first.uuid, None)
        if waiting is None or waiting.done():
            log.warning("AudioSocket connection from %s for an unexpected session %s", peer, first.uuid)
            writer.close()
            return
        waiting.set_result(AudioStream(first.uuid, reader, writer, parser, frames[1:]))
