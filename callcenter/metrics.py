"""What a node exposes to Prometheus at ``/metrics`` (the maintained ``prometheus_client`` library).

Counters follow the bus (calls offered, answered, abandoned per queue; consultations are left out, as on
the wall); everything else is read from the running parts when Prometheus scrapes, so nothing has to be
kept in step. Each node has a registry of its own, so several nodes in one process (tests) never mix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from acd.agents import AgentState
from acd.core import Acd
from acd.events import CallAbandoned, CallConnected, CallQueued
from bus.eventbus import EventBus
from bus.events import DomainEvent


class NodeParts(Protocol):
    """The running parts the scrape reads; None while a part is not (yet) running."""

    def acd_core(self) -> Acd | None: ...

    def ami_state(self) -> tuple[bool, float | None]:
        """Whether the PBX link is up, and the last keepalive round trip in seconds."""
        ...

    def fastagi_sessions(self) -> int | None: ...

    def websocket_clients(self) -> int | None: ...

    def event_log_state(self) -> tuple[int, float | None, int, bool]:
        """Events waiting to be written, the age of the oldest in seconds, failed writes, store unreachable."""
        ...

    def leading(self) -> bool: ...


class EventLoopLag:
    """How late a periodic timer fires: a loop stalled by work delays every AMI event and FastAGI reply."""

    def __init__(self, period: float = 0.5) -> None:
        self.period = period
        self.last = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="event-loop-lag")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            planned = loop.time() + self.period
            await asyncio.sleep(self.period)
            self.last = max(0.0, loop.time() - planned)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None


class _Scraped(Collector):
    """Gauges read from the running parts at each scrape."""

    def __init__(self, parts: NodeParts, loop_lag: EventLoopLag) -> None:
        self._parts = parts
        self._loop_lag = loop_lag

    def collect(self) -> Iterator[Metric]:
        parts = self._parts
        acd = parts.acd_core()
        waiting = GaugeMetricFamily("callcenter_callers_waiting", "Callers waiting in each queue", labels=["queue"])
        agents = GaugeMetricFamily("callcenter_agents", "Agents in each state", labels=["state"])
        if acd is not None:
            for queue in acd.config.queues:
                waiting.add_metric([queue.name], acd.waiting(queue.name))
            counts = dict.fromkeys(AgentState, 0)
            for agent in acd.agents():
                counts[agent.state] += 1
            for state, count in counts.items():
                agents.add_metric([state.value], count)
        yield waiting
        yield agents
        connected, round_trip = parts.ami_state()
        yield GaugeMetricFamily("callcenter_ami_connected", "1 when the AMI link to the PBX is logged in",
                                value=int(connected))
        if round_trip is not None:
            yield GaugeMetricFamily("callcenter_ami_round_trip_seconds", "Round trip of the last AMI keepalive Ping",
                                    value=round_trip)
        yield GaugeMetricFamily("callcenter_event_loop_lag_seconds",
                                "How late the last periodic timer fired (AMI events wait as long)",
                                value=self._loop_lag.last)
        for name, help_text, value in (
            ("callcenter_fastagi_sessions", "FastAGI sessions open", parts.fastagi_sessions()),
            ("callcenter_websocket_clients", "Browser WebSockets connected", parts.websocket_clients()),
        ):
            if value is not None:
                yield GaugeMetricFamily(name, help_text, value=value)
        pending, oldest, failures, unreachable = parts.event_log_state()
        yield GaugeMetricFamily("callcenter_event_log_pending_events", "Events waiting to be written to the log",
                                value=pending)
        yield GaugeMetricFamily("callcenter_event_log_write_lag_seconds",
                                "Age of the oldest event not yet written to the log", value=oldest or 0.0)
        yield GaugeMetricFamily("callcenter_database_errors", "Writes to the database that failed since start",
                                value=failures)
        yield GaugeMetricFamily("callcenter_database_unreachable", "1 while the event store cannot be reached",
                                value=int(unreachable))
        yield GaugeMetricFamily("callcenter_leader", "1 on the node that leads the ACD", value=int(parts.leading()))


class NodeMetrics:
    """The node's registry: bus counters plus the scraped gauges."""

    def __init__(self, bus: EventBus, parts: NodeParts, *, keep: Callable[[DomainEvent], bool] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.loop_lag = EventLoopLag()
        labels = ["queue"]
        self._offered = Counter("callcenter_calls_offered", "Calls that entered a queue", labels,
                                registry=self.registry)
        self._answered = Counter("callcenter_calls_answered", "Calls an agent answered", labels,
                                 registry=self.registry)
        self._abandoned = Counter("callcenter_calls_abandoned", "Callers who hung up while waiting", labels,
                                  registry=self.registry)
        self.registry.register(_Scraped(parts, self.loop_lag))
        self._keep = keep
        self._bus = bus
        bus.add_listener(self._count, CallQueued, CallConnected, CallAbandoned)

    def _count(self, event: DomainEvent) -> None:
        # A consultation is not a call to the queue; another node's event is counted by that node.
        if getattr(event, "consult_of", None) is not None or (self._keep is not None and not self._keep(event)):
            return
        if isinstance(event, CallQueued):
            self._offered.labels(event.queue).inc()
        elif isinstance(event, CallConnected):
            self._answered.labels(event.queue).inc()
        elif isinstance(event, CallAbandoned):
            self._abandoned.labels(event.queue).inc()

    def close(self) -> None:
        self._bus.remove_listener(self._count)
