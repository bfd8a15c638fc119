"""One FastAGI conversation with Asterisk: typed, async commands over one socket.

AGI is strictly request/reply: :class:`AgiSession` sends one command, waits for its reply, and only
then sends the next (concurrent callers are serialised). The unsolicited ``HANGUP`` line is noted
(:attr:`AgiSession.hung_up`) and skipped; Asterisk keeps answering some commands after it
(``GET VARIABLE``, ``VERBOSE``) and refuses others with 511 (:class:`AgiDeadChannel`).

Interrupting a long command (the caller is in ``EXEC MusicOnHold`` or ``STREAM FILE`` and the ACD has
found an agent): only Asterisk can stop the running application, so it is done out of band with an
AMI ``Redirect`` of :attr:`AgiSession.channel` to the dialplan place that connects the agent.
Asterisk reports that to the script exactly like a hang-up (``result=-1``, then ``HANGUP``), and the
dialplan continues at the redirect target once the script closes the socket. Announce it first with
:meth:`AgiSession.expect_interrupt` (or let :meth:`AgiSession.interrupt` announce it and call the
injected :data:`ChannelInterrupter`), so the handler gets :class:`AgiInterrupted` instead of a plain
:class:`AgiHangup`; either way the handler should just return.

After an interruption, later commands may also fail with :class:`AgiDeadChannel` (an
:class:`AgiHangup` too); :attr:`AgiSession.interrupt_reason` tells the handler why.

A command cancelled while waiting for its reply (``asyncio.timeout``) leaves the session usable: its
late reply is skipped before the next command's reply is read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from cti.agi.errors import (
    AgiApplicationNotFound,
    AgiError,
    AgiHangup,
    AgiInterrupted,
    AgiPlaybackFailed,
    AgiProtocolError,
)
from cti.agi.protocol import (
    AgiEnvironment,
    AgiErrorReply,
    AgiHangupNotice,
    AgiParser,
    AgiResult,
    format_command,
)

READ_SIZE = 64 * 1024
CLOSE_TIMEOUT = 5.0

# async (channel, reason) -> None: breaks the AGI application running on ``channel``,
# typically an AMI Redirect to where the call should go next.
ChannelInterrupter = Callable[[str, str], Awaitable[None]]


class AgiSession:
    """The script side of one FastAGI connection; created by :class:`cti.agi.server.AgiServer`.

    Typed methods raise :class:`AgiHangup` (or its subclasses :class:`AgiInterrupted`,
    :class:`AgiDeadChannel`) when the channel is gone, and :class:`AgiCommandError` subclasses
    for 510/520 replies.
    """

    def __init__(
        self,
        env: AgiEnvironment,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        parser: AgiParser,
        *,
        interrupter: ChannelInterrupter | None = None,
    ) -> None:
        self.env = env
        self._reader = reader
        self._writer = writer
        self._parser = parser
        self._interrupter = interrupter
        self._lock = asyncio.Lock()
        self._orphans = 0  # replies still due for commands whose caller was cancelled
        self._hung_up = False
        self._closed = False
        self._interrupt_reason: str | None = None

    @property
    def channel(self) -> str:
        """Asterisk's channel name (``agi_channel``): the target for AMI Redirect/Hangup."""
        return self.env.channel

    @property
    def uniqueid(self) -> str:
        return self.env.uniqueid

    @property
    def script_path(self) -> str:
        return self.env.script_path

    @property
    def args(self) -> tuple[str, ...]:
        return self.env.args

    @property
    def query(self) -> Mapping[str, str]:
        return self.env.query

    @property
    def hung_up(self) -> bool:
        """True once Asterisk signalled that the channel hung up (or the connection closed)."""
        return self._hung_up

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def interrupt_reason(self) -> str | None:
        """The reason given to :meth:`expect_interrupt`, None when no interruption was announced."""
        return self._interrupt_reason

    # -- interruption -----------------------------------------------------------------------

    def expect_interrupt(self, reason: str) -> None:
        """Announce that an out-of-band action is about to break the running command.

        From now on the hang-up signals of this session raise :class:`AgiInterrupted` with
        ``reason`` instead of :class:`AgiHangup`.
        """
        self._interrupt_reason = reason

    async def interrupt(self, reason: str) -> None:
        """:meth:`expect_interrupt`, then break the channel's application with the interrupter."""
        if self._interrupter is None:
            raise AgiError("no ChannelInterrupter configured for this AGI server")
        self.expect_interrupt(reason)
        try:
            await self._interrupter(self.channel, reason)
        except BaseException:
            self._interrupt_reason = None  # nothing was broken: a later hang-up is a real one
            raise

    # -- the generic command ----------------------------------------------------------------

    async def command(self, command: str, *args: str | int) -> AgiResult:
        """Send ``command`` with its arguments and return the ``200`` reply as it came.

        The result is not interpreted (``result=-1`` is returned, not raised); error replies raise
        :class:`AgiInvalidCommand` (510), :class:`AgiDeadChannel` (511), :class:`AgiUsageError`
        (520) or :class:`AgiCommandError`. :class:`AgiInjectionError` is raised before sending.
        """
        line = format_command(command, *args)
        async with self._lock:
            if self._closed:
                raise self._hangup_error("session closed")
            try:
                self._writer.write(line)
                await self._writer.drain()
                reply = await self._read_reply()
            except asyncio.CancelledError:
                self._orphans += 1
                raise
            except ConnectionError as exc:
                self._closed = self._hung_up = True
                raise self._hangup_error(f"connection lost: {exc}") from exc
        if isinstance(reply, AgiErrorReply):
            raise reply.to_exception()
        return reply

    async def _read_reply(self) -> AgiResult | AgiErrorReply:
        parser = self._parser
        while True:
            message = parser.next_message()
            if message is None:
                data = await self._reader.read(READ_SIZE)
                if not data:
                    self._closed = self._hung_up = True
                    raise self._hangup_error("Asterisk closed the connection")
                parser.receive_data(data)
            elif isinstance(message, AgiHangupNotice):
                self._hung_up = True
            elif isinstance(message, AgiResult | AgiErrorReply):
                if not self._orphans:
                    return message
                self._orphans -= 1
            else:
                raise AgiProtocolError("second AGI environment on one connection")

    def _hangup_error(self, what: str) -> AgiHangup:
        self._hung_up = True
        if self._interrupt_reason is not None:
            return AgiInterrupted(self._interrupt_reason)
        return AgiHangup(what)

    async def _checked(self, command: str, *args: str | int) -> AgiResult:
        """``command`` with ``result=-1`` turned into the hang-up error."""
        reply = await self.command(command, *args)
        if reply.result == "-1":
            raise self._hangup_error(f"{command}: channel hung up")
        return reply

    @staticmethod
    def _digit(reply: AgiResult) -> str | None:
        """The key pressed, from a result holding its ASCII code (0: none)."""
        code = reply.result_int
        if not 0 <= code <= 0x10FFFF:
            raise AgiProtocolError(f"not a digit code: {code}")
        return chr(code) if code else None

    # -- typed commands -----------------------------------------------------------------------

    async def answer(self) -> None:
        """Answer the channel."""
        await self._checked("ANSWER")

    async def hangup(self, channel: str | None = None) -> bool:
        """Hang up this channel (or ``channel``); False when no such channel exists."""
        reply = await self.command("HANGUP", *([channel] if channel is not None else []))
        return reply.result == "1"

    async def stream_file(
        self, filename: str, escape_digits: str = "", offset: int | None = None
    ) -> tuple[str | None, int]:
        """Play ``filename`` (no extension); returns (escape digit pressed or None, end sample offset).

        Raises :class:`AgiPlaybackFailed` when the file could not be played at all.
        """
        args: list[str | int] = [filename, escape_digits]
        if offset is not None:
            args.append(offset)
        reply = await self.command("STREAM FILE", *args)
        endpos = reply.endpos
        if reply.result == "-1":
            # A missing file gives result=-1 with the offset unchanged; a hang-up mid-file moved it.
            if endpos == (offset or 0) and self._interrupt_reason is None:
                raise AgiPlaybackFailed(filename)
            raise self._hangup_error(f"STREAM FILE {filename}: channel hung up")
        if endpos is None:
            raise AgiProtocolError("STREAM FILE reply without endpos")
        return self._digit(reply), endpos

    async def get_data(self, prompt: str, timeout_ms: int = 0, max_digits: int | None = None) -> str:
        """Play ``prompt`` and collect DTMF; returns the digits ("" when none before the timeout).

        ``timeout_ms`` 0 uses Asterisk's default; collection stops at ``#`` (not returned) or at
        ``max_digits``. A hang-up raises :class:`AgiHangup` and discards the digits already typed.
        """
        args: list[str | int] = [prompt, timeout_ms]
        if max_digits is not None:
            args.append(max_digits)
        reply = await self._checked("GET DATA", *args)
        return reply.result

    async def wait_for_digit(self, timeout_ms: int = -1) -> str | None:
        """Wait for one key (-1: forever); None on timeout."""
        return self._digit(await self._checked("WAIT FOR DIGIT", timeout_ms))

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        """Say ``digits`` one by one; returns the escape digit pressed, if any."""
        return self._digit(await self._checked("SAY DIGITS", digits, escape_digits))

    async def say_number(self, number: int, escape_digits: str = "") -> str | None:
        """Say ``number``; returns the escape digit pressed, if any."""
        return self._digit(await self._checked("SAY NUMBER", number, escape_digits))

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable (or a writable function such as ``CDR(userfield)``)."""
        await self.command("SET VARIABLE", name, value)

    async def get_variable(self, name: str) -> str | None:
        """A channel variable or function value; None when it is not set."""
        reply = await self.command("GET VARIABLE", name)
        return (reply.data or "") if reply.result == "1" else None

    async def get_full_variable(self, expression: str, channel: str | None = None) -> str | None:
        """``expression`` with ``${...}`` substituted by Asterisk; None when it cannot be evaluated."""
        args = [expression] if channel is None else [expression, channel]
        reply = await self.command("GET FULL VARIABLE", *args)
        return (reply.data or "") if reply.result == "1" else None

    async def exec(self, application: str, *args: str) -> int:
        """Run a dialplan application; ``args`` are joined with ``,`` as in the dialplan.

        Returns the application's result; raises :class:`AgiApplicationNotFound` for an unknown
        application and :class:`AgiHangup` when it ended because the channel hung up.
        """
        command_args = [application, ",".join(args)] if args else [application]
        reply = await self._checked("EXEC", *command_args)
        if reply.result == "-2":
            raise AgiApplicationNotFound(application)
        return reply.result_int

    async def verbose(self, message: str, level: int = 1) -> None:
        """Write ``message`` to Asterisk's console/log at verbosity ``level``."""
        await self.command("VERBOSE", message, level)

    async def channel_status(self, channel: str | None = None) -> int:
        """The channel state number (6 = up). For another ``channel``, -1 when it does not exist."""
        if channel is None:
            return (await self._checked("CHANNEL STATUS")).result_int
        return (await self.command("CHANNEL STATUS", channel)).result_int

    async def noop(self) -> None:
        """Do nothing; a round trip (and a cheap check that Asterisk still answers)."""
        await self.command("NOOP")

    async def close(self) -> None:
        """Close the socket: the script is done, Asterisk continues the dialplan."""
        self._closed = True
        if self._writer.is_closing():
            return
        self._writer.close()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self._writer.wait_closed()
        except TimeoutError:
            self._writer.transport.abort()  # the peer does not read: drop what is unsent
        except (ConnectionError, OSError):
            pass  # the peer went first; nothing left to flush
