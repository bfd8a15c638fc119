"""Asterisk Manager Interface wire protocol, sans I/O: bytes in, :class:`AmiMessage` out.

What Asterisk actually sends (see ``tests/fixtures/traces/README.md``):

* a banner line ``Asterisk Call Manager/13.0.0\\r\\n``, the only message not ended by a blank line;
* then blocks of ``Key: Value\\r\\n`` lines ended by an empty line. Keys repeat (``Variable:``,
  a ``UserEvent`` carrying an injected second ``Event:``); the *first* occurrence is the one that
  counts, as in Asterisk's own ``astman_get_header``;
* values may hold a raw TAB or a lone CR (only CR LF ends a line), any UTF-8, and bytes that are not
  UTF-8 at all (Latin-1 caller names from real trunks). By default such bytes are kept exactly (as lone
  surrogates, so :meth:`AmiMessage.to_bytes` gives the wire back); ``AmiParser(readable=True)``, which
  the client uses, reads them as Windows-1252 instead (:mod:`cti.wire_text`), so no lone surrogate
  reaches the rest of the product;
* the old ``Response: Follows`` form carries bare output lines ended by ``--END COMMAND--``.

Errors: :class:`AmiParseError` for a block that is not AMI (it is consumed, parsing goes on with
the next block), :class:`AmiOversizeError` when more than ``max_message_size`` bytes arrive
without a terminator (the partial block is discarded up to the next terminator). Both derive
from :class:`AmiProtocolError`. On the sending side :class:`AmiInjectionError` refuses any
CR or LF in a key or value before a single byte is produced.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from cti.wire_text import LEGACY_ERRORS

ENCODING = "utf-8"
# Undecodable bytes survive a decode/encode round trip instead of raising.
ERRORS = "surrogateescape"
TERMINATOR = b"\r\n\r\n"
DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024
MAX_BANNER_SIZE = 1024
END_COMMAND = "--END COMMAND--"

# Keys an action may legitimately repeat; any other duplicate is refused when encoding.
REPEATABLE_ACTION_KEYS = frozenset({"variable"})


class AmiProtocolError(Exception):
    """Base of every error raised for bytes that are not valid AMI."""


class AmiParseError(AmiProtocolError):
    """A complete block could not be read as an AMI message; the block was skipped."""

    def __init__(self, reason: str, block: bytes) -> None:
        super().__init__(f"{reason}: {block[:80]!r}")
        self.reason = reason
        self.block = block


class AmiOversizeError(AmiProtocolError):
    """More than the allowed number of bytes arrived without a message terminator."""


class AmiInjectionError(ValueError):
    """A key or value to be sent contains CR or LF (or a key contains ':'); nothing was sent."""


class MessageKind(StrEnum):
    BANNER = "banner"
    RESPONSE = "response"
    EVENT = "event"
    ACTION = "action"


@dataclass(frozen=True, slots=True)
class AmiMessage:
    """One AMI message. ``headers`` keeps every header, repeated ones included, in wire order.

    ``name`` is the event name, the response status (``Success``/``Error``/``Follows``/...),
    the action name, or the banner text.
    """

    kind: MessageKind
    name: str
    headers: tuple[tuple[str, str], ...]

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of ``key`` (case-insensitive), as Asterisk itself reads headers."""
        for k, v in self.headers:
            if k == key:
                return v
        lower = key.lower()
        for k, v in self.headers:
            if k.lower() == lower:
                return v
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def get_all(self, key: str) -> list[str]:
        """Every value of ``key`` in order (``Variable:``, ``Output:``)."""
        lower = key.lower()
        return [v for k, v in self.headers if k.lower() == lower]

    def first_values(self) -> dict[str, str]:
        """A dict of the first value of every key (later duplicates ignored)."""
        out: dict[str, str] = {}
        for k, v in self.headers:
            out.setdefault(k, v)
        return out

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def is_list_start(self) -> bool:
        return self.kind is MessageKind.RESPONSE and (self.get("EventList") or "").lower() == "start"

    @property
    def is_list_complete(self) -> bool:
        return self.kind is MessageKind.EVENT and (self.get("EventList") or "").lower() == "complete"

    def to_bytes(self) -> bytes:
        """The message as Asterisk would write it (no injection check: this is the PBX side)."""
        if self.kind is MessageKind.BANNER:
            return self.name.encode(ENCODING, ERRORS) + b"\r\n"
        return format_headers(self.headers, check=False)


