"""The Asterisk side of FastAGI: connect to an ``agi://`` URL, send the environment, obey commands.

Wire behaviour follows the traces (``02``/``09``): ``key: value\\n`` environment lines ended by an
empty line, one reply line per command (``200 result=…``, ``510``, ``511``, a multi-line ``520``
usage), and an unsolicited ``HANGUP\\n`` line once the channel is hung up. Every command raises
``AGIExecStart``/``AGIExecEnd`` on AMI.

A hang-up, an AMI ``Redirect`` or a bridge taking the channel ends the running command with its hang-up
result and a ``HANGUP`` line (about 40 ms later for a redirect, recording ``tests/fixtures/recorded/11``);
then the session serves commands as on a dead channel until the script closes its socket, answers that
with a second ``HANGUP`` and closes too. With ``AGIEXITONHANGUP`` true it does not wait for the script.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from cti.sim.channel import STATE_UP, Channel, Interrupt, parse_caller_id, parse_dial_timeout
from cti.sim.media import music_on_hold, playback, prompt_seconds, wait
from cti.sim.ports import SimPbx
from cti.sim.voice import audiosocket

DEFAULT_AGI_PORT = 4573
SAMPLES_PER_SECOND = 8000
SAY_SECONDS_PER_DIGIT = 0.5
DTMF_DIGITS = "0123456789*#ABCD"
# Seconds from the interrupted command's reply to the HANGUP line after a Redirect (recording 11: ~40 ms).
REDIRECT_HANGUP_DELAY = 0.04
# Dial's option b(callcenter-auto-answer^s^1(<seconds>)): the shipped dialplan's auto-answer pre-dial handler.
_AUTO_ANSWER = re.compile(r"\bb\(callcenter-auto-answer\^s\^1\(([0-9]+)\)\)")
TRUE_WORDS = frozenset({"yes", "true", "y", "t", "1", "on"})
DEAD_MSG = "Command Not Permitted on a dead channel or intercept routine"
# Commands that still work once the channel is hung up (everything else answers 511).
DEAD_OK = frozenset(
    {
        "GET VARIABLE",
        "GET FULL VARIABLE",
        "SET VARIABLE",
        "VERBOSE",
        "NOOP",
        "EXEC",
        "DATABASE GET",
        "DATABASE PUT",
        "DATABASE DEL",
        "SET CALLERID",
    }
)
USAGE = {
    "STREAM FILE": "STREAM FILE <filename> <escape_digits> [sample offset]\nPlays a prompt; "
    "returns the ASCII code of an escape digit pressed, 0 at the end, -1 on hang-up.",
    "GET DATA": "GET DATA <file to be streamed> [timeout] [max digits]\nPlays a prompt and "
    "collects DTMF digits until the timeout, the maximum or '#'.",
    "WAIT FOR DIGIT": "WAIT FOR DIGIT <timeout>\nWaits up to <timeout> ms for one DTMF digit.",
    "SAY DIGITS": "SAY DIGITS <number> <escape digits>\nSays the digits of <number>.",
    "SAY NUMBER": "SAY NUMBER <number> <escape digits> [gender]\nSays <number>.",
    "GET VARIABLE": "GET VARIABLE <variablename>\nReturns 1 and the value in parentheses when set.",
    "GET FULL VARIABLE": "GET FULL VARIABLE <expression> [channel name]\nEvaluates an expression.",
    "SET VARIABLE": "SET VARIABLE <variablename> <value>\nSets a channel variable.",
    "EXEC": "EXEC <application> <options>\nRuns a dialplan application.",
    "VERBOSE": "VERBOSE <message> <level>\nLogs a message.",
    "DATABASE GET": "DATABASE GET <family> <key>\nReads an AstDB value.",
    "DATABASE PUT": "DATABASE PUT <family> <key> <value>\nWrites an AstDB value.",
    "DATABASE DEL": "DATABASE DEL <family> <key>\nDeletes an AstDB value.",
    "SET CALLERID": "SET CALLERID <number>\nChanges the caller ID of the channel.",
    "SET AUTOHANGUP": "SET AUTOHANGUP <time>\nHangs the channel up after <time> seconds.",
}
MIN_ARGS = {
    "STREAM FILE": 2,
    "GET DATA": 1,
    "WAIT FOR DIGIT": 1,
    "SAY DIGITS": 2,
    "SAY NUMBER": 2,
    "GET VARIABLE": 1,
    "GET FULL VARIABLE": 1,
    "SET VARIABLE": 2,
    "EXEC": 1,
    "VERBOSE": 1,
    "DATABASE GET": 2,
    "DATABASE PUT": 3,
    "DATABASE DEL": 2,
    "SET CALLERID": 1,
    "SET AUTOHANGUP": 1,
}
COMMANDS = (
    "ANSWER",
    "HANGUP",
    "NOOP",
    "VERBOSE",
    "CHANNEL STATUS",
    "GET VARIABLE",
    "GET FULL VARIABLE",
    "SET VARIABLE",
    "STREAM FILE",
    "GET DATA",
    "WAIT FOR DIGIT",
    "SAY DIGITS",
    "SAY NUMBER",
    "EXEC",
    "DATABASE GET",
    "DATABASE PUT",
    "DATABASE DEL",
    "SET CALLERID",
    "SET AUTOHANGUP",
)
EXPANSION = re.compile(r"\$\{([^{}]+)\}")


class AgiStatus(StrEnum):
    """The ``AGISTATUS`` the AGI application leaves behind."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    HANGUP = "HANGUP"


