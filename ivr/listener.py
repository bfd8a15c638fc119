"""Speech input over AudioSocket: the FastAGI session runs ``EXEC AudioSocket <uuid>,<host:port>`` and the
caller's audio streams to our :class:`~cti.audiosocket.AudioSocketServer` while they speak.

Why AudioSocket and not ``RECORD FILE``: it works across hosts (a recording would have to land on a disk
this node can read), we find the end of the answer ourselves (:mod:`ivr.endpointer`) and recognise while
the caller is still speaking, so the answer is known a moment after they stop; and a key pressed instead
arrives on the same socket (a DTMF frame) and ends listening at once. The price: the node must be
reachable from Asterisk on one more port, and Asterisk needs ``app_audiosocket``/``res_audiosocket``.
We send 20 ms of silence every half second while listening: Asterisk's application gives up on a socket
silent for 2 s (on a line that sends no audio either), and its failure would end the whole AGI session.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections import deque
from typing import Any

from cti.audiosocket import AudioFrame, AudioSocketServer, AudioStream, DtmfFrame
from ivr.channel import ApplicationUnavailable, CallChannel
from ivr.endpointer import Boundary, Endpointer, EndpointSettings, rms
from ivr.grammar import Grammar
from ivr.recognizer import Recognition, SpeechRecognizer

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
KEEPALIVE_SECONDS = 0.5
SILENCE_FRAME = b"\x00\x00" * 160  # 20 ms at 8 kHz
# Without frames for this long (a line that carries no audio) the gap counts as silence.
GAP_SECONDS = 0.25
PREROLL_FRAMES = 15  # audio kept from before speech starts (300 ms): the first consonant's onset
FEED_BYTES = 3200  # decode in slices of 200 ms


class SpeechUnavailable(RuntimeError):
    """AudioSocket could not be started for this call (not connected in time)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Keyed:
    """The caller pressed a key instead of speaking."""

    digit: str


Heard = Recognition | Keyed | None


class SpeechListener:
    """Listens to callers through AudioSocket and recognises what they say with ``recognizer``.

    ``address`` is the ``host:port`` Asterisk connects to (our server's port on an address Asterisk
    reaches us at).
    """

    def __init__(self, server: AudioSocketServer, recognizer: SpeechRecognizer, address: str,
                 settings: EndpointSettings | None = None) -> None:
        self._server = server
        self.recognizer = recognizer
        self.address = address
        self.settings = settings or EndpointSettings()

    @property
    def language(self) -> str:
        return self.recognizer.language

    async def listen(self, channel: CallChannel, grammar: Grammar, *, no_input_ms: int) -> Heard:
        """The caller's spoken answer (or the key they pressed); None when they said nothing in time.

        Raises :class:`SpeechUnavailable` when Asterisk did not connect, and the channel's
        :class:`~ivr.channel.CallerHungUp` when the caller left.
        """
        session = str(uuid.uuid4())
        connected = self._server.expect(session)
        application = asyncio.ensure_future(channel.run_application("AudioSocket", f"{session},{self.address}"))
        either: set[asyncio.Future[Any]] = {connected, application}
        done, _ = await asyncio.wait(either, timeout=CONNECT_TIMEOUT,
                                     return_when=asyncio.FIRST_COMPLETED)
        if connected not in done:
            self._server.forget(session)
            if application.done():
                try:
                    application.result()  # a hang-up is raised as such
                except ApplicationUnavailable as exc:
                    raise SpeechUnavailable(f"the PBX cannot run AudioSocket: {exc}") from exc
            raise SpeechUnavailable(f"AudioSocket to {self.address} did not connect for call {channel.call_id}")
        stream = connected.result()
        try:
            heard = await self._hear(stream, grammar, no_input_ms)
        finally:
            await stream.close()
        await application  # AudioSocket() returns once we hung up the socket
        return heard

    async def _hear(self, stream: AudioStream, grammar: Grammar, no_input_ms: int) -> Heard:
        endpointer = Endpointer(dataclasses.replace(self.settings, no_input_ms=no_input_ms))
        utterance = self.recognizer.utterance(grammar)
        preroll: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
        pending = bytearray()
        keepalive = asyncio.ensure_future(_keep_alive(stream))
        try:
            while not endpointer.over:
                try:
                    frame = await asyncio.wait_for(stream.next_frame(), GAP_SECONDS)
                except TimeoutError:
                    endpointer.step(0, int(GAP_SECONDS * 1000))
                    continue
                if frame is None:
                    break  # Asterisk ended the session: the caller left (the application's reply says so)
                if isinstance(frame, DtmfFrame):
                    return Keyed(frame.digit)
                if not isinstance(frame, AudioFrame) or not frame.pcm:
                    continue
                boundary = endpointer.step(rms(frame.pcm), len(frame.pcm) // 16)
                if boundary is Boundary.SPEECH:
                    pending += b"".join(preroll)
                    preroll.clear()
                if endpointer.in_segment or boundary in (Boundary.PAUSE, Boundary.END):
                    pending += frame.pcm
                else:
                    preroll.append(frame.pcm)
                if len(pending) >= FEED_BYTES or boundary in (Boundary.PAUSE, Boundary.END):
                    await utterance.feed(bytes(pending))
                    pending.clear()
                if boundary is Boundary.PAUSE:
                    await utterance.pause()
        finally:
            keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keepalive
        if not endpointer.started:
            return None
        await utterance.feed(bytes(pending))
        return await utterance.finish()


async def _keep_alive(stream: AudioStream) -> None:
    while True:
        await asyncio.sleep(KEEPALIVE_SECONDS)
        await stream.send_audio(SILENCE_FRAME)
