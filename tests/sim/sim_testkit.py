"""Test helpers for the simulator tests: a small AMI client, trace loading, a scripted FastAGI server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from cti.ami.protocol import AmiMessage, AmiParser, MessageKind, encode_action

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TRACES = FIXTURES / "traces"  # the set recorded for the project (../shared/asterisk-traces)
RECORDED = FIXTURES / "recorded"  # our own recordings from the Asterisk we build


def trace_file(name: str, kind: str) -> Path:
    """A recording's ``kind`` (ami/agi) capture, from the shared set or our own recordings."""
    shared = TRACES / f"{name}.{kind}.jsonl"
    return shared if shared.exists() else RECORDED / f"{name}.{kind}.jsonl"


def trace_messages(name: str, conn: int = 1) -> list[AmiMessage]:
    """Every message Asterisk sent on one AMI connection of a recorded trace."""
    parser = AmiParser()
    for line in trace_file(name, "ami").read_text().splitlines():
        record = json.loads(line)
        if record["dir"] == "in" and record["conn"] == conn:
            parser.receive_data(record["raw"].encode())
    return list(parser.messages())


def trace_key_lists(names: list[str]) -> dict[str, set[tuple[str, ...]]]:
    """Per event name, every header key list seen in the given traces."""
    out: dict[str, set[tuple[str, ...]]] = {}
    for name in names:
        for msg in trace_messages(name):
            if msg.kind is MessageKind.EVENT:
                out.setdefault(msg.name, set()).add(tuple(k for k, _ in msg.headers))
    return out


def agi_records(name: str, conn: int = 1) -> list[tuple[str, str]]:
    """(direction, raw) of one FastAGI session of a trace."""
    out = []
    for line in trace_file(name, "agi").read_text().splitlines():
        record = json.loads(line)
        if record["conn"] == conn and record["dir"] in ("in", "out"):
            out.append((record["dir"], record["raw"]))
    return out


class AmiTestClient:
    """A minimal AMI client that keeps every event it receives."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.parser = AmiParser()
        self.events: list[AmiMessage] = []
        self.responses: list[AmiMessage] = []
        self.banner: AmiMessage | None = None
        self.closed = asyncio.Event()
        self._changed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._read())
        self._ids = 0

    @classmethod
    async def connect(cls, port: int) -> AmiTestClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def _read(self) -> None:
        while data := await self.reader.read(65536):
            for msg in self.parser.feed(data):
                if msg.kind is MessageKind.BANNER:
                    self.banner = msg
                elif msg.kind is MessageKind.EVENT:
                    self.events.append(msg)
                else:
                    self.responses.append(msg)
            self._changed.set()
        self.closed.set()
        self._changed.set()

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:
        async def loop() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)

    async def action(
        self,
        name: str,
        fields: dict[str, str] | list[tuple[str, str]] | None = None,
        action_id: str | None = "auto",
        timeout: float = 5.0,
    ) -> AmiMessage:
        if action_id == "auto":
            self._ids += 1
            action_id = f"t-{self._ids}"
        before = len(self.responses)
        self.writer.write(encode_action(name, fields or {}, action_id=action_id))
        await self.writer.drain()
        await self.wait_for(lambda: len(self.responses) > before, timeout)
        return self.responses[before]

    async def login(self, user: str = "cti", secret: str = "ctisecret") -> AmiMessage:
        return await self.action("Login", {"Username": user, "Secret": secret})

    def named(self, *names: str) -> list[AmiMessage]:
        return [e for e in self.events if e.name in names]

    async def close(self) -> None:
        self.writer.close()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


AgiScript = Callable[["AgiPeer"], Awaitable[None]]


class AgiPeer:
    """The script side of one FastAGI session: send a command, read its reply (520 kept whole)."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, env: list[tuple[str, str]]
    ) -> None:
        self.reader, self.writer, self.env = reader, writer, env

    async def read_reply(self) -> str:
        line = (await self.reader.readline()).decode()
        if line.startswith("520-"):
            while not line.endswith("520 End of proper usage.\n"):
                line += (await self.reader.readline()).decode()
        return line

    async def command(self, text: str) -> str:
        self.writer.write(text.encode() + b"\n")
        await self.writer.drain()
        return await self.read_reply()


async def start_agi_server(script: AgiScript) -> tuple[asyncio.Server, int]:
    """A FastAGI server on a free port that runs ``script`` for every session."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env = []
        while (line := (await reader.readline()).decode()) not in ("\n", ""):
            key, _, value = line.rstrip("\n").partition(": ")
            env.append((key, value))
        try:
            await script(AgiPeer(reader, writer, env))
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]
