"""FastAGI server and session over real sockets, driven by a fake Asterisk.

The replay tests play the exact bytes Asterisk sent in traces 02 and 09: each command our session
sends must mean the same to Asterisk's tokenizer as the recorded one, and is answered with the
recorded reply; the handler records what a user of the API sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti.agi import (
    AgiApplicationNotFound,
    AgiDeadChannel,
    AgiHangup,
    AgiInjectionError,
    AgiInterrupted,
    AgiInvalidCommand,
    AgiPlaybackFailed,
    AgiServer,
    AgiSession,
    AgiUsageError,
    format_command,
)
from cti.agi.server import LOOPBACK_PEERS, parse_peer_networks, peer_allowed

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


def asterisk_argv(line: bytes) -> list[str]:
    """Split a command line the way Asterisk's res_agi does (blanks, "quotes", backslash escapes)."""
    argv: list[str] = []
    word: str | None = None
    quoted = escaped = False
    for char in line.decode("utf-8", "surrogateescape").removesuffix("\n"):
        if char == '"' and not escaped:
            quoted = not quoted
            if quoted and word is None:
                word = ""
        elif char in " \t" and not quoted and not escaped:
            if word is not None:
                argv.append(word)
                word = None
        elif char == "\\" and not escaped:
            escaped = True
        else:
            word = (word or "") + char
            escaped = False
    if word is not None:
        argv.append(word)
    return argv


@dataclass
class Exchange:
    """One recorded command and every byte Asterisk sent after it, up to the next command."""

    command: bytes
    reply: bytes


@dataclass
class RecordedConnection:
    environment: bytes
    exchanges: list[Exchange] = field(default_factory=list)


def recorded_connections(name: str) -> dict[int, RecordedConnection]:
    conns: dict[int, RecordedConnection] = {}
    for line in (TRACES / name).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        raw = record["raw"].encode("utf-8")
        conn = conns.get(record["conn"])
        if record["dir"] == "in" and conn is None:
            conns[record["conn"]] = RecordedConnection(raw)
        elif record["dir"] == "out":
            assert conn is not None
            conn.exchanges.append(Exchange(raw, b""))
        elif record["dir"] == "in":
            assert conn is not None and conn.exchanges
            conn.exchanges[-1].reply += raw
    return conns


async def replay(port: int, recorded: RecordedConnection) -> None:
    """Be Asterisk for one recorded connection; the server must then close the socket."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(recorded.environment)
    for exchange in recorded.exchanges:
        sent = await reader.readline()
        assert asterisk_argv(sent) == asterisk_argv(exchange.command), (sent, exchange.command)
        writer.write(exchange.reply)
    assert await reader.read() == b"", "the script sent more commands than recorded"
    writer.close()


class Recorder:
    """Collects what a handler saw: values, or the exception type a call raised."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    async def __call__(self, call: Awaitable[Any]) -> Any:
        try:
            value = await call
        except Exception as exc:
            self.seen.append(type(exc))
            return exc
        self.seen.append(value)
        return value


async def serve_replay(trace: str, handler: Callable[[AgiSession], Awaitable[None]], path: str) -> AgiServer:
    server = AgiServer(port=0)
    server.route(path, handler)
    async with server:
        async with asyncio.timeout(10):
            for conn in recorded_connections(trace).values():
                await replay(server.port, conn)
    return server


async def test_replay_02_inbound_ivr() -> None:
    see = Recorder()
    facts: dict[str, Any] = {}

    async def ivr(session: AgiSession) -> None:
        facts["query"] = dict(session.query)
        facts["args"] = session.args
        await see(session.answer())
        await see(session.verbose(f"IVR start lang={session.query['lang']} for ${{CALLERID(num)}}"))
        await see(session.channel_status())
        await see(session.get_variable("CALLERID(num)"))
        await see(session.get_full_variable("${CALLERID(name)} <${CALLERID(num)}> on ${CHANNEL}"))
        await see(session.get_variable("CTI_CALL_ID"))
        await see(session.stream_file("hello-world"))
        code = await see(session.get_data("vm-enter-num-to-call", 6000, 5))
        await see(session.set_variable("CUSTOMER_CODE", code))
        await see(session.set_variable("CDR(userfield)", f"cust={code}"))
        await see(session.say_digits(code))
        await see(session.exec("Playback", "beep"))

    server = await serve_replay("02-inbound-ivr-queue.agi.jsonl", ivr, "ivr")
    assert facts == {"query": {"lang": "en"}, "args": ("5551000", "5551234")}
    assert see.seen == [
        None,
        None,
        6,
        "5551234",
        "Alice Example <5551234> on Local/5551000@incoming-00000000;2",
        "call-0001",
        (None, 11234),
        "42719",
        None,
        None,
        None,
        0,
    ]
    assert server.stats.completed == 1 and server.stats.failed == 0


