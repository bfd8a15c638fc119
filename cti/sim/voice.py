"""The ``AudioSocket(uuid,host:port)`` application: the caller's voice streamed to a TCP server.

As Asterisk's ``app_audiosocket`` does: connect, send the UUID frame, then the caller's audio as 20 ms
signed-linear frames (silence unless the simulated caller says something: the next of their scripted
utterances, read from a WAV file) and a DTMF frame for each key they press, until the server sends the
hang-up frame or closes the socket (result 0). The caller hanging up ends it with -1; an unreachable
server or bad arguments fail at once (-1, which ends an AGI session as on a real Asterisk).
"""

from __future__ import annotations

import asyncio
import contextlib
import wave

from cti.audiosocket import AudioSocketError, AudioSocketParser, HangupFrame, encode_audio, encode_dtmf, encode_uuid
from cti.sim.channel import Channel
from cti.sim.ports import SimPbx

FRAME_BYTES = 320  # 20 ms at 8 kHz, 16-bit
FRAME_SECONDS = 0.02


def caller_audio(chan: Channel) -> tuple[float, bytes]:
    """The next utterance of the caller heard on ``chan`` (the other half of its Local pair): (delay, audio)."""
    speaker = chan.local_peer if chan.local_peer is not None else chan
    if not speaker.utterances:
        return 0.0, b""
    delay, path = speaker.utterances.popleft()
    with wave.open(path, "rb") as recording:
        if (recording.getframerate(), recording.getsampwidth(), recording.getnchannels()) != (8000, 2, 1):
            raise ValueError(f"{path}: a simulated caller's speech must be 8 kHz mono 16-bit WAV")
        return delay, recording.readframes(recording.getnframes())


async def audiosocket(pbx: SimPbx, chan: Channel, data: str) -> int:
    """Run the application on ``chan``; its result (0: the server ended it, -1: failure or hang-up)."""
    session, _, address = data.partition(",")
    host, _, port = address.strip().rpartition(":")
    try:
        delay, speech = caller_audio(chan)
        reader, writer = await asyncio.open_connection(host.strip("[]"), int(port))
        writer.write(encode_uuid(session.strip()))
    except (ValueError, OSError):
        return -1
    ended = asyncio.ensure_future(_server_ends(reader))
    chan.listening = True  # scripted keys may be pressed now
    chan.wake()
    try:
        clock, sent = pbx.clock, 0.0
        while not ended.done() and not chan.dead and not chan.pulled:
            while chan.dtmf:
                writer.write(encode_dtmf(chan.dtmf.popleft()))
            start = int((sent - delay) / FRAME_SECONDS) * FRAME_BYTES if speech and sent >= delay else len(speech)
            frame = speech[start:start + FRAME_BYTES].ljust(FRAME_BYTES, b"\x00")
            writer.write(encode_audio(frame))
            await writer.drain()
            sent += FRAME_SECONDS
            await asyncio.wait([ended], timeout=clock.real(FRAME_SECONDS))
    except (ConnectionError, OSError):
        pass
    finally:
        chan.listening = False
        ended.cancel()
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    return -1 if chan.dead else 0


async def _server_ends(reader: asyncio.StreamReader) -> None:
    """Return when the server hangs up (hang-up frame or closed socket); its audio is not played."""
    parser = AudioSocketParser()
    with contextlib.suppress(ConnectionError, OSError, AudioSocketError):
        while data := await reader.read(4096):
            if any(isinstance(frame, HangupFrame) for frame in parser.feed(data)):
                return