@dataclass(frozen=True, slots=True)
class Reply:
    """One reply: the line(s) sent to the script and the ResultCode/Result of ``AGIExecEnd``."""

    text: str
    code: str = "200"
    result: str = "Success"


def ok(result: str) -> Reply:
    return Reply(f"200 result={result}\n")


def ok_or_failure(result: str, suffix: str = "") -> Reply:
    """A reply of a command that counts a negative result as failure (``AGIExecEnd`` -1/Failure)."""
    text = f"200 result={result}{suffix}\n"
    return Reply(text, "-1", "Failure") if result.startswith("-") else Reply(text)


def usage(command: str) -> Reply:
    body = USAGE.get(command, command)
    return Reply(
        f"520-Invalid command syntax.  Proper usage follows:\n{body}\n520 End of proper usage.\n",
        "520",
        "Usage",
    )


def split_args(line: str) -> list[str]:
    """Split a command line as Asterisk does: whitespace separated, double quotes group, ``\\`` escapes."""
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escapedquotes = '"'
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:  # unbalanced quote: Asterisk takes the rest of the line as the argument
        return line.replace('"', " ").split()


def match_command(words: list[str]) -> tuple[str, list[str]] | None:
    """The longest known command the words start with (case-insensitive) and the remaining args."""
    upper = [w.upper() for w in words]
    best: tuple[str, list[str]] | None = None
    for command in COMMANDS:
        parts = command.split()
        if upper[: len(parts)] == parts and (best is None or len(parts) > len(best[0].split())):
            best = (command, words[len(parts) :])
    return best


def build_environment(chan: Channel, url: str, args: list[str]) -> bytes:
    """The environment block, keys and order exactly as Asterisk writes them."""
    parts = urlsplit(url)
    script = parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
    pairs = [
        ("agi_network", "yes"),
        ("agi_network_script", script),
        ("agi_request", url),
        ("agi_channel", chan.name),
        ("agi_language", chan.language),
        ("agi_type", chan.tech),
        ("agi_uniqueid", chan.uniqueid),
        ("agi_version", "GIT-master-sim"),
        ("agi_callerid", chan.caller_num or "unknown"),
        ("agi_calleridname", chan.caller_name or "unknown"),
        ("agi_callingpres", "0"),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", "unknown"),
        ("agi_rdnis", "unknown"),
        ("agi_context", chan.context),
        ("agi_extension", chan.exten),
        ("agi_priority", str(chan.priority)),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", chan.account_code),
        ("agi_threadid", str(random.randrange(1 << 46, 1 << 47))),
    ]
    pairs += [(f"agi_arg_{i}", arg) for i, arg in enumerate(args, 1)]
    # Values reach the script one per line: a CR/LF inside one must not start a new line.
    text = "".join(f"{k}: {v.replace(chr(13), ' ').replace(chr(10), ' ')}\n" for k, v in pairs) + "\n"
    return text.encode("utf-8", "surrogateescape")  # a caller's Latin-1 bytes go out as they came in


