"""What the fault drills share: a Redis server of their own, nodes as subprocesses (``callcenter serve``), the
simulated PBX in its own process, callers who key a customer code, and the event log read back."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from acd.agents import AgentState
from acd.events import AgentStateChanged
from bus.events import DomainEvent
from callcenter.pbx_process import Caller, PbxProcess
from callcenter.soak_bench import contact_center
from crm_core.db import make_engine, make_session_factory, migrate, session_scope
from crm_core.demo import seed_demo
from crm_core.eventlog import append_events, read_events
from crm_core.models import Customer
from cti.sim import CallerScript, SimulatorConfig
from cti.sim.config import PhoneBehaviour

AMI_USER, AMI_SECRET = "callcenter", "callcenter"
AGENT = "7000"  # the first agent of soak_bench.contact_center


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until(predicate: Callable[[], object], what: str, timeout: float = 20.0, every: float = 0.02) -> float:
    """Wait until ``predicate()`` is true; returns the wall-clock time it was first seen true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(every)
    return time.time()


# --- Redis -------------------------------------------------------------------------------------------


class RedisServer:
    """A ``redis-server`` of the drill's own (never the shared one), stopped and started at will.

    ``prefix`` runs it through another command (``ip netns exec NAME``); ``bind`` is its address.
    """

    def __init__(self, port: int, bind: str = "127.0.0.1", prefix: Sequence[str] = ()) -> None:
        self.port, self.bind, self.prefix = port, bind, tuple(prefix)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.bind}:{self.port}/0"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [*self.prefix, "redis-server", "--port", str(self.port), "--bind", self.bind, "--save", "",
             "--appendonly", "no", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on {self.bind}:{self.port}")
            time.sleep(0.02)

    def _answers(self) -> bool:
        done = subprocess.run([*self.prefix, "redis-cli", "-h", self.bind, "-p", str(self.port), "ping"],
                              capture_output=True, text=True, check=False)
        return done.stdout.strip() == "PONG"

    def stop(self) -> None:
        """Stop it at once (SIGKILL: what it knew is gone, as after a crash)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)
        self._process = None


def redis_available() -> bool:
    return subprocess.run(["which", "redis-server"], capture_output=True, check=False).returncode == 0


# --- the contact center ------------------------------------------------------------------------------


def prepare_database(db_url: str, agents_ready: Sequence[str] = ()) -> list[str]:
    """Migrate, seed demo customers, log ``agents_ready`` as ready (a node starting picks that up from the
    event log, as after a restart); returns customer codes callers can key."""
    engine = make_engine(db_url)
    try:
        migrate(engine)
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            seed_demo(session, n=10)
            codes = list(session.scalars(select(Customer.code).order_by(Customer.id)))
            now = time.time()
            append_events(session, [AgentStateChanged(at=now, agent_id=agent, state=AgentState.READY.value,
                                                      previous=AgentState.LOGGED_OUT.value)
                                    for agent in agents_ready])
        return codes
    finally:
        engine.dispose()


def logged_events(db_url: str) -> list[DomainEvent]:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            return read_events(session)
    finally:
        engine.dispose()


def lost_and_twice(published: Sequence[DomainEvent], logged: Sequence[DomainEvent]) -> tuple[int, int]:
    """Published events missing from the log, and logged events stored more than once."""
    ours = collections.Counter(e.to_json() for e in published)
    stored = collections.Counter(e.to_json() for e in logged)
    return sum((ours - stored).values()), sum(n - 1 for n in stored.values() if n > 1)


def of(events: Sequence[DomainEvent], kind: type[DomainEvent], **match: object) -> list[Any]:
    return [e for e in events if isinstance(e, kind) and all(getattr(e, k) == v for k, v in match.items())]


def caller(code: str, ani: str, *, patience: float = 120.0, talk: float | None = None, after: float = 0.0) -> Caller:
    """A caller who keys ``code`` and picks support, then waits up to ``patience`` s."""
    keyed = ((0.2, code[0]), *((0.05, d) for d in code[1:]), (0.2, "1"))
    return Caller(ani=ani, script=CallerScript(digits=keyed, patience=patience, talk_time=talk), after=after)


def pbx_for(ami_port: int, agi_port: int, answer_after: float = 0.3) -> PbxProcess:
    """The simulated PBX the drills' nodes use: short prompts, agent phones answering at once."""
    return PbxProcess(SimulatorConfig(
        ami_port=ami_port, ami_user=AMI_USER, ami_secret=AMI_SECRET,
        agi_url=f"agi://127.0.0.1:{agi_port}/inbound", shipped_dialplan=True, prompt_seconds=0.2,
        default_phone=PhoneBehaviour(answer_after=answer_after)))


def node_settings(tmp: Path, db_url: str, ami_port: int, agi_port: int, **more: Any) -> dict[str, Any]:
    """The [callcenter] settings of a drill node on the simulated PBX."""
    return {"db_url": db_url, "http_port": 0, "ami_host": "127.0.0.1", "ami_port": ami_port, "agi_port": agi_port,
            "ami_user": AMI_USER, "ami_secret": AMI_SECRET, "data_dir": str(tmp), **more}


def drill_center(agents: int) -> dict[str, Any]:
    """The soak's contact center with no wrap-up, so a freed agent takes the next caller at once."""
    center = contact_center(agents)
    for queue in center["queues"]:
        queue["wrap_up_seconds"] = 0
    return center


# --- nodes as processes ------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {value!r}")


def to_toml(settings: Mapping[str, Any], center: Mapping[str, Any]) -> str:
    """``settings`` as the [callcenter] table, then ``center``'s arrays of tables and tables."""
    lines = ["[callcenter]", *(f"{key} = {_toml_value(v)}" for key, v in settings.items())]
    for name, value in center.items():
        if isinstance(value, list):
            for entry in value:
                lines += ["", f"[[{name}]]", *(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in entry.items())]
        else:
            lines += ["", f"[{name}]", *(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())]
    return "\n".join(lines) + "\n"


class NodeProcess:
    """``python -m callcenter serve`` with a settings file of its own; its operations port tells its role."""

    def __init__(self, tmp: Path, name: str, settings: Mapping[str, Any], center: Mapping[str, Any]) -> None:
        self.name = name
        self.ops_port = free_port()
        self.config = tmp / f"{name}.toml"
        self.config.write_text(to_toml({**settings, "ops_port": self.ops_port}, center))
        self.log = tmp / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.exits: list[int] = []

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "callcenter", "--config", str(self.config), "serve", "-v"],
                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def readiness(self) -> dict[str, Any] | None:
        """The node's /readyz answer, or None when nothing listens."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ops_port}/readyz", timeout=1) as response:
                return dict(json.load(response))
        except urllib.error.HTTPError as exc:
            return dict(json.load(exc))
        except (OSError, ValueError):
            return None

    def role(self) -> str | None:
        ready = self.readiness()
        return None if ready is None else str(ready["role"])

    def exited(self) -> int | None:
        """The exit status once the process has ended (noted in :attr:`exits`)."""
        if self.process is None:
            return None
        code = self.process.poll()
        if code is not None:
            self.exits.append(code)
            self.process = None
        return code

    def kill9(self) -> None:
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@contextlib.contextmanager
def stopping(*nodes: NodeProcess) -> Iterator[None]:
    """Stop every node at the end; on failure, show their logs."""
    try:
        yield
    except BaseException:
        for node in nodes:
            print(f"--- {node.name} log ---\n{node.tail()}", file=sys.stderr)
        raise
    finally:
        for node in nodes:
            node.stop()
