"""Fidelity: the simulator's AMI events and AGI replies against the recorded traces 02, 03, 05, 09."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sim_testkit import AgiPeer, AmiTestClient, agi_records, start_agi_server, trace_key_lists, trace_messages

from cti.ami.protocol import AmiMessage
from cti.sim import Simulator, SimulatorConfig

ALL_TRACES = [
    "01-login",
    "02-inbound-ivr-queue",
    "03-queue-abandon",
    "04-agent-lifecycle",
    "05-channels-status",
    "06-redirect-bridge-transfer",
    "07-dialer-originate-amd",
    "08-burst-50-originates",
    "09-agi-edge-cases",
    "10-userevent-crlf-injection",
]
RECORDED_KEYS = trace_key_lists(ALL_TRACES)
PROMPTS = {"hello-world": 11234 / 8000, "beep": 3404 / 8000, "vm-intro": 2.0}


class Harness:
    """A simulator with one FastAGI script and one logged-in AMI client."""

    def __init__(self, sim: Simulator, ami: AmiTestClient, agi: asyncio.Server) -> None:
        self.sim, self.ami, self.agi = sim, ami, agi


Script = Callable[[AgiPeer], Awaitable[None]]


async def start_harness(script: Script, agi_suffix: str = "ivr?lang=en") -> Harness:
    server, port = await start_agi_server(script)
    sim = Simulator(
        SimulatorConfig(
            ami_port=0, agi_url=f"agi://127.0.0.1:{port}/{agi_suffix}", speed=20, prompt_lengths=PROMPTS
        )
    )
    await sim.start()
    ami = await AmiTestClient.connect(sim.ami_port)
    await ami.login()
    return Harness(sim, ami, server)


async def stop_harness(h: Harness) -> None:
    await h.ami.close()
    await h.sim.stop()
    h.agi.close()


@pytest.fixture
async def harnesses() -> AsyncIterator[list[Harness]]:
    started: list[Harness] = []
    yield started
    for h in started:
        await stop_harness(h)


def channel_names(events: list[AmiMessage], channel: str) -> list[str]:
    return [e.name for e in events if e.get("Channel") == channel]


def assert_recorded_key_lists(events: list[AmiMessage]) -> None:
    for event in events:
        keys = tuple(k for k, _ in event.headers)
        assert keys in RECORDED_KEYS.get(event.name, set()), (event.name, keys)


def trace_channel(messages: list[AmiMessage], suffix: str) -> str:
    return next(m["Channel"] for m in messages if m.name == "Newchannel" and m["Channel"].endswith(suffix))


ORIGINATE_02 = [
    ("Channel", "Local/5551000@incoming"),
    ("Context", "caller"),
    ("Exten", "wait"),
    ("Priority", "1"),
    ("CallerID", '"Alice Example" <5551234>'),
    ("Timeout", "30000"),
    ("Async", "true"),
    ("Account", "cti-inbound"),
    ("Variable", "CTI_CALL_ID=call-0001"),
    ("Variable", "LEAD_SOURCE=web"),
]


async def test_inbound_ivr_call_matches_trace_02(harnesses: list[Harness]) -> None:
    recorded = agi_records("02-inbound-ivr-queue")
    commands = [raw.rstrip("\n") for d, raw in recorded if d == "out"]
    expected_replies = [raw for d, raw in recorded if d == "in"][1:]
    replies: list[str] = []
    envs: list[list[tuple[str, str]]] = []
    done = asyncio.Event()

    async def script(peer: AgiPeer) -> None:
        envs.append(peer.env)
        for command in commands:
            replies.append(await peer.command(command))
        done.set()

    h = await start_harness(script, "ivr?lang=en,5551000,5551234")
    harnesses.append(h)
    response = await h.ami.action("Originate", ORIGINATE_02)
    assert response.get("Message") == "Originate successfully queued"
    await h.ami.wait_for(
        lambda: any(e.name == "AGIExecStart" and e["Command"].startswith("GET DATA") for e in h.ami.events)
    )
    one = next(e["Channel"] for e in h.ami.events if e.name == "Newchannel")
    for digit in "42719":
        dtmf = await h.ami.action("PlayDTMF", {"Channel": one, "Digit": digit, "Duration": "120"})
        assert dtmf.get("Message") == "DTMF successfully queued"
    await asyncio.wait_for(done.wait(), 10)
    two = one[:-1] + "2"
    await h.ami.wait_for(lambda: channel_names(h.ami.events, one)[-1:] == ["Cdr"])

    assert replies == expected_replies
    trace_env = [line.split(": ", 1)[0] for line in recorded[0][1].splitlines() if line]
    assert [k for k, _ in envs[0]] == trace_env
    env = dict(envs[0])
    assert env["agi_channel"] == two and env["agi_network_script"] == "ivr?lang=en"
    assert (env["agi_arg_1"], env["agi_arg_2"], env["agi_accountcode"]) == (
        "5551000",
        "5551234",
        "cti-inbound",
    )

    trace = trace_messages("02-inbound-ivr-queue")
    t_one, t_two = trace_channel(trace, ";1"), trace_channel(trace, ";2")
    assert channel_names(h.ami.events, one) == [n for n in channel_names(trace, t_one) if n != "Cdr"] + [
        "Cdr"
    ]
    ours_two = channel_names(h.ami.events, two)
    theirs_two = channel_names(trace, t_two)
    end = theirs_two.index("Newexten", theirs_two.index("AGIExecEnd"))  # the NoOp after AGI()
    assert ours_two[: end + 1] == theirs_two[: end + 1]
    assert [e.name for e in h.ami.events if e.name in ("DTMFBegin", "DTMFEnd")] == [
        "DTMFBegin",
        "DTMFEnd",
    ] * 5
    assert_recorded_key_lists(h.ami.events)


async def test_caller_hangup_interrupts_music_on_hold_as_in_trace_03(harnesses: list[Harness]) -> None:
    replies: list[str] = []
    done = asyncio.Event()

    async def script(peer: AgiPeer) -> None:
        replies.append(await peer.command("ANSWER"))
        replies.append(await peer.command("EXEC MusicOnHold default"))
        replies.append(await peer.read_reply())
        replies.append(await peer.command('STREAM FILE beep ""'))
        done.set()

    h = await start_harness(script)
    harnesses.append(h)
    await h.ami.action(
        "Originate",
        [
            ("Channel", "Local/sales@callcenter-inbound"),
            ("Context", "caller"),
            ("Exten", "wait"),
            ("CallerID", '"Bob Caller" <5550002>'),
            ("Async", "true"),
        ],
    )
    await h.ami.wait_for(lambda: h.ami.named("MusicOnHoldStart"))
    one = h.ami.named("Newchannel")[0]["Channel"]
    two = one[:-1] + "2"
    mark = len(h.ami.events)
    started = time.monotonic()
    hangup = await h.ami.action("Hangup", {"Channel": one, "Cause": "16"})
    assert hangup.get("Message") == "Channel Hungup"
    await asyncio.wait_for(done.wait(), 5)
    assert time.monotonic() - started < 0.5
    assert replies[1:] == [
        "200 result=-1\n",
        "HANGUP\n",
        "511 Command Not Permitted on a dead channel or intercept routine\n",
    ]
    await h.ami.wait_for(lambda: channel_names(h.ami.events, two)[-1:] == ["Cdr"])
    after = h.ami.events[mark:]
    assert channel_names(after, one) == ["SoftHangupRequest", "Hangup", "Cdr"]
    trace = trace_messages("03-queue-abandon")
    t_two = trace_channel(trace, ";2")
    t_after = trace[next(i for i, m in enumerate(trace) if m.name == "SoftHangupRequest") :]
    wanted = ("HangupRequest", "MusicOnHoldStop", "SoftHangupRequest", "Hangup")
    assert [n for n in channel_names(after, two) if n in wanted] == [
        n for n in channel_names(t_after, t_two) if n in wanted
    ]
    agistatus = [e for e in after if e.name == "VarSet" and e["Variable"] == "AGISTATUS"]
    assert agistatus[0]["Value"] == "HANGUP"
    assert_recorded_key_lists(h.ami.events)


async def test_channel_lists_and_status_match_trace_05(harnesses: list[Harness]) -> None:
    async def script(peer: AgiPeer) -> None:
        await peer.command("ANSWER")
        await peer.command("EXEC MusicOnHold default,30")

    h = await start_harness(script)
    harnesses.append(h)
    for n in range(3):
        await h.ami.action(
            "Originate",
            [
                ("Channel", f"Local/100{n}@callcenter-inbound"),
                ("Context", "caller"),
                ("Exten", "wait"),
                ("CallerID", f'"Hold {n}" <555010{n}>'),
                ("Async", "true"),
            ],
        )
    await h.ami.wait_for(lambda: len(h.ami.named("MusicOnHoldStart")) == 3)
    trace = trace_messages("05-channels-status")

    def shape(m: AmiMessage) -> tuple[str, ...]:
        return tuple(k for k, _ in m.headers)

    def first(name: str) -> AmiMessage:
        return next(m for m in trace if m.name == name)

    mark = len(h.ami.events)
    listing = await h.ami.action("CoreShowChannels")
    assert [(k, v) for k, v in listing.headers if k != "ActionID"] == [
        ("Response", "Success"),
        ("EventList", "start"),
        ("Message", "Channels will follow"),
    ]
    await h.ami.wait_for(lambda: h.ami.named("CoreShowChannelsComplete"))
    items = [e for e in h.ami.events[mark:] if e.name == "CoreShowChannel"]
    assert len(items) == 6 and {shape(i) for i in items} == {shape(first("CoreShowChannel"))}
    assert [i["Uniqueid"] for i in items] == sorted(
        (i["Uniqueid"] for i in items), key=lambda u: -int(u.split(".")[1])
    )
    complete = h.ami.named("CoreShowChannelsComplete")[0]
    assert shape(complete) == shape(first("CoreShowChannelsComplete")) and complete["ListItems"] == "6"
    assert items[0]["ActionID"] == listing["ActionID"] == complete["ActionID"]

    two = next(i["Channel"] for i in items if i["Channel"].endswith(";2"))
    status = await h.ami.action("Status", {"Channel": two, "Variables": "CALL_TYPE,MOH_CLASS,CHANNEL(state)"})
    assert status.get("Message") == "Channel status will follow"
    await h.ami.wait_for(lambda: h.ami.named("StatusComplete"))
    (item,) = [e for e in h.ami.named("Status")]
    assert item["Privilege"] == "Call" and item.headers[-1][0] == "ActionID"
    assert item.get_all("Variable") == ["CALL_TYPE=inbound", "MOH_CLASS=(null)", "CHANNEL(state)=Up"]
    status_keys = [k for k in shape(first("Status"))]
    assert [k for k in shape(item) if k != "Variable"] == status_keys
    assert shape(h.ami.named("StatusComplete")[0]) == shape(first("StatusComplete"))
    missing = await h.ami.action("Status", {"Channel": "Local/nope@x-00000000;1"})
    assert (missing["Response"], missing["Message"]) == ("Error", "No such channel")
    state = await h.ami.action("Getvar", {"Channel": two, "Variable": "CHANNEL(state)"})
    assert [k for k, _ in state.headers] == ["Response", "ActionID", "Variable", "Value"] and state[
        "Value"
    ] == "Up"
    gone = await h.ami.action("Hangup", {"Channel": "Local/nope@x-00000000;1"})
    assert (gone["Response"], gone["Message"]) == ("Error", "No such channel")


def trace_agi_exchanges(conn: int) -> list[tuple[str, str]]:
    """(command, reply) pairs of one traced FastAGI session; an unsolicited HANGUP joins the reply before."""
    records = agi_records("09-agi-edge-cases", conn)[1:]
    pairs: list[tuple[str, str]] = []
    for direction, raw in records:
        if direction == "out":
            pairs.append((raw.rstrip("\n"), ""))
        elif pairs:
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + raw)
    return pairs


UNSIMULATED = ("CONTROL STREAM FILE", "RECEIVE CHAR", "GET OPTION")


async def test_agi_edge_case_replies_match_trace_09(harnesses: list[Harness]) -> None:
    exchanges = [(c, r) for c, r in trace_agi_exchanges(1) if not c.startswith(UNSIMULATED)]
    replies: list[str] = []
    done = asyncio.Event()

    async def script(peer: AgiPeer) -> None:
        for command, reply in exchanges:
            text = await peer.command(command)
            if reply.endswith("HANGUP\n"):
                text += await peer.read_reply()
            replies.append(text)
        done.set()

    h = await start_harness(script, "edge?case=901&lang=en&empty=,first arg,second,,last")
    harnesses.append(h)
    await h.ami.action(
        "Originate",
        [
            ("Channel", "Local/901@callcenter-inbound"),
            ("Context", "caller"),
            ("Exten", "wait"),
            ("Async", "true"),
        ],
    )
    await asyncio.wait_for(done.wait(), 10)
    for (command, expected), got in zip(exchanges, replies, strict=True):
        if expected.startswith("520-"):
            lines = got.splitlines()
            assert lines[0] == "520-Invalid command syntax.  Proper usage follows:" and lines[-1] == (
                "520 End of proper usage."
            ), command
        else:
            assert got == expected, command
    await h.ami.wait_for(lambda: h.ami.named("Cdr"))
    ends = h.ami.named("AGIExecEnd")
    assert {(e["ResultCode"], e["Result"]) for e in ends} >= {
        ("200", "Success"),
        ("510", "Invalid or unknown command"),
        ("520", "Usage"),
        ("511", "Command Not Permitted on a dead channel or intercept routine"),
        ("-1", "Failure"),
        ("200", "Unknown Result"),
    }
    assert_recorded_key_lists(h.ami.events)


async def test_caller_hangs_up_during_get_data_as_in_trace_09_case_902(harnesses: list[Harness]) -> None:
    exchanges = trace_agi_exchanges(2)
    replies: list[str] = []
    done = asyncio.Event()

    async def script(peer: AgiPeer) -> None:
        for command, _ in exchanges:
            replies.append(await peer.command(command))
            if replies[-1] == "200 result=-1\n":
                replies[-1] += await peer.read_reply()
        done.set()

    h = await start_harness(script, "edge?case=902")
    harnesses.append(h)
    await h.ami.action(
        "Originate",
        [
            ("Channel", "Local/902@callcenter-inbound"),
            ("Context", "caller"),
            ("Exten", "wait"),
            ("Async", "true"),
        ],
    )
    await h.ami.wait_for(
        lambda: any(e.name == "AGIExecStart" and e["Command"].startswith("GET DATA") for e in h.ami.events)
    )
    one = h.ami.named("Newchannel")[0]["Channel"]
    for digit in "12":
        await h.ami.action("PlayDTMF", {"Channel": one, "Digit": digit, "Duration": "100"})
    await h.ami.action("Hangup", {"Channel": one, "Cause": "16"})
    await asyncio.wait_for(done.wait(), 10)
    assert replies == [reply for _, reply in exchanges]
    await h.ami.wait_for(
        lambda: any(e.name == "VarSet" and e["Variable"] == "AGISTATUS" for e in h.ami.events)
    )
    assert [e["Value"] for e in h.ami.named("VarSet") if e["Variable"] == "AGISTATUS"] == ["HANGUP"]


async def test_calls_stay_up_across_an_ami_restart(harnesses: list[Harness]) -> None:
    async def script(peer: AgiPeer) -> None:
        await peer.command("ANSWER")
        await peer.command("EXEC MusicOnHold default")

    h = await start_harness(script)
    harnesses.append(h)
    await h.ami.action(
        "Originate",
        [
            ("Channel", "Local/7000@callcenter-inbound"),
            ("Context", "caller"),
            ("Exten", "wait"),
            ("Async", "true"),
        ],
    )
    await h.ami.wait_for(lambda: h.ami.named("MusicOnHoldStart"))
    port = h.sim.ami_port
    await h.sim.stop_ami()
    await asyncio.wait_for(h.ami.closed.wait(), 2)
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    await h.sim.start_ami()
    assert h.sim.ami_port == port
    client = await AmiTestClient.connect(port)
    await client.login()
    await client.action("CoreShowChannels")
    await client.wait_for(lambda: client.named("CoreShowChannelsComplete"))
    listed = sorted(e["Channel"] for e in client.named("CoreShowChannel"))
    assert listed == sorted(h.sim.live_channels()) and len(listed) == 2
    await client.close()
