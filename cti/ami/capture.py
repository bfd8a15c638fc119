"""Reading AMI captures: annotated trace files (``#@ +<t> <dir> conn=<n> bytes=<len>`` records, as
recorded by the harness) or plain raw AMI bytes, decoded into messages per connection and direction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cti.ami.protocol import AmiActionParser, AmiMessage, AmiParser, AmiProtocolError

_RECORD = re.compile(rb"#@ \+([0-9.]+) (in|out) conn=(\d+) bytes=(\d+)( nonl)?\n")


class CaptureFormatError(ValueError):
    """An annotated capture is truncated or has a malformed record header."""


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """One recorded write: ``direction`` is ``in`` (from Asterisk) or ``out`` (to Asterisk)."""

    t: float
    direction: str
    conn: int
    raw: bytes


def is_annotated(data: bytes) -> bool:
    return data.startswith((b"#@ ", b"#! "))


def read_annotated(data: bytes) -> list[CaptureRecord]:
    """Parse the ``.txt`` trace format: record headers followed by exactly ``len`` raw bytes."""
    records: list[CaptureRecord] = []
    i = 0
    while i < len(data):
        if data.startswith(b"#!", i):
            nl = data.find(b"\n", i)
            i = len(data) if nl < 0 else nl + 1
            continue
        m = _RECORD.match(data, i)
        if m is None:
            raise CaptureFormatError(f"bad record header at byte {i}: {data[i:i + 60]!r}")
        size = int(m.group(4))
        start = m.end()
        raw = data[start : start + size]
        if len(raw) != size:
            raise CaptureFormatError(f"record at byte {i} is truncated ({len(raw)} of {size} bytes)")
        i = start + size + (1 if m.group(5) else 0)
        records.append(CaptureRecord(float(m.group(1)), m.group(2).decode(), int(m.group(3)), raw))
    return records


def read_jsonl(path: str | Path) -> list[CaptureRecord]:
    """Parse the ``.jsonl`` trace format (meta lines skipped)."""
    records = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["dir"] in ("in", "out"):
                raw = rec["raw"].encode(rec.get("enc", "utf-8"))
                records.append(CaptureRecord(rec["t"], rec["dir"], rec["conn"], raw))
    return records


def stream(records: list[CaptureRecord], *, direction: str = "in", conn: int | None = None) -> bytes:
    """The exact TCP byte stream of one direction (optionally of one connection)."""
    return b"".join(r.raw for r in records if r.direction == direction and (conn is None or r.conn == conn))


def decode_capture(data: bytes) -> Iterator[AmiMessage | AmiProtocolError]:
    """Messages of a capture in recorded order; unreadable blocks are yielded as their error.

    Annotated captures keep one parser per connection and direction (PBX-side bytes with the
    client parser, client-side bytes with Asterisk's action reader); raw bytes are read as what
    Asterisk sends, banner first if there is one.
    """
    if not is_annotated(data):
        raw_parser = AmiParser(expect_banner=data.startswith(b"Asterisk Call Manager"))
        raw_parser.receive_data(data)
        yield from _drain(raw_parser)
        return
    parsers: dict[tuple[int, str], AmiParser | AmiActionParser] = {}
    for record in read_annotated(data):
        key = (record.conn, record.direction)
        parser = parsers.get(key)
        if parser is None:
            parser = AmiParser() if record.direction == "in" else AmiActionParser()
            parsers[key] = parser
        parser.receive_data(record.raw)
        yield from _drain(parser)


def _drain(parser: AmiParser | AmiActionParser) -> Iterator[AmiMessage | AmiProtocolError]:
    while True:
        try:
            message = parser.next_message()
        except AmiProtocolError as exc:
            yield exc
            continue
        if message is None:
            return
        yield message
