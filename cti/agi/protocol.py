"""FastAGI wire protocol, sans I/O: bytes from Asterisk in, typed messages out; commands out as bytes.

What Asterisk sends on a FastAGI connection (see ``tests/fixtures/traces/README.md``, scenario 09):

* first the environment: ``agi_key: value`` lines ended by LF, then an empty line. Values may be
  empty (``agi_accountcode: `` with the space); ``agi_arg_1`` .. ``agi_arg_N`` are the script
  arguments, empty ones included; ``agi_network_script`` is the path plus query string
  (``edge?case=901&lang=en&empty=``, no leading ``/``);
* then one reply per command: ``200 result=N``, optionally followed by `` (data)`` and/or
  ``key=value`` pairs (``endpos=11234``); error replies ``510 ...``, ``511 ...``; the multi-line
  ``520-...`` usage block ended by the line ``520 End of proper usage.``;
* an unsolicited ``HANGUP`` line once the channel hangs up, between two replies.

Bytes that are not UTF-8 (a Latin-1 caller name from a real trunk) are read as Windows-1252
(:mod:`cti.wire_text`), so every string is valid Unicode; the environment keeps the exact bytes of such
values too (:meth:`AgiEnvironment.raw`).

Errors: :class:`AgiProtocolError` for a line or environment block that is not FastAGI (raised once,
in stream order, by :meth:`AgiParser.next_message`; parsing goes on with the next line) and for more
than ``max_block`` bytes without a line end. :func:`format_command` raises :class:`AgiInjectionError`
before producing a byte when any part holds CR, LF or NUL.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from cti.agi.errors import (
    AgiCommandError,
    AgiDeadChannel,
    AgiInjectionError,
    AgiInvalidCommand,
    AgiProtocolError,
    AgiUsageError,
)
from cti.wire_text import LEGACY_ERRORS, is_utf8

ENCODING = "utf-8"
DEFAULT_MAX_BLOCK = 64 * 1024
HANGUP_LINE = "HANGUP"
ENV_PREFIX = "agi_"
ARG_PREFIX = "agi_arg_"
_FORBIDDEN = ("\r", "\n", "\x00")
_NEEDS_QUOTES = frozenset(' \t"\\')


@dataclass(frozen=True, slots=True)
class AgiEnvironment:
    """The ``agi_*`` block Asterisk sends when a FastAGI connection opens.

    ``variables`` maps full keys (``agi_channel``) to values in received order; ``args`` are the
    script arguments in order (empty ones kept); ``script_path`` and ``query`` come from
    ``agi_network_script`` (``ivr?lang=en`` -> ``"ivr"``, ``{"lang": "en"}``; the first of a
    repeated query key wins; percent escapes are decoded).
    """

    variables: Mapping[str, str]
    args: tuple[str, ...] = ()
    script_path: str = ""
    query: Mapping[str, str] = field(default_factory=dict)
    # The exact bytes of the values that were not UTF-8, by full key.
    undecoded: Mapping[str, bytes] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        """The value of ``agi_<name>`` (``env.get("channel")``), or ``default`` when absent."""
        return self.variables.get(ENV_PREFIX + name, default)

    def raw(self, name: str) -> bytes:
        """The exact bytes Asterisk sent for ``agi_<name>`` (empty when absent)."""
        key = ENV_PREFIX + name
        exact = self.undecoded.get(key)
        return exact if exact is not None else self.variables.get(key, "").encode(ENCODING)

    @property
    def channel(self) -> str:
        """The channel running the script, e.g. ``Local/5551000@incoming-00000000;2``."""
        return self.get("channel")

    @property
    def uniqueid(self) -> str:
        return self.get("uniqueid")

    @property
    def caller_number(self) -> str | None:
        """The caller ID number (ANI), None when Asterisk reports it as empty or ``unknown``."""
        return _known(self.get("callerid"))

    @property
    def caller_name(self) -> str | None:
        """The caller ID name, None when empty or ``unknown``."""
        return _known(self.get("calleridname"))

    @property
    def dnid(self) -> str | None:
        """The dialled number, None when empty or ``unknown``."""
        return _known(self.get("dnid"))

    @property
    def context(self) -> str:
        return self.get("context")

    @property
    def extension(self) -> str:
        return self.get("extension")

    @property
    def language(self) -> str:
        return self.get("language")

    @property
    def accountcode(self) -> str:
        return self.get("accountcode")

    @property
    def request(self) -> str:
        """The full AGI URL, e.g. ``agi://127.0.0.1:4573/ivr?lang=en``."""
        return self.get("request")


