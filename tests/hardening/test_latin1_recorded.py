"""Latin-1 caller IDs as a real Asterisk sends them (``tests/fixtures/recorded/12-latin1-callerid``).

Past ``cti/`` every string is valid Unicode: the client's AMI parser and the FastAGI parser read the bytes
that are not UTF-8 as Windows-1252, while the wire-exact parser still gives the recorded bytes back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cti.agi.protocol import AgiEnvironment, AgiParser
from cti.ami.capture import read_annotated, read_jsonl, stream
from cti.ami.channels import caller_name
from cti.ami.events import ChannelAppeared
from cti.ami.protocol import AmiParser
from cti.ami.translate import translate

RECORDED = Path(__file__).parent.parent / "fixtures" / "recorded"
AMI_TRACE = RECORDED / "12-latin1-callerid.ami.txt"
AGI_TRACE = RECORDED / "12-latin1-callerid.agi.txt"
NAME_LATIN1 = b"Ren\xe9e \xc5str\xf6m"
NUMBER_LATIN1 = b"3125550\xe9179"


def _ami_stream() -> bytes:
    return stream(read_annotated(AMI_TRACE.read_bytes()), direction="in")


def test_the_recording_holds_latin1_bytes_that_are_not_utf8() -> None:
    data = _ami_stream()
    assert NAME_LATIN1 in data and NUMBER_LATIN1 in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    records = read_jsonl(RECORDED / "12-latin1-callerid.ami.jsonl")
    assert stream(records, direction="in") == data  # the .jsonl's "enc" keeps the exact bytes too


def test_the_wire_exact_parser_gives_every_recorded_message_back_byte_for_byte() -> None:
    records = [r for r in read_jsonl(RECORDED / "12-latin1-callerid.ami.jsonl") if r.direction == "in"]
    for record in records:
        (message,) = AmiParser(expect_banner=record.raw.startswith(b"Asterisk Call Manager")).feed(record.raw)
        assert message.to_bytes() == record.raw


def test_the_clients_parser_reads_latin1_as_text_and_the_events_are_valid_unicode() -> None:
    messages = AmiParser(readable=True).feed(_ami_stream())
    for message in messages:
        for key, value in message.headers:
            (key + value).encode("utf-8")  # no lone surrogate
    names = {m.get("CallerIDName") for m in messages if m.name == "NewCallerid"}
    assert "Renée Åström" in names
    # Case 1205: Asterisk escapes the apostrophe in channel snapshots; the caller's text comes back.
    events = [translate(m, at=1.0) for m in messages]
    for event in events:
        if event is not None:
            event.to_json().encode("utf-8")
    appeared = [m for m in messages if m.name == "NewCallerid" and "O\\'" in (m.get("CallerIDName") or "")]
    assert appeared, "the recording has the escaped apostrophe of case 1205"
    assert caller_name(appeared[0].get("CallerIDName")) == "Renée O'Åström"
    assert any(isinstance(e, ChannelAppeared) for e in events)


def _environments() -> dict[str, AgiEnvironment]:
    records = read_annotated(AGI_TRACE.read_bytes())
    found: dict[str, AgiEnvironment] = {}
    for conn in sorted({r.conn for r in records}):
        (env, *_) = AgiParser().feed(stream(records, direction="in", conn=conn))
        assert isinstance(env, AgiEnvironment)
        found[env.extension] = env
    return found


def test_fastagi_reads_the_latin1_caller_as_text_and_keeps_the_exact_bytes() -> None:
    envs = _environments()
    latin1, utf8, dialplan = envs["1201"], envs["1203"], envs["1202"]
    assert (latin1.caller_name, latin1.caller_number) == ("Renée Åström", "3125550é179")
    assert (latin1.raw("calleridname"), latin1.raw("callerid")) == (NAME_LATIN1, NUMBER_LATIN1)
    # The same name sent as UTF-8 reads the same, and its exact bytes are the UTF-8 ones.
    assert utf8.caller_name == "Renée Åström" and utf8.raw("calleridname") == "Renée Åström".encode()
    assert dialplan.args[:2] == ("Renée Åström", "3125550é179")
    for env in envs.values():
        json.dumps(dict(env.variables), ensure_ascii=False).encode("utf-8")
