"""Exceptions of the FastAGI edge.

Every error derives from :class:`AgiError`. The ones a call handler usually meets:

* :class:`AgiHangup` -- the script no longer controls the channel: the caller hung up (``HANGUP``
  line, ``result=-1`` from a command where that means hang-up, Asterisk closing the socket), or an
  out-of-band action broke the running command (:class:`AgiInterrupted`), or Asterisk refused a
  command because the channel is dead (:class:`AgiDeadChannel`, also an :class:`AgiCommandError`).
  ``except AgiHangup`` followed by returning from the handler is always the right reaction.
* :class:`AgiCommandError` -- Asterisk answered a command with an error code: 510
  (:class:`AgiInvalidCommand`), 511 (:class:`AgiDeadChannel`), 520 (:class:`AgiUsageError`).
* :class:`AgiProtocolError` -- bytes from the peer that are not FastAGI.
* :class:`AgiInjectionError` -- a command argument holds CR, LF or NUL; nothing was sent.
"""

from __future__ import annotations


class AgiError(Exception):
    """Base of every FastAGI error."""


class AgiProtocolError(AgiError):
    """Bytes received from Asterisk are not valid FastAGI (bad line, oversized block, ...)."""


class AgiInjectionError(AgiError, ValueError):
    """A command or argument contains CR, LF or NUL, which would end or cut the command line."""


class AgiHangup(AgiError):
    """The script lost control of the channel (normally: the caller hung up)."""


class AgiInterrupted(AgiHangup):
    """The running command was broken on purpose from outside (see ``AgiSession.interrupt``).

    Asterisk reports an AMI Redirect of a channel running AGI exactly like a hang-up; the session
    turns that into this exception when an interruption was announced. The dialplan continues at
    the redirect target once the handler returns.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"interrupted: {reason}")
        self.reason = reason


class AgiCommandError(AgiError):
    """Asterisk answered a command with an error code instead of ``200``."""

    def __init__(self, code: int, message: str, usage: str = "") -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.usage = usage


class AgiInvalidCommand(AgiCommandError):
    """``510 Invalid or unknown command``."""


class AgiDeadChannel(AgiCommandError, AgiHangup):
    """``511 Command Not Permitted on a dead channel or intercept routine``."""


class AgiUsageError(AgiCommandError):
    """``520`` -- wrong arguments; ``usage`` holds the usage text Asterisk sent (may be empty)."""


class AgiApplicationNotFound(AgiError):
    """``EXEC`` of a dialplan application that does not exist (``200 result=-2``)."""

    def __init__(self, application: str) -> None:
        super().__init__(f"no such dialplan application: {application}")
        self.application = application


class AgiPlaybackFailed(AgiError):
    """``STREAM FILE`` could not play the file at all (``result=-1 endpos=0``: usually a missing file)."""

    def __init__(self, filename: str) -> None:
        super().__init__(f"could not play {filename!r}")
        self.filename = filename
