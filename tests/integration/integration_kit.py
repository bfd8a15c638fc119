"""Helpers for the integration tests: the real simulator, our AMI client and FastAGI server together."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from bus.eventbus import EventBus
from bus.events import DomainEvent
from cti.agi import AgiHangup, AgiServer, AgiSession
from cti.ami.backoff import Backoff
from cti.ami.client import AmiClient, AmiConfig
from cti.ami.protocol import AmiMessage
from cti.sim import Simulator, SimulatorConfig

USER = "cti"
SECRET = "ctisecret"
# Generous for a loaded 2-core machine; every wait ends as soon as its condition holds.
WAIT = 10.0

E = TypeVar("E", bound=DomainEvent)


class Changes:
    """Something that changes over time, with awaitable conditions on it (no polling sleeps)."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()

    def changed(self) -> None:
        self._changed.set()

    async def wait_for(self, predicate: Callable[[], object], timeout: float = WAIT) -> None:
        async def loop() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)


class BusRecorder(Changes):
    """Every event published on ``bus``, with the monotonic time it was published."""

    def __init__(self, bus: EventBus) -> None:
        super().__init__()
        self.events: list[DomainEvent] = []
        self.times: list[float] = []
        bus.add_listener(self._record)

    def _record(self, event: DomainEvent) -> None:
        self.events.append(event)
        self.times.append(time.monotonic())
        self.changed()

    def of(self, kind: type[E], since: int = 0) -> list[E]:
        return [e for e in self.events[since:] if isinstance(e, kind)]

    async def next(self, kind: type[E], since: int = 0, timeout: float = WAIT) -> E:
        """The first ``kind`` event at or after index ``since`` (waiting for it if need be)."""
        await self.wait_for(lambda: self.of(kind, since), timeout)
        return self.of(kind, since)[0]


class SimEvents(Changes):
    """The raw AMI events of a simulator as header lists, seen from inside (also while AMI is down)."""

    def __init__(self, sim: Simulator) -> None:
        super().__init__()
        self.events: list[list[tuple[str, str]]] = []
        sim.add_event_sink(self._record)

    def _record(self, headers: list[tuple[str, str]]) -> None:
        self.events.append(list(headers))
        self.changed()

    def named(self, name: str) -> list[dict[str, str]]:
        return [dict(h) for h in self.events if h[0] == ("Event", name)]


class ActionSpy(Changes):
    """Every action the simulator's AMI server received, in order (installed by a fixture)."""

    def __init__(self) -> None:
        super().__init__()
        self.actions: list[AmiMessage] = []

    def record(self, action: AmiMessage) -> None:
        self.actions.append(action)
        self.changed()

    def names(self, since: int = 0) -> list[str]:
        return [a.name for a in self.actions[since:]]


class HoldingIvr(Changes):
    """A FastAGI handler that answers, then holds each call until the caller presses ``#``.

    On ``#`` our side hangs up with AGI ``HANGUP``; a call the caller ends simply finishes.
    ``sessions`` maps channel names to the sessions being held.
    """

    def __init__(self) -> None:
        super().__init__()
        self.sessions: dict[str, AgiSession] = {}

    async def __call__(self, session: AgiSession) -> None:
        try:
            await session.answer()
            self.sessions[session.channel] = session
            self.changed()
            while await session.wait_for_digit(-1) != "#":
                pass
            await session.hangup()
        except AgiHangup:
            pass
        finally:
            self.sessions.pop(session.channel, None)
            self.changed()


def ami_config(port: int, **overrides: object) -> AmiConfig:
    """Our client aimed at a simulator; default reconnect backoff (the product's), short waits."""
    settings: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "username": USER,
        "secret": SECRET,
        "connect_timeout": 2.0,
        "action_timeout": 5.0,
        "ping_interval": 30.0,
        "backoff": Backoff(),
    }
    settings.update(overrides)
    return AmiConfig(**settings)  # type: ignore[arg-type]


def sim_config(agi_port: int = 1, path: str = "ivr", **overrides: object) -> SimulatorConfig:
    """A simulator on a free AMI port whose inbound calls go to ``agi://127.0.0.1:<agi_port>/<path>``."""
    settings: dict[str, object] = {
        "ami_port": 0,
        "ami_user": USER,
        "ami_secret": SECRET,
        "agi_url": f"agi://127.0.0.1:{agi_port}/{path}",
    }
    settings.update(overrides)
    return SimulatorConfig(**settings)  # type: ignore[arg-type]


async def start_agi(routes: Iterable[tuple[str, Callable[[AgiSession], object]]]) -> AgiServer:
    server = AgiServer("127.0.0.1", 0, shutdown_grace=1.0)
    for path, handler in routes:
        server.route(path, handler)  # type: ignore[arg-type]
    await server.start()
    return server


def uniqueids_of(sim: Simulator) -> set[str]:
    return {chan.uniqueid for chan in sim.pbx.channels.values()}


def client_uniqueids(client: AmiClient) -> set[str]:
    return {info.uniqueid for info in client.channels}
