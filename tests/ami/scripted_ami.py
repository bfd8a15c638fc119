"""A small scripted AMI server (asyncio) that answers like the recorded Asterisk, for client tests.

It replays what the traces show: the banner, MD5 challenge and plain login (a refused login is
answered after a pause and the socket closed), Ping, the ``CoreShowChannels``/``Status`` lists of
scenario 05, and plain Success for the call-control actions. It can be killed and restarted on the
same port, told to leave actions unanswered, and made to push raw bytes to its clients.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

from cti.ami.capture import decode_capture
from cti.ami.client import AmiClient
from cti.ami.protocol import AmiActionParser, AmiMessage, format_headers

# make_client(**AmiConfig fields) -> a client aimed at the scripted PBX (see conftest.py).
ClientFactory = Callable[..., AmiClient]
TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
BANNER = b"Asterisk Call Manager/13.0.0\r\n"
USERNAME = "cti"
SECRET = "ctisecret"


def trace_messages(name: str) -> Iterator[AmiMessage]:
    """Every readable message of a trace (actions included), in recorded order."""
    for item in decode_capture((TRACES / name).read_bytes()):
        if isinstance(item, AmiMessage):
            yield item


def scenario05_channels() -> list[AmiMessage]:
    """The six CoreShowChannel items of scenario 05, without their ActionID."""
    items = [m for m in trace_messages("05-channels-status.ami.txt") if m.name == "CoreShowChannel"]
    first_list = [m for m in items if m.action_id == items[0].action_id]
    assert len(first_list) == 6
    return [
        AmiMessage(m.kind, m.name, tuple((k, v) for k, v in m.headers if k != "ActionID")) for m in first_list
    ]


def with_headers(message: AmiMessage, **changes: str) -> AmiMessage:
    """A copy of ``message`` with some header values replaced."""
    headers = tuple((k, changes.get(k, v)) for k, v in message.headers)
    return AmiMessage(message.kind, message.name, headers)


class ScriptedAmi:
    """The test double of Asterisk's AMI listener."""

    def __init__(self, channels: list[AmiMessage]) -> None:
        self.channels = list(channels)
        self.variables: dict[tuple[str, str], str] = {}  # (uniqueid, name) -> value
        self.silent: set[str] = set()  # action names left unanswered
        self.refused: set[str] = set()  # action names answered with an error
        self.actions: list[AmiMessage] = []
        self.raw = bytearray()
        self.login_attempts = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._challenges = itertools.count(151599937)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def kill(self) -> None:
        """Like a PBX dying: stop listening and drop every connection at once."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()
        self._server = None

    def push(self, data: bytes) -> None:
        for writer in self._writers:
            writer.write(data)

    def actions_named(self, name: str) -> list[AmiMessage]:
        return [a for a in self.actions if a.name == name]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(BANNER)
        parser = AmiActionParser()
        state: dict[str, str] = {}
        try:
            while data := await reader.read(65536):
                self.raw += data
                for action in parser.feed(data):
                    self.actions.append(action)
                    if not await self._answer(action, state, writer):
                        return
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    async def _answer(self, action: AmiMessage, state: dict[str, str], writer: asyncio.StreamWriter) -> bool:
        """Write the reply; False when the connection must close."""
        name = action.name
        aid = [("ActionID", action["ActionID"])] if "ActionID" in action else []

        def reply(status: str, *headers: tuple[str, str]) -> None:
            writer.write(format_headers([("Response", status), *aid, *headers], check=False))

        if name in self.silent:
            return True
        if name == "Challenge":
            state["challenge"] = str(next(self._challenges))
            reply("Success", ("Challenge", state["challenge"]))
        elif name == "Login":
            self.login_attempts += 1
            key = hashlib.md5((state.get("challenge", "") + SECRET).encode()).hexdigest()
            md5_ok = action.get("AuthType") == "MD5" and action.get("Key") == key
            good = action.get("Username") == USERNAME and (action.get("Secret") == SECRET or md5_ok)
            if not good:
                await asyncio.sleep(0.05)  # Asterisk waits 1 s
                reply("Error", ("Message", "Authentication failed"))
                return False
            state["authed"] = "yes"
            reply("Success", ("Message", "Authentication accepted"))
            writer.write(b"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n")
            self._writers.add(writer)
        elif "authed" not in state or name in self.refused:
            reply("Error", ("Message", "Permission denied"))
        elif name == "Ping":
            reply("Success", ("Ping", "Pong"), ("Timestamp", "1795429554.565319"))
        elif name in ("CoreShowChannels", "Status"):
            self._reply_list(action, reply, writer)
        elif name == "Getvar":
            reply("Success", ("Variable", action["Variable"]), ("Value", "42"))
        elif name == "Originate":
            reply("Success", ("Message", "Originate successfully queued"))
            writer.write(
                format_headers(
                    [
                        ("Event", "OriginateResponse"),
                        ("Privilege", "call,all"),
                        *aid,
                        ("Response", "Success"),
                        ("Channel", action["Channel"] + "-00000010;1"),
                        ("Reason", "4"),
                        ("Uniqueid", "1795429557.99"),
                    ],
                    check=False,
                )
            )
        elif name in ("Hangup", "Redirect", "Setvar", "PlayDTMF", "UserEvent"):
            reply("Success", ("Message", f"{name} done"))
        else:
            reply("Error", ("Message", f"Invalid/unknown command: {name}."))
        return True

    def _reply_list(
        self, action: AmiMessage, reply: Callable[..., None], writer: asyncio.StreamWriter
    ) -> None:
        aid = action["ActionID"]
        reply("Success", ("EventList", "start"), ("Message", "Channels will follow"))
        wanted = [v for v in (action.get("Variables") or "").split(",") if v]
        for channel in self.channels:
            headers = list(channel.headers)
            if action.name == "Status":
                headers[0] = ("Event", "Status")
                uid = channel["Uniqueid"]
                headers += [("Variable", f"{v}={self.variables.get((uid, v), '(null)')}") for v in wanted]
                headers.append(("ActionID", aid))  # Status items carry it last
            else:
                headers.insert(1, ("ActionID", aid))
            writer.write(format_headers(headers, check=False))
        complete = "StatusComplete" if action.name == "Status" else "CoreShowChannelsComplete"
        writer.write(
            format_headers(
                [("Event", complete), ("ActionID", aid), ("EventList", "Complete"),
                 ("ListItems", str(len(self.channels)))],
                check=False,
            )
        )