def _parse_block(block: bytes, errors: str = ERRORS) -> AmiMessage:
    """Parse one block (without its terminator) of a PBX-to-client stream."""
    lines = block.decode(ENCODING, errors).split("\r\n")
    if lines[0] == _FOLLOWS_LINE:
        headers = _follows_headers(lines)
    else:
        headers = []
        append = headers.append
        for line in lines:
            key, sep, value = line.partition(": ")
            if not sep:
                key, sep, value = line.partition(":")
            if sep and key:
                append((key, value))
            elif headers:
                # A bare line inside a message: Asterisk writes these when dialplan data with CR/LF
                # reaches an unescaped field. Keep it (key "") so nothing is lost.
                append(("", line))
            else:
                raise AmiParseError("first line has no key", block)
    if not headers:
        raise AmiParseError("empty message", block)
    first_key, first_value = headers[0]
    if first_key == "Event":
        return AmiMessage(MessageKind.EVENT, first_value, tuple(headers))
    if first_key == "Response":
        return AmiMessage(MessageKind.RESPONSE, first_value, tuple(headers))
    # Uncommon order: find the kind-defining header anywhere; Event wins (OriginateResponse has both).
    for wanted, kind in (("event", MessageKind.EVENT), ("response", MessageKind.RESPONSE)):
        for k, v in headers:
            if k.lower() == wanted:
                return AmiMessage(kind, v, tuple(headers))
    raise AmiParseError("message has neither Event nor Response", block)


_FOLLOWS_LINE = "Response: Follows"


def _follows_headers(lines: list[str]) -> list[tuple[str, str]]:
    """Headers of an old ``Response: Follows`` message: its ``Key: value`` lines, then every CLI
    output line (LF-separated, END marker dropped) as an ``Output`` header."""
    headers: list[tuple[str, str]] = []
    for index, line in enumerate(lines):
        key, sep, value = line.partition(": ")
        if not sep or not key or " " in key:
            for body_line in lines[index:]:
                headers.extend(("Output", out) for out in body_line.split("\n") if out and out != END_COMMAND)
            break
        headers.append((key, value))
    return headers


