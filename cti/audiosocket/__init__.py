"""AudioSocket: Asterisk's ``AudioSocket()`` application streams a call's audio to us over TCP."""

from cti.audiosocket.protocol import (
    AudioFrame,
    AudioSocketError,
    AudioSocketParser,
    AudioSocketProtocolError,
    DtmfFrame,
    ErrorFrame,
    Frame,
    HangupFrame,
    UuidFrame,
    encode_audio,
    encode_dtmf,
    encode_hangup,
    encode_uuid,
)
from cti.audiosocket.server import AudioSocketServer, AudioStream

__all__ = [
    "AudioFrame",
    "AudioSocketError",
    "AudioSocketParser",
    "AudioSocketProtocolError",
    "AudioSocketServer",
    "AudioStream",
    "DtmfFrame",
    "ErrorFrame",
    "Frame",
    "HangupFrame",
    "UuidFrame",
    "encode_audio",
    "encode_dtmf",
    "encode_hangup",
    "encode_uuid",
]