def _known(value: str) -> str | None:
    return None if value in ("", "unknown") else value


@dataclass(frozen=True, slots=True)
class AgiResult:
    """A ``200`` reply: ``200 result=<result>[ (<data>)][ key=value ...]``.

    ``result`` is kept as text because ``GET DATA`` returns digit strings (``00123``, ``12*``);
    ``extra`` holds the trailing ``key=value`` pairs, ``endpos`` is ``extra["endpos"]`` as an int.
    """

    result: str
    data: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    code: int = 200

    @property
    def result_int(self) -> int:
        """``result`` as an integer; :class:`AgiProtocolError` if it is not one."""
        try:
            return int(self.result)
        except ValueError:
            raise AgiProtocolError(f"result is not an integer: {self.result!r}") from None

    @property
    def endpos(self) -> int | None:
        """The sample offset reached by a playback command, None when not reported."""
        raw = self.extra.get("endpos")
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            raise AgiProtocolError(f"endpos is not an integer: {raw!r}") from None


@dataclass(frozen=True, slots=True)
class AgiErrorReply:
    """A non-200 reply (510, 511, 520, ...); ``usage`` is the text of a multi-line 520 block."""

    code: int
    message: str
    usage: str = ""

    def to_exception(self) -> AgiCommandError:
        """The typed exception for this reply."""
        kind = _ERROR_TYPES.get(self.code, AgiCommandError)
        return kind(self.code, self.message, self.usage)


_ERROR_TYPES: dict[int, type[AgiCommandError]] = {
    510: AgiInvalidCommand,
    511: AgiDeadChannel,
    520: AgiUsageError,
}


@dataclass(frozen=True, slots=True)
class AgiHangupNotice:
    """The unsolicited ``HANGUP`` line: the channel has hung up."""


AgiMessage = AgiEnvironment | AgiResult | AgiErrorReply | AgiHangupNotice


def parse_environment(lines: list[str], undecoded_lines: Mapping[int, bytes] | None = None) -> AgiEnvironment:
    """Build the environment from its lines (without the closing empty line); ``undecoded_lines`` holds
    the exact bytes of the lines, by index, that were not UTF-8."""
    if not lines:
        raise AgiProtocolError("empty AGI environment")
    variables: dict[str, str] = {}
    undecoded: dict[str, bytes] = {}
    numbered: dict[int, str] = {}
    for position, line in enumerate(lines):
        key, sep, value = line.partition(":")
        if not sep or not key.startswith(ENV_PREFIX) or " " in key:
            raise AgiProtocolError(f"not an agi_ environment line: {line[:80]!r}")
        value = value.removeprefix(" ")
        variables[key] = value
        if undecoded_lines and position in undecoded_lines:
            exact = undecoded_lines[position].partition(b":")[2]
            undecoded[key] = exact[1:] if exact.startswith(b" ") else exact
        if key.startswith(ARG_PREFIX):
            index = key[len(ARG_PREFIX) :]
            if not index.isdigit() or int(index) < 1:
                raise AgiProtocolError(f"bad argument key: {key!r}")
            numbered[int(index)] = value
    if sorted(numbered) != list(range(1, len(numbered) + 1)):
        raise AgiProtocolError(f"AGI arguments are not numbered 1..N: {sorted(numbered)}")
    script = variables.get(ENV_PREFIX + "network_script", "")
    path, _, query_string = script.partition("?")
    query: dict[str, str] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        query.setdefault(name, value)
    return AgiEnvironment(
        variables=variables,
        args=tuple(numbered[i] for i in range(1, len(numbered) + 1)),
        script_path=path.lstrip("/"),
        query=query,
        undecoded=undecoded,
    )