async def test_replay_09_edge_cases() -> None:
    see = Recorder()
    sessions: dict[str, list[Any]] = {}

    async def edge(session: AgiSession) -> None:
        case = session.query["case"]
        see.seen = sessions.setdefault(case, [])
        see.seen.append((session.args, dict(session.query)))
        if case == "901":
            await see(session.noop())
            await see(session.command("FOO BAR"))
            usage = await see(session.command("STREAM FILE"))
            assert isinstance(usage, AgiUsageError) and "PLAYBACKSTATUS" in usage.usage
            await see(session.command("GET DATA"))
            see.seen.append((await session.command("answer")).result)
            await see(session.get_variable("NOSUCHVAR"))
            await see(session.set_variable("TEST_VAR", "hello world"))
            await see(session.get_variable("TEST_VAR"))
            await see(session.exec("NoSuchApplication", "foo"))
            see.seen.append((await session.command("DATABASE PUT", "cti", "lastcall", "12345")).result)
            see.seen.append((await session.command("DATABASE GET", "cti", "lastcall")).data)
            see.seen.append((await session.command("DATABASE GET", "cti", "nosuchkey")).result)
            await see(session.wait_for_digit(300))
            await see(session.say_number(42))
            await see(session.stream_file("no-such-file"))
            await see(session.stream_file("beep", "#", offset=0))
            control = await session.command("CONTROL STREAM FILE", "beep", "", 3000, "#", "*", "0")
            see.seen.append(control.endpos)
            char = await session.command("RECEIVE CHAR", 200)
            see.seen.append((char.result, char.data))
            see.seen.append((await session.command("GET OPTION", "beep", "123", 300)).endpos)
            see.seen.append((await session.command("SET CALLERID", "Edge Case <5559999>")).result)
            see.seen.append((await session.command("SET AUTOHANGUP", 0)).result)
            await see(session.hangup())
            await see(session.get_variable("TEST_VAR"))
            see.seen.append(session.hung_up)
            await see(session.stream_file("beep"))
            await see(session.noop())
        elif case == "902":
            await see(session.answer())
            await see(session.get_data("beep", 20000, 6))
            await see(session.get_variable("CUSTOMER_CODE"))
            await see(session.stream_file("beep"))
            await see(session.wait_for_digit(100))
            await see(session.verbose("still here"))
            see.seen.append(session.hung_up)
        elif case == "905":
            await see(session.answer())
            await see(session.stream_file("vm-intro"))
            await see(session.stream_file("beep"))
            await see(session.exec("Wait", "1"))

    server = await serve_replay("09-agi-edge-cases.agi.jsonl", edge, "edge")
    header = (("first arg", "second", "", "last"), {"case": "", "lang": "en", "empty": ""})
    assert {case: seen[0] for case, seen in sessions.items()} == {
        case: (header[0], {**header[1], "case": case}) for case in ("901", "902", "903", "905")
    }
    assert sessions["901"][1:] == [
        None, AgiInvalidCommand, AgiUsageError, AgiUsageError, "0", None, None, "hello world",
        AgiApplicationNotFound, "1", "12345", "0", None, None, AgiPlaybackFailed, (None, 3404), -1,
        ("-1", "hangup"), 3404, "1", "0", True, "hello world", True, AgiDeadChannel, None,
    ]  # fmt: skip
    assert sessions["902"][1:] == [None, AgiHangup, None, AgiDeadChannel, AgiDeadChannel, None, True]
    assert sessions["903"][1:] == []
    assert sessions["905"][1:] == [None, AgiHangup, AgiDeadChannel, 0]
    assert server.stats.completed == 4


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"))))
def test_asterisk_reads_back_exactly_the_arguments_we_format(args: list[str]) -> None:
    assert asterisk_argv(format_command("SET VARIABLE", *args)) == ["SET", "VARIABLE", *args]


