"""AudioSocket wire protocol, sans I/O: bytes in, typed frames out; frames out as bytes.

Every message is a 3-byte header (kind, then the payload length as a big-endian 16-bit number) and the
payload. What Asterisk's ``AudioSocket(uuid,host:port)`` sends (``res/res_audiosocket.c``): first a
``0x01`` frame with the call's UUID (16 bytes), then the caller's audio as ``0x10`` frames (signed
linear 16-bit little-endian, 8 kHz mono; one per 20 ms packet) and, for each key the caller presses, a
``0x03`` frame holding the digit's ASCII code. Either side ends the session with a ``0x00`` frame or by
closing the socket; ``0xff`` carries an error code. Audio sent back to Asterisk (``0x10``) is played
to the caller, and it keeps the application from giving up after 2 s without traffic on a silent line.
"""

from __future__ import annotations

import dataclasses
import struct
import uuid

KIND_HANGUP = 0x00
KIND_UUID = 0x01
KIND_DTMF = 0x03
KIND_AUDIO = 0x10
KIND_ERROR = 0xFF
HEADER = struct.Struct(">BH")
MAX_PAYLOAD = 0xFFFF
SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2
DTMF_KEYS = frozenset("0123456789*#ABCD")


class AudioSocketError(Exception):
    """Base of AudioSocket errors."""


class AudioSocketProtocolError(AudioSocketError):
    """Bytes that are not AudioSocket (unknown kind, a malformed UUID or DTMF frame)."""


@dataclasses.dataclass(frozen=True, slots=True)
class UuidFrame:
    """The first frame of a session: the UUID given to ``AudioSocket()``."""

    uuid: str


@dataclasses.dataclass(frozen=True, slots=True)
class AudioFrame:
    """Signed linear 16-bit little-endian mono audio at 8 kHz."""

    pcm: bytes

    @property
    def seconds(self) -> float:
        return len(self.pcm) / (SAMPLE_RATE * SAMPLE_WIDTH)


@dataclasses.dataclass(frozen=True, slots=True)
class DtmfFrame:
    """A key the caller pressed."""

    digit: str


@dataclasses.dataclass(frozen=True, slots=True)
class HangupFrame:
    """The other side ends the session."""


@dataclasses.dataclass(frozen=True, slots=True)
class ErrorFrame:
    """An error code (Asterisk's application never sends one; other implementations may)."""

    code: int


Frame = UuidFrame | AudioFrame | DtmfFrame | HangupFrame | ErrorFrame


class AudioSocketParser:
    """Turns a byte stream into frames; keeps any incomplete message for the next :meth:`feed`."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        """The complete frames ``data`` finishes; raises :class:`AudioSocketProtocolError` on bytes that
        are not AudioSocket (the stream cannot be resynchronised after that)."""
        self._buffer += data
        frames: list[Frame] = []
        while len(self._buffer) >= HEADER.size:
            kind, length = HEADER.unpack_from(self._buffer)
            end = HEADER.size + length
            if len(self._buffer) < end:
                break
            payload = bytes(self._buffer[HEADER.size:end])
            del self._buffer[:end]
            frames.append(_frame(kind, payload))
        return frames


def _frame(kind: int, payload: bytes) -> Frame:
    match kind:
        case 0x10:
            return AudioFrame(payload)
        case 0x03:
            digit = payload.decode("ascii", "replace")
            if len(digit) != 1 or digit not in DTMF_KEYS:
                raise AudioSocketProtocolError(f"DTMF frame with {payload!r}, not one key")
            return DtmfFrame(digit)
        case 0x01:
            if len(payload) != 16:
                raise AudioSocketProtocolError(f"UUID frame of {len(payload)} bytes, not 16")
            return UuidFrame(str(uuid.UUID(bytes=payload)))
        case 0x00:
            return HangupFrame()
        case 0xFF:
            return ErrorFrame(payload[0] if payload else 0)
    raise AudioSocketProtocolError(f"unknown AudioSocket kind 0x{kind:02x}")


def _message(kind: int, payload: bytes) -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"AudioSocket payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    return HEADER.pack(kind, len(payload)) + payload


def encode_audio(pcm: bytes) -> bytes:
    """An audio frame (8 kHz signed linear 16-bit little-endian mono)."""
    if not pcm or len(pcm) % SAMPLE_WIDTH:
        raise ValueError("audio must be a non-empty whole number of 16-bit samples")
    return _message(KIND_AUDIO, pcm)


def encode_hangup() -> bytes:
    """The frame that ends the session."""
    return _message(KIND_HANGUP, b"")


def encode_uuid(session: str) -> bytes:
    """The opening frame (what Asterisk sends first; for the simulator)."""
    return _message(KIND_UUID, uuid.UUID(session).bytes)


def encode_dtmf(digit: str) -> bytes:
    """A DTMF frame (what Asterisk sends when the caller presses a key; for the simulator)."""
    if digit not in DTMF_KEYS or len(digit) != 1:
        raise ValueError(f"not a DTMF key: {digit!r}")
    return _message(KIND_DTMF, digit.encode("ascii"))
