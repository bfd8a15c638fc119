"""The AMI wire protocol against the recorded real Asterisk traffic, and its failure modes."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti.ami.capture import read_annotated, read_jsonl, stream
from cti.ami.protocol import (
    AmiActionParser,
    AmiInjectionError,
    AmiMessage,
    AmiOversizeError,
    AmiParseError,
    AmiParser,
    AmiProtocolError,
    MessageKind,
    encode_action,
)

TRACES = Path(__file__).parent / "fixtures" / "traces"
AMI_TRACES = sorted(TRACES.glob("*.ami.jsonl"))


def _in_records_by_conn(path: Path) -> dict[int, list[bytes]]:
    by_conn: dict[int, list[bytes]] = defaultdict(list)
    for rec in read_jsonl(path):
        if rec.direction == "in":
            by_conn[rec.conn].append(rec.raw)
    return by_conn


def test_every_trace_is_present() -> None:
    assert len(AMI_TRACES) == 10


@pytest.mark.parametrize("path", AMI_TRACES, ids=lambda p: p.name.split(".")[0])
def test_replay_gives_each_recorded_message_byte_for_byte(path: Path) -> None:
    for conn, raws in _in_records_by_conn(path).items():
        parser = AmiParser()
        messages = parser.feed(b"".join(raws))
        assert len(messages) == len(raws), f"conn {conn}"
        assert messages[0].kind is MessageKind.BANNER
        assert messages[0].name == "Asterisk Call Manager/13.0.0"
        for message, raw in zip(messages, raws, strict=True):
            assert message.to_bytes() == raw
        assert parser.buffered == 0


def test_txt_and_jsonl_captures_agree() -> None:
    for path in AMI_TRACES:
        txt = read_annotated(path.with_name(path.name.replace(".jsonl", ".txt")).read_bytes())
        assert [(r.direction, r.conn, r.raw) for r in txt] == [
            (r.direction, r.conn, r.raw) for r in read_jsonl(path)
        ]


def test_event_counts_match_the_recorded_summary() -> None:
    import json

    for path in AMI_TRACES:
        summary = json.loads(path.with_name(path.name.replace(".ami.jsonl", ".summary.json")).read_text())
        counts: dict[str, int] = defaultdict(int)
        for raws in _in_records_by_conn(path).values():
            for message in AmiParser().feed(b"".join(raws)):
                if message.kind is MessageKind.EVENT:
                    counts[message.name] += 1
        expected = summary["ami_event_counts"]
        assert dict(counts) == expected, path.name


def _burst_stream() -> bytes:
    return stream(read_jsonl(TRACES / "08-burst-50-originates.ami.jsonl"), conn=1)


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=600_000), max_size=40))
def test_any_split_of_the_stream_gives_the_same_messages(cuts: list[int]) -> None:
    data = STREAM_02
    reference = AmiParser().feed(data)
    points = sorted({c % (len(data) + 1) for c in cuts})
    parser = AmiParser()
    got: list[AmiMessage] = []
    previous = 0
    for point in [*points, len(data)]:
        got.extend(parser.feed(data[previous:point]))
        previous = point
    assert got == reference


STREAM_02 = stream(read_jsonl(TRACES / "02-inbound-ivr-queue.ami.jsonl"), conn=1)


def test_byte_by_byte_feeding_of_a_large_burst() -> None:
    data = _burst_stream()[:40_000]
    parser = AmiParser()
    got: list[AmiMessage] = []
    for i in range(len(data)):
        got.extend(parser.feed(data[i : i + 1]))
    assert got == AmiParser().feed(data)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2000), banner=st.booleans())
def test_random_bytes_raise_only_documented_errors(data: bytes, banner: bool) -> None:
    parser = AmiParser(expect_banner=banner, max_message_size=256)
    parser.receive_data(data)
    for _ in range(len(data) + 2):  # every call consumes input, so this bound always suffices
        try:
            if parser.next_message() is None:
                break
        except AmiProtocolError:
            continue
    else:
        pytest.fail("parser did not drain its input")


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=2000))
def test_action_reader_raises_only_documented_errors(data: bytes) -> None:
    parser = AmiActionParser(max_message_size=128)
    with contextlib.suppress(AmiProtocolError):
        parser.feed(data)


def test_first_event_header_wins_over_an_injected_one() -> None:
    raw = (
        b"Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: CTIAgentNote\r\n"
        b"Note: innocent\r\nEvent: Hangup\r\nChannel: Local/3002@hold-00000052;2\r\n\r\n"
    )
    (message,) = AmiParser(expect_banner=False).feed(raw)
    assert message.kind is MessageKind.EVENT
    assert message.name == "UserEvent"
    assert message["event"] == "UserEvent"
    assert message.get_all("Event") == ["UserEvent", "Hangup"]


def test_originate_response_is_an_event_despite_its_response_header() -> None:
    raw = b"Event: OriginateResponse\r\nPrivilege: call,all\r\nResponse: Failure\r\nReason: 5\r\n\r\n"
    (message,) = AmiParser(expect_banner=False).feed(raw)
    assert (message.kind, message.name) == (MessageKind.EVENT, "OriginateResponse")
    assert message["Response"] == "Failure"


def test_values_keep_utf8_tabs_lone_cr_and_empty_values() -> None:
    raw = "Event: Newchannel\r\nCallerIDName: Zoë 王\r\nNote: a\tb\rc\r\nAccountCode: \r\n\r\n".encode()
    (message,) = AmiParser(expect_banner=False).feed(raw)
    assert message["CallerIDName"] == "Zoë 王"
    assert message["Note"] == "a\tb\rc"
    assert message["AccountCode"] == ""
    assert message.to_bytes() == raw


def test_old_follows_form_collects_output_lines() -> None:
    raw = (
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: c1\r\n"
        b"Channel              Location\nLocal/1@x-0001;1     s@caller:1\n--END COMMAND--\r\n\r\n"
    )
    (message,) = AmiParser(expect_banner=False).feed(raw)
    assert message.kind is MessageKind.RESPONSE and message.name == "Follows"
    assert message.action_id == "c1"
    assert message.get_all("Output") == ["Channel              Location", "Local/1@x-0001;1     s@caller:1"]


def test_modern_command_output_headers_are_kept_in_order() -> None:
    path = TRACES / "05-channels-status.ami.jsonl"
    messages = [m for raws in _in_records_by_conn(path).values() for m in AmiParser().feed(b"".join(raws))]
    command = next(m for m in messages if m.get("Message") == "Command output follows")
    lines = command.get_all("Output")
    assert len(lines) > 3
    assert lines[0].startswith("Channel")


def test_list_start_and_complete_are_recognised() -> None:
    path = TRACES / "05-channels-status.ami.jsonl"
    messages = [m for raws in _in_records_by_conn(path).values() for m in AmiParser().feed(b"".join(raws))]
    starts = [m for m in messages if m.is_list_start]
    completes = [m for m in messages if m.is_list_complete]
    assert starts and completes
    assert {m.action_id for m in completes} <= {m.action_id for m in starts}


def test_garbage_block_is_reported_and_parsing_continues() -> None:
    parser = AmiParser(expect_banner=False)
    parser.receive_data(b"\x00\x01garbage\r\n\r\nEvent: Ping\r\n\r\n")
    with pytest.raises(AmiParseError):
        parser.next_message()
    message = parser.next_message()
    assert message is not None and message.name == "Ping"


def test_oversized_message_is_refused_and_the_stream_recovers() -> None:
    parser = AmiParser(expect_banner=False, max_message_size=1000)
    parser.receive_data(b"Event: Big\r\nData: " + b"x" * 5000)
    with pytest.raises(AmiOversizeError):
        parser.next_message()
    parser.receive_data(b"x" * 5000 + b"\r\n\r\nEvent: Small\r\n\r\n")
    message = parser.next_message()
    assert message is not None and message.name == "Small"
    assert parser.buffered == 0


@pytest.mark.parametrize("bad", ["x\r\nAction: Hangup", "x\nAction: Hangup", "x\rAction: Hangup", "\n"])
def test_encoding_refuses_cr_or_lf_in_any_value(bad: str) -> None:
    with pytest.raises(AmiInjectionError):
        encode_action("Setvar", {"Channel": "Local/1@x-1;1", "Variable": "CTI_NOTE", "Value": bad})
    with pytest.raises(AmiInjectionError):
        encode_action("Originate", [("Variable", f"A={bad}")], action_id="o1")
    with pytest.raises(AmiInjectionError):
        encode_action("Ping", action_id=bad)
    with pytest.raises(AmiInjectionError):
        encode_action(bad)


def test_encoding_refuses_duplicates_and_bad_keys_but_allows_variables() -> None:
    with pytest.raises(AmiInjectionError):
        encode_action("Setvar", [("Channel", "a"), ("channel", "b")])
    with pytest.raises(AmiInjectionError):
        encode_action("Ping", {"ActionID": "x"}, action_id="y")
    with pytest.raises(AmiInjectionError):
        encode_action("Ping", {"Bad: key": "x"})
    data = encode_action("Originate", {"Channel": "Local/1@x", "Variable": ["A=1", "B=2"]}, action_id="o-1")
    assert data == (
        b"Action: Originate\r\nActionID: o-1\r\nChannel: Local/1@x\r\n"
        b"Variable: A=1\r\nVariable: B=2\r\n\r\n"
    )


def test_action_reader_mirrors_asterisk_line_endings() -> None:
    # Scenario 10 e/f: a value with an empty line injects a second action; a lone CR does not.
    parser = AmiActionParser()
    crlf = parser.feed(b"Action: Setvar\r\nValue: z\r\n\r\nAction: Hangup\r\nChannel: V2\r\n\r\n")
    assert [m.name for m in crlf] == ["Setvar", "Hangup"]
    lf = parser.feed(b"Action: Setvar\nValue: w\n\nAction: Hangup\nChannel: V3\n\n")
    assert [m.name for m in lf] == ["Setvar", "Hangup"]
    (cr,) = parser.feed(b"Action: Setvar\r\nValue: v\rAction: Hangup\rChannel: V4\r\n\r\n")
    assert cr["Value"] == "v\rAction: Hangup\rChannel: V4"


def test_recorded_actions_read_back_with_their_names() -> None:
    for path in AMI_TRACES:
        for rec in read_jsonl(path):
            if rec.direction != "out":
                continue
            messages = AmiActionParser().feed(rec.raw)
            assert messages and all(m.kind is MessageKind.ACTION for m in messages)
            assert messages[0].name == rec.raw.split(b"\r\n", 1)[0].split(b": ", 1)[1].decode()
