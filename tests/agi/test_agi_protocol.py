"""FastAGI protocol (sans I/O): environment, replies, command formatting, against the real traces."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti.agi import (
    AgiDeadChannel,
    AgiEnvironment,
    AgiErrorReply,
    AgiHangup,
    AgiHangupNotice,
    AgiInjectionError,
    AgiInvalidCommand,
    AgiParser,
    AgiProtocolError,
    AgiResult,
    AgiUsageError,
    format_command,
)
from cti.agi.protocol import AgiMessage, parse_reply_line, quote_argument

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


def inbound_streams(name: str) -> dict[int, bytes]:
    """The exact bytes Asterisk sent on each FastAGI connection of a trace."""
    streams: dict[int, bytes] = {}
    for line in (TRACES / name).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["dir"] == "in":
            streams[record["conn"]] = streams.get(record["conn"], b"") + record["raw"].encode("utf-8")
    return streams


STREAMS = {
    (name, conn): data
    for name in ("02-inbound-ivr-queue.agi.jsonl", "09-agi-edge-cases.agi.jsonl")
    for conn, data in inbound_streams(name).items()
}


def parse_all(chunks: list[bytes]) -> list[AgiMessage]:
    parser = AgiParser()
    out: list[AgiMessage] = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))
    return out


def test_environment_of_scenario_09_keeps_args_empty_values_and_query() -> None:
    env = parse_all([STREAMS[("09-agi-edge-cases.agi.jsonl", 1)]])[0]
    assert isinstance(env, AgiEnvironment)
    assert env.script_path == "edge"
    assert env.query == {"case": "901", "lang": "en", "empty": ""}
    assert env.args == ("first arg", "second", "", "last")
    assert env.accountcode == ""
    assert env.get("accountcode", "absent") == ""
    assert env.channel == "Local/901@agi-edge-0000004c;2"
    assert env.uniqueid == "1795429667.156"
    assert env.caller_number == "5559001"
    assert env.caller_name == "Edge 901"
    assert env.dnid is None  # Asterisk says "unknown"
    assert env.request == "agi://127.0.0.1:4573/edge?case=901&lang=en&empty="
    assert env.get("enhanced") == "0.0"


def test_environment_of_scenario_02() -> None:
    env = parse_all([STREAMS[("02-inbound-ivr-queue.agi.jsonl", 1)]])[0]
    assert isinstance(env, AgiEnvironment)
    assert (env.script_path, dict(env.query)) == ("ivr", {"lang": "en"})
    assert env.args == ("5551000", "5551234")
    assert env.caller_name == "Alice Example"
    assert env.accountcode == "cti-inbound"
    assert (env.context, env.extension, env.language) == ("incoming", "5551000", "en")


def test_unknown_caller_reads_as_none() -> None:
    env = parse_all([STREAMS[("09-agi-edge-cases.agi.jsonl", 3)]])[0]
    assert isinstance(env, AgiEnvironment)
    assert env.caller_number is None and env.caller_name is None


def test_replies_of_scenario_09_case_901() -> None:
    messages = parse_all([STREAMS[("09-agi-edge-cases.agi.jsonl", 1)]])[1:]
    assert messages[0] == AgiResult("0")
    assert messages[1] == AgiErrorReply(510, "Invalid or unknown command")
    usage = messages[2]
    assert isinstance(usage, AgiErrorReply) and usage.code == 520
    assert usage.message == "Invalid command syntax.  Proper usage follows:"
    assert usage.usage.startswith("Send the given file")
    assert usage.usage.endswith("    <value>FAILED</value>")
    assert "520 End of proper usage." not in usage.usage
    assert isinstance(messages[3], AgiErrorReply) and messages[3].usage.count("\n") == 1
    assert AgiResult("1", "hello world") in messages
    assert AgiResult("-1", None, {"endpos": "0"}) in messages
    assert AgiResult("0", None, {"endpos": "-1"}) in messages
    assert AgiResult("-1", "hangup") in messages
    assert messages[-5:] == [
        AgiResult("1"),
        AgiHangupNotice(),
        AgiResult("1", "hello world"),
        AgiErrorReply(511, "Command Not Permitted on a dead channel or intercept routine"),
        AgiResult("0"),
    ]


def test_error_replies_map_to_exceptions() -> None:
    assert type(AgiErrorReply(510, "x").to_exception()) is AgiInvalidCommand
    dead = AgiErrorReply(511, "Command Not Permitted").to_exception()
    assert isinstance(dead, AgiDeadChannel) and isinstance(dead, AgiHangup)
    usage = AgiErrorReply(520, "Invalid command syntax.", "the usage").to_exception()
    assert isinstance(usage, AgiUsageError) and usage.usage == "the usage" and usage.code == 520


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("200 result=42719", AgiResult("42719")),
        ("200 result=00123", AgiResult("00123")),
        ("200 result= (timeout)", AgiResult("", "timeout")),
        ("200 result=12 (timeout)", AgiResult("12", "timeout")),
        ("200 result=0 endpos=11234", AgiResult("0", None, {"endpos": "11234"})),
        ("200 result=1 (a (b) c)", AgiResult("1", "a (b) c")),
        ("200 result=1 ()", AgiResult("1", "")),
        ("200 result=35 (dtmf) endpos=8000", AgiResult("35", "dtmf", {"endpos": "8000"})),
        (
            "200 result=1 (Alice Example <5551234> on Local/5551000@incoming-00000000;2)",
            AgiResult("1", "Alice Example <5551234> on Local/5551000@incoming-00000000;2"),
        ),
        (
            "520 Invalid command syntax.  Proper usage not available.",
            AgiErrorReply(520, "Invalid command syntax.  Proper usage not available."),
        ),
        ("HANGUP", AgiHangupNotice()),
    ],
)
def test_reply_line_forms(line: str, expected: AgiMessage) -> None:
    assert parse_reply_line(line) == expected


def test_result_helpers() -> None:
    assert AgiResult("0", None, {"endpos": "3404"}).endpos == 3404
    assert AgiResult("-1").result_int == -1
    assert AgiResult("1").endpos is None
    with pytest.raises(AgiProtocolError):
        _ = AgiResult("12*").result_int
    with pytest.raises(AgiProtocolError):
        _ = AgiResult("0", None, {"endpos": "x"}).endpos


@pytest.mark.parametrize(
    "line",
    ["", "hello", "200", "200 ok", "200 result=1 (unclosed", "200 result=1 (a)b", "200 result=1 endpos",
     "200 result=1 ", "099 x", "2x0 result=1", "200-continued", "HANGUP now", "٢٠٠ result=1"],
)
def test_garbage_reply_lines_raise_protocol_error(line: str) -> None:
    parser = AgiParser()
    parser.feed(b"agi_channel: X\n\n")
    parser.receive_data(line.encode() + b"\n200 result=0\n")
    with pytest.raises(AgiProtocolError):
        list(parser.messages())
    assert parser.next_message() == AgiResult("0")  # the stream goes on after the bad line


@pytest.mark.parametrize(
    "block",
    [b"\n", b"channel: X\n\n", b"agi_channel X\n\n", b"agi_arg_2: b\n\n", b"agi_arg_x: b\n\n",
     b"agi_arg_0: a\n\n"],
)
def test_bad_environment_raises_protocol_error(block: bytes) -> None:
    with pytest.raises(AgiProtocolError):
        AgiParser().feed(block)


def test_oversized_line_is_refused_and_skipped() -> None:
    parser = AgiParser(max_block=1024)
    parser.feed(b"agi_channel: X\n\n")
    parser.receive_data(b"200 result=1 (" + b"x" * 2000)
    parser.receive_data(b"x" * 2000 + b")\n200 result=0\n")
    with pytest.raises(AgiProtocolError):
        parser.next_message()
    assert list(parser.messages()) == [AgiResult("0")]


def test_oversized_environment_is_refused() -> None:
    parser = AgiParser(max_block=1024)
    with pytest.raises(AgiProtocolError):
        parser.feed(b"".join(b"agi_v%d: %s\n" % (i, b"y" * 50) for i in range(40)))


def test_crlf_lines_are_tolerated() -> None:
    env, reply = AgiParser().feed(b"agi_channel: X\r\nagi_arg_1: a\r\n\r\n200 result=1 (v)\r\n")
    assert isinstance(env, AgiEnvironment) and env.args == ("a",) and env.channel == "X"
    assert reply == AgiResult("1", "v")


def test_a_latin1_value_reads_as_text_and_keeps_its_exact_bytes() -> None:
    (env,) = AgiParser().feed(
        b"agi_calleridname: Jos\xe9 \x80\x81\nagi_callerid: 3125550\xe9179\nagi_uniqueid: 1.2\n\n"
    )
    assert isinstance(env, AgiEnvironment)
    # Windows-1252 for bytes that are not UTF-8 (0x80 is the euro sign; 0x81 is unassigned there).
    assert env.get("calleridname") == "José €\x81"
    assert env.caller_number == "3125550é179"
    assert env.raw("calleridname") == b"Jos\xe9 \x80\x81" and env.raw("uniqueid") == b"1.2"
    for value in env.variables.values():
        value.encode("utf-8")  # never a lone surrogate


@given(st.binary(max_size=200))
def test_any_bytes_in_a_value_give_valid_unicode(value: bytes) -> None:
    value = value.replace(b"\n", b"").replace(b"\r", b"")
    (env,) = AgiParser().feed(b"agi_calleridname: " + value + b"\n\n")
    assert isinstance(env, AgiEnvironment)
    env.get("calleridname").encode("utf-8")
    assert env.raw("calleridname") == value


def test_query_string_decoding_and_repeats() -> None:
    (env,) = AgiParser().feed(b"agi_network_script: /a/b?x=1&x=2&n=J%C3%BCrgen+M&flag\n\n")
    assert isinstance(env, AgiEnvironment)
    assert env.script_path == "a/b"
    assert env.query == {"x": "1", "n": "Jürgen M", "flag": ""}


# -- commands -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "args", "wire"),
    [
        ("ANSWER", (), b"ANSWER\n"),
        ("STREAM FILE", ("hello-world", ""), b'STREAM FILE hello-world ""\n'),
        ("GET DATA", ("vm-enter-num-to-call", 6000, 5), b"GET DATA vm-enter-num-to-call 6000 5\n"),
        ("VERBOSE", ("IVR start lang=en for ${CALLERID(num)}", 1),
         b'VERBOSE "IVR start lang=en for ${CALLERID(num)}" 1\n'),
        ("GET VARIABLE", ("CALLERID(num)",), b"GET VARIABLE CALLERID(num)\n"),
        ("SET VARIABLE", ("X", 'say "hi" \\o/'), b'SET VARIABLE X "say \\"hi\\" \\\\o/"\n'),
    ],
)
def test_format_command(command: str, args: tuple[str | int, ...], wire: bytes) -> None:
    assert format_command(command, *args) == wire


@pytest.mark.parametrize("bad", ["a\rb", "a\nb", "a\r\nHANGUP", "x\x00y", "\n"])
def test_cr_lf_nul_in_any_argument_is_refused(bad: str) -> None:
    with pytest.raises(AgiInjectionError):
        format_command("SET VARIABLE", "NAME", bad)
    with pytest.raises(AgiInjectionError):
        format_command("SET VARIABLE", bad, "value")
    with pytest.raises(AgiInjectionError):
        format_command("NOOP" + bad)


def test_command_name_must_be_words() -> None:
    with pytest.raises(ValueError):
        format_command('GET "VARIABLE"')
    with pytest.raises(ValueError):
        format_command("")


def test_quote_argument_plain_words_stay_bare() -> None:
    assert quote_argument("beep") == "beep"
    assert quote_argument("") == '""'
    assert quote_argument("a\tb") == '"a\tb"'


# -- properties ---------------------------------------------------------------------------------


@st.composite
def stream_and_splits(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    data = STREAMS[draw(st.sampled_from(sorted(STREAMS)))]
    cuts = draw(st.lists(st.integers(0, len(data)), max_size=30))
    return data, sorted(cuts)


@settings(max_examples=150, deadline=None)
@given(stream_and_splits())
def test_any_split_of_a_real_stream_gives_the_same_messages(case: tuple[bytes, list[int]]) -> None:
    data, cuts = case
    bounds = [0, *cuts, len(data)]
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]
    assert parse_all(chunks) == parse_all([data])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.booleans())
def test_random_bytes_raise_only_protocol_errors(data: bytes, after_environment: bool) -> None:
    parser = AgiParser(max_block=256)
    if after_environment:
        parser.feed(b"agi_channel: X\n\n")
    parser.receive_data(data)
    parser.receive_data(b"\n")
    for _ in range(len(data) + 2):
        try:
            if parser.next_message() is None:
                break
        except AgiProtocolError:
            continue
    assert parser.next_message() is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"))))
def test_formatted_line_is_one_line(args: list[str]) -> None:
    line = format_command("EXEC", *args)
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and b"\r" not in line