# -- a scriptable fake Asterisk ---------------------------------------------------------------


def environment(script: str = "ivr?lang=en", channel: str = "Local/100@in-00000001;2", uid: str = "1.1") -> bytes:
    return (
        f"agi_network: yes\nagi_network_script: {script}\nagi_request: agi://127.0.0.1/{script}\n"
        f"agi_channel: {channel}\nagi_uniqueid: {uid}\nagi_callerid: 5551234\nagi_arg_1: a\n\n"
    ).encode()


async def connect(port: int, env: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(env)
    return reader, writer


async def test_unknown_path_and_garbage_are_closed_without_commands(caplog: pytest.LogCaptureFixture) -> None:
    async def never(session: AgiSession) -> None:
        raise AssertionError("not routed here")

    async with AgiServer(port=0) as server:
        server.route("ivr", never)
        for env in (environment("nosuch?x=1"), b"GET / HTTP/1.0\r\nHost: x\r\n\r\n", b""):
            reader, writer = await connect(server.port, env)
            if not env:
                writer.write_eof()
            async with asyncio.timeout(5):
                assert await reader.read() == b""
            writer.close()
    assert server.stats.rejected == 3 and server.stats.accepted == 3
    assert "no route for script 'nosuch'" in caplog.text


async def test_handler_exception_is_contained_and_socket_closed(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(session: AgiSession) -> None:
        await session.answer()
        raise ValueError("bug in the IVR")

    async with AgiServer(port=0) as server:
        server.route("/ivr/", broken)
        for _ in range(2):  # the server survives and serves the next call
            reader, writer = await connect(server.port, environment())
            assert await reader.readline() == b"ANSWER\n"
            writer.write(b"200 result=0\n")
            async with asyncio.timeout(5):
                assert await reader.read() == b""
            writer.close()
    assert server.stats.failed == 2
    assert "bug in the IVR" in caplog.text


async def test_cr_lf_is_refused_before_anything_is_sent() -> None:
    outcome: list[object] = []

    async def handler(session: AgiSession) -> None:
        caller_name = "Bob\r\nHANGUP"  # e.g. a caller ID name echoed back
        for call in (
            session.set_variable("NAME", caller_name),
            session.verbose(caller_name),
            session.exec("Playback", "x\nANSWER"),
            session.get_variable("A\rB"),
        ):
            try:
                await call
            except AgiInjectionError:
                outcome.append("refused")
        await session.noop()

    async with AgiServer(port=0) as server:
        server.route("ivr", handler)
        reader, writer = await connect(server.port, environment())
        async with asyncio.timeout(5):
            assert await reader.readline() == b"NOOP\n"
            writer.write(b"200 result=0\n")
            assert await reader.read() == b""
        writer.close()
    assert outcome == ["refused"] * 4


async def test_eof_from_asterisk_mid_command_is_a_hangup() -> None:
    outcome: list[object] = []

    async def handler(session: AgiSession) -> None:
        try:
            await session.exec("MusicOnHold", "default")
        except AgiHangup as exc:
            outcome.append((type(exc), session.hung_up))
            raise

    async with AgiServer(port=0) as server:
        server.route("ivr", handler)
        reader, writer = await connect(server.port, environment())
        assert await reader.readline() == b'EXEC MusicOnHold default\n'
        writer.close()
        async with asyncio.timeout(5):
            while server.active_sessions:
                await asyncio.sleep(0.01)
    assert outcome == [(AgiHangup, True)]
    assert server.stats.hung_up == 1


async def test_interrupt_breaks_music_on_hold_with_agi_interrupted() -> None:
    """The ACD side finds the session by channel and breaks its wait (an AMI Redirect in production)."""
    redirected: list[tuple[str, str]] = []
    asterisk_writer: list[asyncio.StreamWriter] = []
    outcome: list[object] = []

    async def redirect(channel: str, reason: str) -> None:
        redirected.append((channel, reason))
        # What real Asterisk sends when a channel running EXEC is redirected away.
        asterisk_writer[0].write(b"200 result=-1\nHANGUP\n")

    async def queue_wait(session: AgiSession) -> None:
        try:
            await session.exec("MusicOnHold", "default", "600")
        except AgiInterrupted as exc:
            outcome.append(exc.reason)

    async with AgiServer(port=0, interrupter=redirect) as server:
        server.route("queue", queue_wait)
        channel = "Local/200@in-0000000a;2"
        reader, writer = await connect(server.port, environment("queue", channel, "77.7"))
        asterisk_writer.append(writer)
        assert await reader.readline() == b"EXEC MusicOnHold default,600\n"
        session = server.session_for_channel(channel)
        assert session is not None and server.session_for_uniqueid("77.7") is session
        started = time.perf_counter()
        await session.interrupt("agent-7")
        async with asyncio.timeout(5):
            assert await reader.read() == b""
        elapsed = time.perf_counter() - started
        writer.close()
    assert redirected == [(channel, "agent-7")]
    assert outcome == ["agent-7"]
    assert elapsed < 0.1
    assert server.session_for_channel(channel) is None


async def test_failed_interrupt_leaves_real_hangups_as_hangups() -> None:
    outcome: list[object] = []

    async def redirect_fails(channel: str, reason: str) -> None:
        raise ConnectionError("AMI is down")

    async def queue_wait(session: AgiSession) -> None:
        try:
            await session.exec("MusicOnHold")
        except AgiHangup as exc:
            outcome.append((type(exc), session.interrupt_reason))

    async with AgiServer(port=0, interrupter=redirect_fails) as server:
        server.route("queue", queue_wait)
        reader, writer = await connect(server.port, environment("queue", "Local/1@x-1;2"))
        assert await reader.readline() == b"EXEC MusicOnHold\n"
        session = server.session_for_channel("Local/1@x-1;2")
        assert session is not None
        with pytest.raises(ConnectionError):
            await session.interrupt("agent-1")
        writer.write(b"200 result=-1\nHANGUP\n")  # then the caller really hangs up
        async with asyncio.timeout(5):
            assert await reader.read() == b""
        writer.close()
    assert outcome == [(AgiHangup, None)]


async def test_cancelled_command_does_not_shift_later_replies() -> None:
    outcome: list[object] = []

    async def handler(session: AgiSession) -> None:
        try:
            async with asyncio.timeout(0.05):
                await session.exec("Wait", "10")
        except TimeoutError:
            outcome.append("timed out")
        outcome.append(await session.get_variable("X"))

    async with AgiServer(port=0) as server:
        server.route("ivr", handler)
        reader, writer = await connect(server.port, environment())
        async with asyncio.timeout(5):
            assert await reader.readline() == b"EXEC Wait 10\n"
            assert await reader.readline() == b"GET VARIABLE X\n"
            writer.write(b"200 result=7\n200 result=1 (the value)\n")
            assert await reader.read() == b""
        writer.close()
    assert outcome == ["timed out", "the value"]


async def test_shutdown_cancels_stuck_sessions_and_closes_sockets() -> None:
    cancelled = asyncio.Event()

    async def stuck(session: AgiSession) -> None:
        try:
            await session.exec("MusicOnHold")
        except asyncio.CancelledError:
            cancelled.set()
            raise

    server = AgiServer(port=0, shutdown_grace=0.1)
    server.route("ivr", stuck)
    await server.start()
    reader, writer = await connect(server.port, environment())
    assert await reader.readline() == b"EXEC MusicOnHold\n"
    started = time.perf_counter()
    await server.close()
    assert time.perf_counter() - started < 2
    assert cancelled.is_set() and server.active_sessions == 0
    async with asyncio.timeout(5):
        assert await reader.read() == b""
    writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", server.port)


async def test_commands_from_two_tasks_are_sent_one_at_a_time() -> None:
    async def handler(session: AgiSession) -> None:
        values = await asyncio.gather(session.get_variable("A"), session.get_variable("B"))
        assert list(values) == ["a", "b"]

    async with AgiServer(port=0) as server:
        server.route("ivr", handler)
        reader, writer = await connect(server.port, environment())
        async with asyncio.timeout(5):
            assert await reader.readline() == b"GET VARIABLE A\n"
            with pytest.raises(TimeoutError):  # B waits for A's reply
                await asyncio.wait_for(reader.readline(), 0.05)
            writer.write(b"200 result=1 (a)\n")
            assert await reader.readline() == b"GET VARIABLE B\n"
            writer.write(b"200 result=1 (b)\n")
            assert await reader.read() == b""
        writer.close()
    assert server.stats.completed == 1


# -- scale ----------------------------------------------------------------------------------------

SESSIONS = 1000


async def test_one_thousand_concurrent_sessions(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    all_in = asyncio.Event()
    arrived = 0
    peak = 0
    codes: dict[str, str] = {}
    turnaround: list[float] = []

    async def ivr(session: AgiSession) -> None:
        nonlocal arrived, peak
        await session.answer()
        started = time.perf_counter()
        code = await session.get_data("enter-code", 3000, 6)
        turnaround.append(time.perf_counter() - started)
        arrived += 1
        if arrived == SESSIONS:
            peak = server.active_sessions
            all_in.set()
        await all_in.wait()  # every session is open at the same time here
        await session.set_variable("CUSTOMER_CODE", code)
        codes[session.channel] = code

    async def caller(index: int) -> bytes:
        reader, writer = await connect(server.port, environment(channel=f"Local/{index}@in-{index:08x};2"))
        while line := await reader.readline():
            argv = asterisk_argv(line)
            reply = f"200 result={index:06d}\n" if argv[:2] == ["GET", "DATA"] else "200 result=1\n"
            writer.write(reply.encode())
        writer.close()
        return line

    server = AgiServer(port=0)
    server.route("ivr", ivr)
    started = time.perf_counter()
    async with server, asyncio.timeout(30):
        await asyncio.gather(*(caller(i) for i in range(SESSIONS)))
    elapsed = time.perf_counter() - started
    assert peak == SESSIONS
    assert codes == {f"Local/{i}@in-{i:08x};2": f"{i:06d}" for i in range(SESSIONS)}
    assert server.stats.completed == SESSIONS and server.stats.accepted == SESSIONS
    turnaround.sort()
    p99_ms = turnaround[int(len(turnaround) * 0.99)] * 1000
    print(f"\n{SESSIONS} concurrent sessions in {elapsed:.2f} s; GET DATA turnaround p99 {p99_ms:.1f} ms")
    assert elapsed < 20


async def test_a_peer_outside_the_allowed_networks_is_closed_before_its_environment_is_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started: list[str] = []

    async def ivr(session: AgiSession) -> None:
        started.append(session.channel)

    # The test connects from 127.0.0.1, which is outside these networks: like a stranger on the LAN.
    async with AgiServer(port=0, allowed_peers="10.0.0.0/8, fd00::/8") as server:
        server.route("ivr", ivr)
        reader, writer = await connect(server.port, environment())
        async with asyncio.timeout(5):
            # Closed with our environment unread, the kernel may answer with a reset instead of EOF.
            with contextlib.suppress(ConnectionResetError):
                assert await reader.read() == b""
        writer.close()
        assert server.session_for_channel("Local/100@in-00000001;2") is None
    assert started == []
    assert server.stats.rejected == 1 and server.stats.completed == 0
    assert "not in the allowed peers" in caplog.text


async def test_loopback_is_allowed_by_default_and_listed_peers_are_served() -> None:
    started: list[str] = []

    async def ivr(session: AgiSession) -> None:
        started.append(session.channel)

    for allowed in ({}, {"allowed_peers": "10.0.0.0/8,127.0.0.0/8"}):
        async with AgiServer(port=0, **allowed) as server:  # type: ignore[arg-type]
            server.route("ivr", ivr)
            reader, writer = await connect(server.port, environment())
            async with asyncio.timeout(5):
                assert await reader.read() == b""
            writer.close()
        assert server.stats.rejected == 0 and server.stats.completed == 1
    assert len(started) == 2


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [
        (("127.0.0.1", 40000), True),
        (("::1", 40000, 0, 0), True),
        (("::ffff:127.0.0.1", 40000, 0, 0), True),  # a dual-stack socket reports IPv4 peers this way
        (("192.168.1.9", 40000), False),
        (("fe80::1%eth0", 40000, 0, 2), False),
        (None, False),
        ("/run/agi.sock", False),
    ],
)
def test_peer_addresses_are_matched_against_the_networks(peer: object, allowed: bool) -> None:
    assert peer_allowed(peer, parse_peer_networks(LOOPBACK_PEERS)) is allowed


def test_a_bad_network_is_refused() -> None:
    with pytest.raises(ValueError):
        AgiServer(port=0, allowed_peers="127.0.0.1/33")