class AgiSession:
    """One FastAGI session on one channel."""

    def __init__(
        self, pbx: SimPbx, chan: Channel, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.pbx = pbx
        self.chan = chan
        self.reader = reader
        self.writer = writer
        self.sent_hangup = False
        self.exit_on_hangup = (pbx.get_variable(chan, "AGIEXITONHANGUP") or "").lower() in TRUE_WORDS
        self._command_ids = random.Random(chan.uniqueid)

    def left(self) -> bool:
        """Whether the channel is hung up, redirected or pulled into a bridge: the script now runs as on a dead
        channel."""
        return self.chan.dead or self.chan.pulled

    async def run(self) -> AgiStatus:
        """Serve commands until the script closes (or, with AGIEXITONHANGUP, the channel leaves)."""
        while (line := await self._next_line()) is not None:
            if line.strip():
                await self._execute(line)
        status = AgiStatus.HANGUP if self.sent_hangup or self.left() else AgiStatus.SUCCESS
        await self._send("HANGUP\n")  # Asterisk's goodbye on every FastAGI session it ends
        return status

    async def _hangup_line(self) -> None:
        self.sent_hangup = True
        await self._send("HANGUP\n")

    async def _next_line(self) -> str | None:
        """The next command line (None at the script's close); sends ``HANGUP`` when the channel leaves
        while the script is idle."""
        read: asyncio.Future[bytes] = asyncio.ensure_future(self.reader.readline())
        try:
            while True:
                if self.left() and not self.sent_hangup:
                    await self._hangup_line()
                if self.sent_hangup and self.exit_on_hangup:
                    return None
                changed = self.chan.waiter()
                try:
                    pending: list[asyncio.Future[Any]] = [read, changed]
                    await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    self.chan.drop_waiter(changed)
                    changed.cancel()
                if read.done():
                    raw = read.result()
                    if not raw:
                        return None
                    return raw.decode("utf-8", "replace").rstrip("\r\n")
        except (ConnectionError, OSError):
            return None
        finally:
            read.cancel()

    async def _send(self, text: str) -> None:
        try:
            self.writer.write(text.encode())
            await self.writer.drain()
        except (ConnectionError, OSError):
            pass

    async def _execute(self, line: str) -> None:
        chan = self.chan
        command_id = str(self._command_ids.randrange(10**8, 10**10))
        self.pbx.chan_event("AGIExecStart", "agi,all", chan, [("CommandId", command_id), ("Command", line)])
        words = split_args(line)
        matched = match_command(words) if words else None
        was_dead = self.left()
        if matched is None:
            reply = Reply("510 Invalid or unknown command\n", "510", "Invalid or unknown command")
        else:
            command, args = matched
            if len(args) < MIN_ARGS.get(command, 0):
                reply = usage(command)
            elif was_dead and command not in DEAD_OK:
                reply = Reply(f"511 {DEAD_MSG}\n", "511", DEAD_MSG)
            else:
                reply = await self._run_command(command, args)
        await self._send(reply.text)
        self.pbx.chan_event(
            "AGIExecEnd",
            "agi,all",
            chan,
            [
                ("CommandId", command_id),
                ("Command", line),
                ("ResultCode", reply.code),
                ("Result", reply.result),
            ],
        )
        if self.left() and not self.sent_hangup:
            if not chan.dead and not self.exit_on_hangup:
                await self.pbx.clock.sleep(REDIRECT_HANGUP_DELAY)
            await self._hangup_line()

    async def _run_command(self, command: str, args: list[str]) -> Reply:
        handler: Callable[[list[str]], Awaitable[Reply]] = getattr(
            self, "_cmd_" + command.lower().replace(" ", "_")
        )
        return await handler(args)

    # ---- commands -------------------------------------------------------------------------------

    async def _cmd_answer(self, args: list[str]) -> Reply:
        if self.chan.state != STATE_UP:
            self.pbx.answer(self.chan)
        return ok("0")

    async def _cmd_hangup(self, args: list[str]) -> Reply:
        chan = self.chan
        self.pbx.chan_event("SoftHangupRequest", "call,all", chan, [("Cause", "32")])
        chan.hangup_cause = 16
        return ok("1")

    async def _cmd_noop(self, args: list[str]) -> Reply:
        return ok("0")

    async def _cmd_verbose(self, args: list[str]) -> Reply:
        return ok("1")

    async def _cmd_set_autohangup(self, args: list[str]) -> Reply:
        return ok("0")

    async def _cmd_channel_status(self, args: list[str]) -> Reply:
        return ok(str(self.chan.state))

    def expand(self, text: str) -> str:
        """``${VAR}`` substitution with the channel's variables and the functions it knows."""
        return EXPANSION.sub(lambda m: self.pbx.get_variable(self.chan, m.group(1)) or "", text)

    async def _cmd_get_variable(self, args: list[str]) -> Reply:
        value = self.pbx.get_variable(self.chan, args[0])
        return ok("0") if value is None else ok(f"1 ({value})")

    async def _cmd_get_full_variable(self, args: list[str]) -> Reply:
        return ok(f"1 ({self.expand(args[0])})")

    async def _cmd_set_variable(self, args: list[str]) -> Reply:
        self.pbx.set_variable(self.chan, args[0], args[1])
        return ok("1")

    async def _cmd_set_callerid(self, args: list[str]) -> Reply:
        num, name = parse_caller_id(args[0])
        self.chan.caller_num, self.chan.caller_name = num, name or self.chan.caller_name
        return ok("1")

    async def _cmd_database_get(self, args: list[str]) -> Reply:
        value = self.pbx.database.get((args[0], args[1]))
        return ok("0") if value is None else ok(f"1 ({value})")

    async def _cmd_database_put(self, args: list[str]) -> Reply:
        self.pbx.database[(args[0], args[1])] = args[2]
        return ok("1")

    async def _cmd_database_del(self, args: list[str]) -> Reply:
        return ok("1" if self.pbx.database.pop((args[0], args[1]), None) is not None else "0")

    async def _play(self, name: str, escape: str) -> tuple[Interrupt | None, float]:
        """Play a prompt, interruptible by ``escape`` digits; (interrupt, seconds played)."""
        length = prompt_seconds(self.pbx.config, name) or 0.0
        loop = asyncio.get_running_loop()
        start = loop.time()
        self._listen(bool(escape))
        try:
            interrupt = await wait(self.pbx.clock, [self.chan], length, digits=escape)
        finally:
            self._listen(False)
        played = min(length, (loop.time() - start) * self.pbx.clock.speed)
        return interrupt, played

    def _listen(self, on: bool) -> None:
        self.chan.listening = on
        self.chan.wake()
        if self.chan.local_peer is not None:
            self.chan.local_peer.wake()

    async def _cmd_stream_file(self, args: list[str]) -> Reply:
        if prompt_seconds(self.pbx.config, args[0]) is None:
            return Reply("200 result=-1 endpos=0\n", "-1", "Failure")
        interrupt, played = await self._play(args[0], args[1])
        endpos = int(played * SAMPLES_PER_SECOND)
        if interrupt is Interrupt.DIGIT:
            digit = self.chan.dtmf.popleft()
            self.pbx.set_variable(self.chan, "PLAYBACKSTATUS", "SUCCESS")
            return Reply(f"200 result={ord(digit)} endpos={endpos}\n")
        if interrupt is not None:
            self.pbx.set_variable(self.chan, "PLAYBACKSTATUS", "FAILED")
            return ok_or_failure("-1", f" endpos={endpos}")
        self.pbx.set_variable(self.chan, "PLAYBACKSTATUS", "SUCCESS")
        return Reply(f"200 result=0 endpos={endpos}\n")

    async def _cmd_get_data(self, args: list[str]) -> Reply:
        timeout = float(args[1]) / 1000 if len(args) > 1 and args[1].lstrip("-").isdigit() else 6.0
        if timeout <= 0:
            timeout = 6.0
        max_digits = int(args[2]) if len(args) > 2 and args[2].isdigit() else 1024
        chan = self.chan
        digits = ""
        interrupt, _ = await self._play(args[0], DTMF_DIGITS)
        waited = False  # the end of the prompt is not a timeout; the end of a wait after it is
        self._listen(True)
        try:
            while True:
                if interrupt is Interrupt.HANGUP or interrupt is Interrupt.REDIRECT:
                    return ok("-1")
                if interrupt is Interrupt.DIGIT:
                    digit = chan.dtmf.popleft()
                    if digit == "#":
                        return ok(digits)
                    digits += digit
                    if len(digits) >= max_digits:
                        return ok(digits)
                elif waited:
                    return ok(f"{digits} (timeout)")
                interrupt = await wait(self.pbx.clock, [chan], timeout, digits=DTMF_DIGITS)
                waited = True
        finally:
            self._listen(False)

    async def _cmd_wait_for_digit(self, args: list[str]) -> Reply:
        try:
            ms = float(args[0])
        except ValueError:
            return usage("WAIT FOR DIGIT")
        self._listen(True)
        try:
            interrupt = await wait(self.pbx.clock, [self.chan], None if ms < 0 else ms / 1000, digits=DTMF_DIGITS)
        finally:
            self._listen(False)
        if interrupt is Interrupt.DIGIT:
            return ok(str(ord(self.chan.dtmf.popleft())))
        return ok("0") if interrupt is None else ok_or_failure("-1")

    async def _say(self, count: int, escape: str) -> Reply:
        interrupt = await wait(self.pbx.clock, [self.chan], count * SAY_SECONDS_PER_DIGIT, digits=escape)
        if interrupt is Interrupt.DIGIT:
            return ok(str(ord(self.chan.dtmf.popleft())))
        return ok("0") if interrupt is None else ok_or_failure("-1")

    async def _cmd_say_digits(self, args: list[str]) -> Reply:
        return await self._say(len(args[0]), args[1])

    async def _cmd_say_number(self, args: list[str]) -> Reply:
        return await self._say(len(args[0].lstrip("-")) + 1, args[1])

    async def _cmd_exec(self, args: list[str]) -> Reply:
        """Run an application; Asterisk reports any non-zero result as ``Unknown Result``."""
        reply = await self._exec_application(args[0], self.expand(" ".join(args[1:])))
        return reply if reply.text == "200 result=0\n" else Reply(reply.text, "200", "Unknown Result")

    async def _exec_application(self, name: str, data: str) -> Reply:
        chan = self.chan
        if chan.redirect_to is not None and not chan.dead:
            # Redirected: the application runs at the target's place and uses up its step.
            context, exten, priority = chan.redirect_to
            chan.context, chan.exten, chan.priority = context, exten, priority
            self.pbx.newexten(chan, name, data, step=False)
            chan.redirect_to = (context, exten, priority + 1)
        runners: dict[str, tuple[str, Callable[[str], Awaitable[Reply]]]] = {
            "playback": ("Playback", self._app_playback),
            "musiconhold": ("MusicOnHold", self._app_music_on_hold),
            "wait": ("Wait", self._app_wait),
            "dial": ("Dial", self._app_dial),
            "bridge": ("Bridge", self._app_bridge),
            "set": ("Set", self._app_set),
            "noop": ("NoOp", self._app_noop),
            "answer": ("Answer", self._app_answer),
            "hangup": ("Hangup", self._app_hangup),
            "voicemail": ("VoiceMail", self._app_voicemail),
            "audiosocket": ("AudioSocket", self._app_audiosocket),
        }
        found = runners.get(name.lower())
        if found is None:
            return ok("-2")
        application, runner = found
        # While it runs, the channel shows the application (CoreShowChannels, Status), as pbx_exec sets it.
        saved = chan.application, chan.app_data
        chan.application, chan.app_data = application, data
        try:
            return await runner(data)
        finally:
            if not chan.imparted:  # a bridge that took the channel left it no application
                chan.application, chan.app_data = saved

    async def _app_playback(self, data: str) -> Reply:
        interrupt = await playback(self.pbx, self.chan, data.split(",", 1)[0].split("&"))
        return ok("0") if interrupt is None else ok("-1")

    async def _app_music_on_hold(self, data: str) -> Reply:
        music_class, _, duration = data.partition(",")
        seconds = float(duration) if duration.strip().replace(".", "", 1).isdigit() else None
        interrupt = await music_on_hold(self.pbx, self.chan, music_class, seconds)
        return ok("0") if interrupt is None else ok("-1")

    async def _app_wait(self, data: str) -> Reply:
        try:
            seconds = float(data or "0")
        except ValueError:
            seconds = 0.0
        if self.left():  # Asterisk still waits on a dead channel, but nothing can cut it short
            await self.pbx.clock.sleep(seconds)
            return ok("0")
        interrupt = await wait(self.pbx.clock, [self.chan], seconds)
        return ok("0") if interrupt is None else ok("-1")

    async def _app_dial(self, data: str) -> Reply:
        fields = data.split(",")
        timeout = parse_dial_timeout(fields[1]) if len(fields) > 1 else None
        if self.chan.dead:
            return ok("-1")
        # The shipped dialplan's auto-answer pre-dial handler stands for the SIP headers it adds.
        auto_answer = _AUTO_ANSWER.search(fields[2]) if len(fields) > 2 else None
        status = await self.pbx.dialer.dial_and_bridge(self.chan, fields[0].split("&")[0], timeout,
                                                       float(auto_answer[1]) if auto_answer else None)
        self.pbx.set_variable(self.chan, "DIALSTATUS", status)
        # As a real Asterisk answers (checked against one): -1 when the caller hangs up or is moved while it
        # rings, 0 when it is moved out of the talk, -1 when the agent's side ends the talk, 0 unanswered.
        if self.chan.dead:
            return ok("-1")
        if self.chan.redirect_to:
            return ok("0") if status == "ANSWER" else ok("-1")
        return ok("-1") if status == "ANSWER" else ok("0")

    async def _app_bridge(self, data: str) -> Reply:
        await self.pbx.bridges.application(self.chan, data)
        return ok("0")  # Bridge() returns 0 whatever BRIDGERESULT says

    async def _app_voicemail(self, data: str) -> Reply:
        """VoiceMail(box[,options]): the greeting, then a message until the caller hangs up (at most
        VOICEMAIL_MAX_SECONDS); ``VMSTATUS`` as Asterisk sets it for a left message."""
        if self.chan.dead:
            return ok("-1")
        interrupt = await playback(self.pbx, self.chan, ["vm-intro"])
        if interrupt is None:
            interrupt = await wait(self.pbx.clock, [self.chan], VOICEMAIL_MAX_SECONDS)
        self.pbx.set_variable(self.chan, "VMSTATUS", "SUCCESS")
        return ok("0") if interrupt is None else ok("-1")

    async def _app_audiosocket(self, data: str) -> Reply:
        if self.chan.dead:
            return ok("-1")
        return ok(str(await audiosocket(self.pbx, self.chan, data)))

    async def _app_set(self, data: str) -> Reply:
        name, _, value = data.partition("=")
        self.pbx.set_variable(self.chan, name, value)
        return ok("0")

    async def _app_noop(self, data: str) -> Reply:
        return ok("0")

    async def _app_answer(self, data: str) -> Reply:
        return await self._cmd_answer([])

    async def _app_hangup(self, data: str) -> Reply:
        self.chan.hangup_cause = int(data) if data.isdigit() else 16
        return ok("-1")


VOICEMAIL_MAX_SECONDS = 120.0


async def run_fastagi(pbx: SimPbx, chan: Channel, app_data: str) -> AgiStatus:
    """Run ``AGI(<url>[,arg...])`` on ``chan``: connect, send the environment, serve commands."""
    url, *args = app_data.split(",")
    parts = urlsplit(url)
    if parts.scheme != "agi" or not parts.hostname:
        return AgiStatus.FAILURE
    try:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or DEFAULT_AGI_PORT)
    except OSError:
        return AgiStatus.FAILURE
    chan.agi_active = True
    session = AgiSession(pbx, chan, reader, writer)
    try:
        writer.write(build_environment(chan, url, args))
        await writer.drain()
        return await session.run()
    except (ConnectionError, OSError):
        return AgiStatus.HANGUP if chan.dead else AgiStatus.FAILURE
    finally:
        chan.agi_active = False
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
