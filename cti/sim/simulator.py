"""The embedded PBX simulator: an AMI server and FastAGI client over one simulated PBX."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from cti.sim.ami_server import AmiServer
from cti.sim.clock import SimClock
from cti.sim.config import CallerScript, SimulatorConfig
from cti.sim.pbx import Pbx
from cti.sim.ports import Headers
from cti.sim.traffic import arrivals


class Simulator:
    """Start with :meth:`start`, stop with :meth:`stop`. :meth:`stop_ami` and :meth:`start_ami` kill and
    restart only the AMI listener: calls stay up, as they would in a PBX whose manager went away."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.clock = SimClock(self.config.speed)
        self.pbx = Pbx(self.config, self.clock)
        self._ami: AmiServer | None = None
        self._port = self.config.ami_port
        self._traffic: asyncio.Task[None] | None = None

    @property
    def ami_port(self) -> int:
        """The bound AMI port (useful when configured as 0)."""
        return self._ami.port if self._ami is not None else self._port

    async def start(self) -> None:
        await self.start_ami()
        if self.config.traffic.calls_per_hour > 0:
            self._traffic = asyncio.get_running_loop().create_task(self._run_traffic())

    async def stop(self) -> None:
        if self._traffic is not None:
            self._traffic.cancel()
            await asyncio.gather(self._traffic, return_exceptions=True)
            self._traffic = None
        await self.stop_ami()
        await self.pbx.shutdown()

    async def start_ami(self) -> None:
        """(Re)open the AMI listener on the same port as before."""
        if self._ami is not None:
            return
        ami = AmiServer(
            self.pbx,
            self.config.ami_host,
            self._port,
            self.config.ami_user,
            self.config.ami_secret,
            auth_delay=self.config.auth_failure_delay,
        )
        await ami.start()
        self._ami = ami
        self._port = ami.port

    async def stop_ami(self) -> None:
        """Drop the AMI listener and every manager connection; the calls carry on."""
        if self._ami is not None:
            await self._ami.stop()
            self._ami = None

    def add_event_sink(self, sink: Callable[[Headers], None]) -> None:
        """Also deliver every AMI event (as header pairs) to ``sink``; for tests and tools."""
        self.pbx.sinks.append(sink)

    async def place_inbound_call(
        self,
        dnis: str,
        caller_num: str,
        caller_name: str = "",
        *,
        script: CallerScript | None = None,
        variables: Sequence[tuple[str, str]] = (),
    ) -> str:
        """Ring a call into the inbound context; returns the caller-side channel name (``…;1``)."""
        return self.pbx.dialer.place_inbound_call(dnis, caller_num, caller_name, script, variables).name

    def live_channels(self) -> list[str]:
        return list(self.pbx.channels)

    async def _run_traffic(self) -> None:
        settings = self.config.traffic
        elapsed = 0.0
        for arrival in arrivals(settings, self.config.seed):
            await self.clock.sleep(arrival.at - elapsed)
            elapsed = arrival.at
            # A caller starts keying a second after the prompt begins, then a digit every 0.3 s.
            digits = tuple((1.0 if i == 0 else 0.3, d) for i, d in enumerate(arrival.code))
            script = CallerScript(digits=digits, patience=arrival.patience, talk_time=arrival.handle_time)
            self.pbx.dialer.place_inbound_call(settings.dnis, arrival.caller_num, "", script)