class AmiParser:
    """Incremental parser of what Asterisk sends to an AMI client.

    Feed bytes with :meth:`receive_data`; pull messages with :meth:`next_message` (or iterate
    :meth:`messages`). Framing splits every complete block as soon as its bytes arrive and parsing
    happens per pull, so a bad block raises once, is gone, and the blocks after it are intact.
    """

    def __init__(
        self,
        *,
        expect_banner: bool = True,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        readable: bool = False,
    ) -> None:
        # Wire-exact text by default; readable text (never a lone surrogate) for the product.
        self._errors = LEGACY_ERRORS if readable else ERRORS
        self._rest = bytearray()  # bytes of the message still incomplete
        self._blocks: deque[bytes | AmiMessage | AmiProtocolError] = deque()
        self._expect_banner = expect_banner
        self._max = max_message_size
        self._skipping = False  # discarding an oversized block up to its terminator

    def receive_data(self, data: bytes) -> None:
        rest = self._rest
        searched_from = max(0, len(rest) - 3)  # a terminator may straddle two reads
        rest += data
        if self._expect_banner:
            end = rest.find(b"\r\n")
            if end < 0:
                if len(rest) > MAX_BANNER_SIZE:
                    self._expect_banner = False
                    rest.clear()
                    self._blocks.append(AmiOversizeError(f"banner line longer than {MAX_BANNER_SIZE} bytes"))
                return
            self._expect_banner = False
            banner = bytes(rest[:end]).decode(ENCODING, self._errors)
            self._blocks.append(AmiMessage(MessageKind.BANNER, banner, ()))
            del rest[: end + 2]
            searched_from = 0
        last = rest.rfind(TERMINATOR, searched_from)
        if last < 0:
            if len(rest) > self._max:
                del rest[:-3]
                if not self._skipping:
                    self._skipping = True
                    self._blocks.append(AmiOversizeError(f"no message terminator within {self._max} bytes"))
            return
        blocks = bytes(rest[:last]).split(TERMINATOR)
        del rest[: last + 4]
        if self._skipping:
            self._skipping = False
            del blocks[0]
        self._blocks.extend(blocks)

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as messages."""
        return len(self._rest) + sum(len(b) for b in self._blocks if isinstance(b, bytes))

    def next_message(self) -> AmiMessage | None:
        """The next complete message, or None when more bytes are needed."""
        blocks = self._blocks
        while blocks:
            block = blocks.popleft()
            if isinstance(block, AmiMessage):
                return block
            if isinstance(block, AmiProtocolError):
                raise block
            if len(block) > self._max:
                raise AmiOversizeError(f"message of {len(block)} bytes exceeds {self._max}")
            if block[:1] in _BLANK:
                block = block.lstrip(b"\r\n")
                if not block:
                    continue  # stray blank lines between messages
            return _parse_block(block, self._errors)
        return None

    def messages(self) -> Iterator[AmiMessage]:
        """Yield every complete message buffered so far (errors propagate)."""
        while (msg := self.next_message()) is not None:
            yield msg

    def feed(self, data: bytes) -> list[AmiMessage]:
        """Convenience: ``receive_data`` then collect messages; raises on the first bad block."""
        self.receive_data(data)
        return list(self.messages())


_BLANK = (b"\r", b"\n")


class AmiActionParser:
    """Incremental parser of what an AMI client sends to Asterisk (used by the PBX simulator).

    Mirrors Asterisk's reader: a line ends at CR LF *or* a bare LF, a lone CR stays in the value,
    an empty line ends the action, and the first of repeated headers is the one that counts.
    """

    def __init__(self, *, max_message_size: int = 64 * 1024) -> None:
        self._buffer = bytearray()
        self._headers: list[tuple[str, str]] = []
        self._size = 0
        self._max = max_message_size

    def receive_data(self, data: bytes) -> None:
        self._buffer += data

    def next_message(self) -> AmiMessage | None:
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > self._max:
                    self._buffer.clear()
                    self._headers = []
                    raise AmiOversizeError(f"action line longer than {self._max} bytes")
                return None
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if not raw:
                if not self._headers:
                    continue
                headers, self._headers, self._size = tuple(self._headers), [], 0
                name = ""
                for k, v in headers:
                    if k.lower() == "action":
                        name = v
                        break
                return AmiMessage(MessageKind.ACTION, name, headers)
            self._size += len(raw)
            if self._size > self._max:
                self._headers, self._size = [], 0
                raise AmiOversizeError(f"action larger than {self._max} bytes")
            line = raw.decode(ENCODING, ERRORS)
            key, sep, value = line.partition(":")
            if not sep:
                continue  # Asterisk ignores a line without a colon
            self._headers.append((key.strip(), value[1:] if value.startswith(" ") else value))

    def messages(self) -> Iterator[AmiMessage]:
        while (msg := self.next_message()) is not None:
            yield msg

    def feed(self, data: bytes) -> list[AmiMessage]:
        self.receive_data(data)
        return list(self.messages())


def check_value(value: str, *, what: str = "value") -> str:
    """Return ``value`` unchanged, or raise :class:`AmiInjectionError` if it holds CR or LF."""
    if "\r" in value or "\n" in value:
        raise AmiInjectionError(f"{what} contains CR or LF: {value[:60]!r}")
    return value


def format_headers(headers: Iterable[tuple[str, str]], *, check: bool = True) -> bytes:
    """Serialise headers as one AMI message (terminated by a blank line).

    With ``check`` (every client-side write) a CR/LF in a key or value raises
    :class:`AmiInjectionError` before anything is produced.
    """
    parts: list[str] = []
    for key, value in headers:
        if check:
            check_value(key, what="key")
            check_value(value, what=f"value of {key!r}")
            if ":" in key or not key:
                raise AmiInjectionError(f"invalid header key {key!r}")
        parts.append(f"{key}: {value}\r\n" if key else f"{value}\r\n")
    parts.append("\r\n")
    return "".join(parts).encode(ENCODING, ERRORS)


HeaderInput = Mapping[str, str | int | bool | Iterable[str]] | Iterable[tuple[str, str]]


def normalise_headers(fields: HeaderInput) -> list[tuple[str, str]]:
    """Turn a mapping or pair list into header pairs; list values become repeated headers."""
    pairs: list[tuple[str, str]] = []
    items = fields.items() if isinstance(fields, Mapping) else fields
    for key, value in items:
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, str | int):
            pairs.append((key, str(value)))
        else:
            pairs.extend((key, str(v)) for v in value)
    return pairs


def encode_action(action: str, fields: HeaderInput = (), *, action_id: str | None = None) -> bytes:
    """Bytes of one AMI action, refusing CR/LF anywhere and duplicate keys (except ``Variable``).

    ``Action`` comes first and ``ActionID`` second, each exactly once, so no value can override them.
    """
    pairs = normalise_headers(fields)
    seen: set[str] = {"action"}
    headers: list[tuple[str, str]] = [("Action", action)]
    if action_id is not None:
        headers.append(("ActionID", action_id))
        seen.add("actionid")
    for key, value in pairs:
        lower = key.lower()
        if lower in seen and lower not in REPEATABLE_ACTION_KEYS:
            raise AmiInjectionError(f"header {key!r} given twice")
        seen.add(lower)
        headers.append((key, value))
    return format_headers(headers, check=True)
