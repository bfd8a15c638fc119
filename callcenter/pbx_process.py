"""The PBX simulator in a process of its own, driven over a pipe: what benchmarks and fault drills run a node
against. Like a real Asterisk it is reached over AMI and FastAGI only, its work never runs on the node's
event loop, and it can be killed (``kill -9``) and started again on the same ports.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from typing import Any

from cti.sim import CallerScript, Simulator, SimulatorConfig


@dataclasses.dataclass(frozen=True, slots=True)
class Caller:
    """A call to ring in ``after`` seconds from the request that carries it."""

    ani: str
    script: CallerScript
    dnis: str = "5551000"
    after: float = 0.0


class PbxProcessError(RuntimeError):
    """The simulator process refused a request or died."""


async def _serve(config: SimulatorConfig, conn: Connection) -> None:
    sim = Simulator(config)
    await sim.start()
    loop = asyncio.get_running_loop()
    scheduled: set[asyncio.Task[None]] = set()

    async def ring_later(callers: list[Caller]) -> None:
        begin = loop.time()
        for caller in callers:
            await asyncio.sleep(max(0.0, begin + caller.after - loop.time()))
            await sim.place_inbound_call(caller.dnis, caller.ani, "", script=caller.script)

    conn.send(("ok", sim.ami_port))
    try:
        while True:
            request, args = await loop.run_in_executor(None, conn.recv)
            reply: Any = None
            if request == "stop":
                break
            if request == "ring":
                reply = [await sim.place_inbound_call(c.dnis, c.ani, "", script=c.script) for c in args]
            elif request == "schedule":
                task = loop.create_task(ring_later(args))
                scheduled.add(task)
                task.add_done_callback(scheduled.discard)
            elif request == "hang_up":
                chan = sim.pbx.find(args)
                if chan is not None:
                    sim.pbx.hangup(chan, 16)
                reply = chan is not None
            elif request == "channels":
                reply = sim.live_channels()
            conn.send(("ok", reply))
    finally:
        for task in scheduled:
            task.cancel()
        await sim.stop()
        conn.send(("ok", None))


def _main(config: SimulatorConfig, conn: Connection) -> None:
    asyncio.run(_serve(config, conn))


class PbxProcess:
    """Runs :class:`cti.sim.Simulator` with ``config`` in a spawned process (give it a fixed AMI port to
    start it again on the same one after :meth:`kill`)."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.ami_port = config.ami_port
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self) -> None:
        """Spawn the simulator and wait until its AMI port listens."""
        spawn = multiprocessing.get_context("spawn")
        ours, theirs = spawn.Pipe()
        self._process = spawn.Process(target=_main, args=(self.config, theirs), daemon=True,
                                      name="pbx-simulator")
        self._process.start()
        theirs.close()
        self._conn = ours
        self.ami_port = await self._receive(timeout=60.0)

    async def _receive(self, timeout: float) -> Any:
        conn = self._conn
        if conn is None:
            raise PbxProcessError("the simulator process is not running")
        loop = asyncio.get_running_loop()
        polled = await loop.run_in_executor(None, conn.poll, timeout)
        if not polled:
            raise PbxProcessError(f"the simulator process did not answer within {timeout} s")
        try:
            status, value = conn.recv()
        except EOFError as exc:
            raise PbxProcessError("the simulator process died") from exc
        if status != "ok":
            raise PbxProcessError(str(value))
        return value

    async def _ask(self, request: str, args: Any = None, timeout: float = 30.0) -> Any:
        async with self._lock:
            if self._conn is None:
                raise PbxProcessError("the simulator process is not running")
            self._conn.send((request, args))
            return await self._receive(timeout)

    async def ring(self, callers: list[Caller]) -> list[str]:
        """Ring ``callers`` in now; their caller-side channel names."""
        channels: list[str] = await self._ask("ring", callers)
        return channels

    async def schedule(self, callers: list[Caller]) -> None:
        """Ring each of ``callers`` in ``caller.after`` seconds from now (returns at once)."""
        await self._ask("schedule", callers)

    async def hang_up(self, channel: str) -> bool:
        """Hang ``channel`` up as the network would; False when it is gone already."""
        found: bool = await self._ask("hang_up", channel)
        return found

    async def channels(self) -> list[str]:
        """The channels alive in the PBX."""
        names: list[str] = await self._ask("channels")
        return names

    def kill(self) -> None:
        """``kill -9``: every call and the AMI listener vanish at once."""
        if self._process is not None and self._process.pid is not None and self._process.is_alive():
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.join(10)
        self._forget()

    async def stop(self) -> None:
        """Stop the simulator (calls hung up); kill it if it does not stop in time."""
        if self._process is None:
            return
        try:
            if self._process.is_alive():
                await self._ask("stop", timeout=15.0)
        except (PbxProcessError, OSError):
            pass
        finally:
            await asyncio.get_running_loop().run_in_executor(None, self._process.join, 10)
            self.kill()

    def _forget(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._process = None, None
