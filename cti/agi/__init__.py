"""FastAGI: the sans-I/O protocol, the per-call session and the asyncio server."""

from cti.agi.errors import (
    AgiApplicationNotFound,
    AgiCommandError,
    AgiDeadChannel,
    AgiError,
    AgiHangup,
    AgiInjectionError,
    AgiInterrupted,
    AgiInvalidCommand,
    AgiPlaybackFailed,
    AgiProtocolError,
    AgiUsageError,
)
from cti.agi.protocol import AgiEnvironment, AgiErrorReply, AgiHangupNotice, AgiParser, AgiResult, format_command
from cti.agi.server import AgiHandler, AgiServer, AgiServerStats
from cti.agi.session import AgiSession, ChannelInterrupter

__all__ = [
    "AgiApplicationNotFound",
    "AgiCommandError",
    "AgiDeadChannel",
    "AgiEnvironment",
    "AgiError",
    "AgiErrorReply",
    "AgiHandler",
    "AgiHangup",
    "AgiHangupNotice",
    "AgiInjectionError",
    "AgiInterrupted",
    "AgiInvalidCommand",
    "AgiParser",
    "AgiPlaybackFailed",
    "AgiProtocolError",
    "AgiResult",
    "AgiServer",
    "AgiServerStats",
    "AgiSession",
    "AgiUsageError",
    "ChannelInterrupter",
    "format_command",
]