def parse_reply_line(line: str) -> AgiResult | AgiErrorReply | AgiHangupNotice:
    """Parse one complete single-line reply (without its LF)."""
    if line == HANGUP_LINE:
        return AgiHangupNotice()
    code = _reply_code(line)
    if line[3] != " ":
        raise AgiProtocolError(f"continuation line outside a multi-line reply: {line[:80]!r}")
    if code != 200:
        return AgiErrorReply(code, line[4:])
    return _parse_result(line)


def _reply_code(line: str) -> int:
    if len(line) < 4 or not line[:3].isdigit() or not line[:3].isascii() or line[3] not in " -":
        raise AgiProtocolError(f"not an AGI reply: {line[:80]!r}")
    code = int(line[:3])
    if not 100 <= code <= 599:
        raise AgiProtocolError(f"reply code out of range: {line[:80]!r}")
    return code


def _parse_result(line: str) -> AgiResult:
    body = line[4:]
    if not body.startswith("result="):
        raise AgiProtocolError(f"200 reply without result=: {line[:80]!r}")
    # GET DATA on timeout with no digit sends "200 result= (timeout)": the result may be empty.
    result, sep, rest = body[len("result=") :].partition(" ")
    data: str | None = None
    if sep and rest.startswith("("):
        # Data is free text (a variable's value may hold parentheses): it runs to the last ')'.
        close = rest.rfind(")")
        if close < 0:
            raise AgiProtocolError(f"unclosed data in reply: {line[:80]!r}")
        data = rest[1:close]
        rest = rest[close + 1 :]
        if rest and not rest.startswith(" "):
            raise AgiProtocolError(f"garbage after data in reply: {line[:80]!r}")
        rest = rest[1:]
    elif sep and not rest:
        raise AgiProtocolError(f"trailing space in reply: {line[:80]!r}")
    extra: dict[str, str] = {}
    for item in rest.split(" ") if rest else ():
        key, eq, value = item.partition("=")
        if not eq or not key.isidentifier():
            raise AgiProtocolError(f"bad key=value in reply: {line[:80]!r}")
        extra[key] = value
    return AgiResult(result=result, data=data, extra=extra)


