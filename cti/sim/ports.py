"""What the simulator's parts need of the PBX they serve.

The parts (:mod:`cti.sim.bridging`, :mod:`cti.sim.dialplan`, :mod:`cti.sim.agi_client`,
:mod:`cti.sim.dialing`, :mod:`cti.sim.media`) type against :class:`SimPbx`, so none of them imports
:mod:`cti.sim.pbx`, which assembles them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any, Protocol

from asterisk_conf.checker import Extension
from cti.sim.channel import Channel, Place
from cti.sim.clock import SimClock
from cti.sim.config import SimulatorConfig

Headers = list[tuple[str, str]]
EventSink = Callable[[Headers], None]


class BridgePort(Protocol):
    """The bridges as the other parts use them (:class:`cti.sim.bridging.Bridges`)."""

    def dial(self, leg: Channel, caller: Channel) -> None: ...

    async def stay(self, chan: Channel) -> None: ...

    async def application(self, chan: Channel, data: str) -> object: ...


class DialplanPort(Protocol):
    """The dialplan as the other parts look it up (:class:`cti.sim.dialplan.DialplanRunner`)."""

    def extension(self, context: str, exten: str) -> Extension | None: ...

    def has_step(self, place: Place) -> bool: ...


class DialPort(Protocol):
    """The ``Dial`` application (:class:`cti.sim.dialing.Dialer`)."""

    async def dial_and_bridge(self, caller: Channel, dial_string: str, timeout: float | None,
                              auto_answer_after: float | None = None) -> str: ...


class SimPbx(Protocol):
    """The simulated PBX (:class:`cti.sim.pbx.Pbx`) as its parts see it."""

    @property
    def config(self) -> SimulatorConfig: ...

    @property
    def clock(self) -> SimClock: ...

    @property
    def database(self) -> dict[tuple[str, str], str]: ...

    @property
    def bridges(self) -> BridgePort: ...

    @property
    def dialplan(self) -> DialplanPort: ...

    @property
    def dialer(self) -> DialPort: ...

    def emit(self, event: str, privilege: str, headers: Iterable[tuple[str, str]]) -> None: ...

    def chan_event(
        self, event: str, privilege: str, chan: Channel, extra: Sequence[tuple[str, str]] = ()
    ) -> None: ...

    def newexten(self, chan: Channel, application: str, data: str = "", *, step: bool = True) -> None: ...

    def set_variable(self, chan: Channel | None, name: str, value: str) -> None: ...

    def get_variable(self, chan: Channel | None, name: str) -> str | None: ...

    def set_state(self, chan: Channel, state: int) -> None: ...

    def add_channel(self, chan: Channel) -> None: ...

    def find_prefix(self, text: str) -> Channel | None: ...

    def answer(self, chan: Channel) -> None: ...

    def hangup(self, chan: Channel, cause: int, *, soft_cause: int | None = 16) -> None: ...

    def deliver_dtmf(self, chan: Channel, digit: str, duration_ms: int) -> None: ...

    def spawn(self, coro: Callable[[], Coroutine[Any, Any, object]]) -> None: ...

    async def run_dialplan(self, chan: Channel) -> None: ...