class AgiParser:
    """Incremental parser of what Asterisk sends on a FastAGI connection.

    Feed bytes with :meth:`receive_data`; pull :data:`AgiMessage` objects with :meth:`next_message`
    (the first is always the :class:`AgiEnvironment`). A bad line or environment block raises
    :class:`AgiProtocolError` once, in stream order, and parsing continues after it.
    """

    def __init__(self, *, max_block: int = DEFAULT_MAX_BLOCK) -> None:
        self._max = max_block
        self._rest = bytearray()
        self._skipping = False  # discarding an oversized line up to its LF
        self._env_lines: list[str] | None = []  # None once the environment is complete
        self._env_undecoded: dict[int, bytes] = {}  # exact bytes of environment lines that were not UTF-8
        self._env_size = 0
        self._multi: list[str] = []  # lines of an open "520-" block
        self._multi_size = 0
        self._out: deque[AgiMessage | AgiProtocolError] = deque()

    def receive_data(self, data: bytes) -> None:
        """Take bytes from the socket, any split."""
        rest = self._rest
        searched_from = len(rest)
        rest += data
        start = 0
        while True:
            end = rest.find(b"\n", max(start, searched_from))
            if end < 0:
                break
            raw = bytes(rest[start:end])
            start = end + 1
            if self._skipping:
                self._skipping = False
                continue
            if len(raw) > self._max:
                self._fail(f"line longer than {self._max} bytes")
                continue
            raw = raw.removesuffix(b"\r")
            line = raw.decode(ENCODING, LEGACY_ERRORS)
            if self._env_lines is not None and not raw.isascii() and not is_utf8(raw):
                self._env_undecoded[len(self._env_lines)] = raw
            self._line(line)
        del rest[:start]
        if len(rest) > self._max:
            rest.clear()
            if not self._skipping:
                self._skipping = True
                self._fail(f"no line end within {self._max} bytes")

    def next_message(self) -> AgiMessage | None:
        """The next message, or None when more bytes are needed; raises queued protocol errors."""
        if not self._out:
            return None
        item = self._out.popleft()
        if isinstance(item, AgiProtocolError):
            raise item
        return item

    def messages(self) -> Iterator[AgiMessage]:
        """Every message available now."""
        while (message := self.next_message()) is not None:
            yield message

    def feed(self, data: bytes) -> list[AgiMessage]:
        """:meth:`receive_data` then every available message."""
        self.receive_data(data)
        return list(self.messages())

    def _fail(self, reason: str) -> None:
        # An error inside the environment or a usage block spoils that whole unit.
        if self._env_lines is not None:
            self._env_lines = None
        self._multi = []
        self._out.append(AgiProtocolError(reason))

    def _line(self, line: str) -> None:
        if self._env_lines is not None:
            self._environment_line(line)
        elif self._multi:
            self._multi_line(line)
        elif line[3:4] == "-":
            try:
                if _reply_code(line) == 200:
                    raise AgiProtocolError(f"multi-line 200 reply: {line[:80]!r}")
            except AgiProtocolError as exc:
                self._out.append(exc)
                return
            self._multi = [line]
            self._multi_size = len(line)
        else:
            try:
                self._out.append(parse_reply_line(line))
            except AgiProtocolError as exc:
                self._out.append(exc)

    def _environment_line(self, line: str) -> None:
        assert self._env_lines is not None
        if line:
            self._env_size += len(line) + 1
            if self._env_size > self._max:
                self._fail(f"AGI environment larger than {self._max} bytes")
            else:
                self._env_lines.append(line)
            return
        lines, self._env_lines = self._env_lines, None
        undecoded, self._env_undecoded = self._env_undecoded, {}
        try:
            self._out.append(parse_environment(lines, undecoded))
        except AgiProtocolError as exc:
            self._out.append(exc)

    def _multi_line(self, line: str) -> None:
        first = self._multi[0]
        if line.startswith(first[:3] + " "):
            usage = "\n".join(self._multi[1:])
            self._multi = []
            self._out.append(AgiErrorReply(int(first[:3]), first[4:], usage))
            return
        self._multi_size += len(line) + 1
        if self._multi_size > self._max:
            self._fail(f"multi-line reply larger than {self._max} bytes")
        else:
            self._multi.append(line)


def check_argument(value: str) -> str:
    """``value`` unchanged, or :class:`AgiInjectionError` if it holds CR, LF, NUL or a lone surrogate."""
    for char in _FORBIDDEN:
        if char in value:
            raise AgiInjectionError(f"{char!r} not allowed in an AGI command: {value[:80]!r}")
    if not value.isascii():
        try:
            value.encode(ENCODING)
        except UnicodeEncodeError:
            raise AgiInjectionError(f"not valid Unicode text: {value[:80]!r}") from None
    return value


def quote_argument(value: str) -> str:
    """``value`` as one argument of Asterisk's command tokenizer.

    Asterisk splits on blanks, toggles quoting on ``"`` and takes the character after ``\\``
    literally; an argument that is empty or holds any of those is quoted and escaped.
    """
    check_argument(value)
    if value and _NEEDS_QUOTES.isdisjoint(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_command(command: str, *args: str | int) -> bytes:
    """The line for ``command`` (words such as ``"STREAM FILE"``) and its quoted arguments.

    Raises :class:`AgiInjectionError` for CR, LF or NUL anywhere, and ``ValueError`` when
    ``command`` is not one or more words of ASCII letters; nothing is produced in either case.
    """
    check_argument(command)
    words = command.split(" ")
    if not all(word.isascii() and word.isalpha() for word in words):
        raise ValueError(f"not an AGI command name: {command!r}")
    parts = [command]
    parts.extend(str(arg) if isinstance(arg, int) else quote_argument(arg) for arg in args)
    return (" ".join(parts) + "\n").encode(ENCODING)
