"""``callcenter bench ivr``: many concurrent IVR sessions in one process, none lost, AGI turnaround.

Our :class:`~cti.agi.AgiServer` runs the built-in ``main`` flow; the PBX simulator's FastAGI client
(same process, same event loop) rings in ``sessions`` callers at ``rate`` per second, each keying its
own valid customer code and then 1 (support). Every session holds its line after the IVR until all
have finished it, so they are all up at once. Simulated prompts take no time and callers key at once,
so a command's turnaround (from sending it to its reply, timed around each command at our server) is
protocol and scheduling cost, not media. Counted per session: its outcome (the ``support`` queue with
its own customer, or anything else: wrong) or its loss.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_core.codes import make_customer_code
from cti.agi import AgiServer, AgiSession
from cti.sim import CallerScript, Simulator, SimulatorConfig
from ivr.agi_channel import AgiCallChannel
from ivr.agi_runner import run_flow
from ivr.directory import CustomerRecord, InMemoryDirectory
from ivr.flow import Flow
from ivr.loader import load_builtin_flow
from ivr.outcome import IvrOutcome, OutcomeKind
from ivr.prompts import PromptLibrary
from ivr.tts import SpeechSynthesizer

DNIS = "5551000"
# One name for every caller: the greeting is synthesised once, not once per session.
CUSTOMER_NAME = "Bench Customer"
MENU_CHOICE = "1"  # support
EXPECTED_QUEUE = "support"
FIRST_CODE_NUMBER = 20_000
# Calls per second rung in. The in-process simulator costs about 0.5 ms of CPU per AGI command (our
# server a fraction of it), so on two cores ~100 calls/s (1,700 commands/s) saturate the one event loop
# and turnaround then measures the backlog; 50/s keeps it at half load.
DEFAULT_RATE = 50.0


class TimedChannel:
    """The IVR's call channel with each AGI command's turnaround recorded (nanoseconds)."""

    def __init__(self, inner: AgiCallChannel, turnarounds: list[int]) -> None:
        self._inner = inner
        self._turnarounds = turnarounds

    @property
    def call_id(self) -> str:
        return self._inner.call_id

    @property
    def caller_number(self) -> str:
        return self._inner.caller_number

    @property
    def dialled_number(self) -> str:
        return self._inner.dialled_number

    def _took(self, started: int) -> None:
        self._turnarounds.append(time.perf_counter_ns() - started)

    async def answer(self) -> None:
        started = time.perf_counter_ns()
        try:
            await self._inner.answer()
        finally:
            self._took(started)

    async def stream_file(self, name: str, escape_digits: str = "") -> str | None:
        started = time.perf_counter_ns()
        try:
            return await self._inner.stream_file(name, escape_digits)
        finally:
            self._took(started)

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str | None:
        started = time.perf_counter_ns()
        try:
            return await self._inner.get_data(prompt, timeout_ms, max_digits)
        finally:
            self._took(started)

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        started = time.perf_counter_ns()
        try:
            return await self._inner.say_digits(digits, escape_digits)
        finally:
            self._took(started)

    async def set_variable(self, name: str, value: str) -> None:
        started = time.perf_counter_ns()
        try:
            await self._inner.set_variable(name, value)
        finally:
            self._took(started)

    async def hangup(self) -> object:
        started = time.perf_counter_ns()
        try:
            return await self._inner.hangup()
        finally:
            self._took(started)


@dataclass
class IvrBenchResult:
    """What one run counted and measured."""

    sessions: int
    completed: int  # left the IVR for the support queue carrying the caller's own customer
    wrong: int  # left the IVR some other way
    lost: int  # no outcome at all
    commands: int
    p50_ms: float
    p99_ms: float
    peak_concurrent: int
    seconds: float
    outcomes: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        record: dict[str, Any] = {
            "bench": "ivr", "sessions": self.sessions, "completed": self.completed, "lost": self.lost,
            "wrong": self.wrong, "p50_ms": self.p50_ms, "p99_ms": self.p99_ms, "commands": self.commands,
            "peak_concurrent": self.peak_concurrent, "seconds": self.seconds, "outcomes": self.outcomes,
        }
        return json.dumps(record)


class _Run:
    """The server side of one run: runs the flow per session and holds it until all have finished."""

    def __init__(
        self, flow: Flow, directory: InMemoryDirectory, prompts: PromptLibrary, sessions: int
    ) -> None:
        self.flow = flow
        self.directory = directory
        self.prompts = prompts
        self.sessions = sessions
        self.turnarounds: list[int] = []
        self.outcomes: list[IvrOutcome] = []
        self.all_finished = asyncio.Event()
        self.active = 0
        self.peak = 0

    async def handle(self, session: AgiSession) -> None:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            channel = TimedChannel(AgiCallChannel(session), self.turnarounds)
            self.outcomes.append(await run_flow(channel, self.flow, self.directory, prompts=self.prompts))
            if len(self.outcomes) == self.sessions:
                self.all_finished.set()
            await self.all_finished.wait()
        finally:
            self.active -= 1


def _percentile_ms(samples: list[int], q: float) -> float:
    if not samples:
        return 0.0
    if len(samples) == 1:
        return samples[0] / 1e6
    return statistics.quantiles(samples, n=1000, method="inclusive")[round(q * 1000) - 1] / 1e6


async def run_ivr_bench(
    sessions: int, *, rate: float = DEFAULT_RATE, tts_dir: Path, timeout: float = 120.0
) -> IvrBenchResult:
    """Ring ``sessions`` callers through the main flow and count and time what happened."""
    codes = {f"555{i:07d}": make_customer_code(FIRST_CODE_NUMBER + i) for i in range(sessions)}
    directory = InMemoryDirectory(
        CustomerRecord(id=str(i), code=code, name=CUSTOMER_NAME, tier="normal")
        for i, code in enumerate(codes.values())
    )
    flow = load_builtin_flow("main")
    prompts = PromptLibrary(SpeechSynthesizer(tts_dir))
    await prompts.speak(f"Welcome back, {CUSTOMER_NAME}.", flow.voice)  # synthesised before the clock runs
    run = _Run(flow, directory, prompts, sessions)
    server = AgiServer("127.0.0.1", 0, backlog=max(4096, sessions))
    server.route("ivr", run.handle)
    await server.start()
    simulator = Simulator(SimulatorConfig(
        ami_port=0, agi_url=f"agi://127.0.0.1:{server.port}/ivr", prompt_seconds=0.0,
    ))
    await simulator.start()
    started = time.perf_counter()
    try:
        for i, (ani, code) in enumerate(codes.items()):
            script = CallerScript(digits=tuple((0.0, digit) for digit in code + MENU_CHOICE))
            await simulator.place_inbound_call(DNIS, ani, "", script=script)
            # Pace the arrivals: sleep off whatever the placed calls are ahead of ``rate``.
            ahead = (i + 1) / rate - (time.perf_counter() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
        with contextlib.suppress(TimeoutError):  # what has not finished by then is counted as lost
            await asyncio.wait_for(run.all_finished.wait(), timeout)
        seconds = time.perf_counter() - started
    finally:
        run.all_finished.set()
        await simulator.stop()
        await server.close()

    kinds: dict[str, int] = {}
    completed = 0
    for outcome in run.outcomes:
        kinds[outcome.kind.value] = kinds.get(outcome.kind.value, 0) + 1
        if outcome.kind is OutcomeKind.QUEUE and outcome.queue == EXPECTED_QUEUE \
                and outcome.caller.customer_code == codes.get(outcome.caller.ani or ""):
            completed += 1
    return IvrBenchResult(
        sessions=sessions, completed=completed, wrong=len(run.outcomes) - completed,
        lost=sessions - len(run.outcomes), commands=len(run.turnarounds),
        p50_ms=round(_percentile_ms(run.turnarounds, 0.5), 3),
        p99_ms=round(_percentile_ms(run.turnarounds, 0.99), 3),
        peak_concurrent=run.peak, seconds=round(seconds, 2), outcomes=kinds,
    )


def _handler(args: argparse.Namespace) -> int:
    tts_dir = Path(args.settings.data_dir) / "tts"  # the cache ``serve`` uses too
    result = asyncio.run(run_ivr_bench(args.sessions, rate=args.rate, tts_dir=tts_dir))
    print(f"{result.sessions} IVR sessions ({result.peak_concurrent} at once) in {result.seconds} s: "
          f"{result.completed} completed, {result.wrong} wrong, {result.lost} lost; "
          f"{result.commands} AGI commands, turnaround p50 {result.p50_ms} ms, p99 {result.p99_ms} ms")
    print(result.to_json())
    return 0 if result.lost == 0 and result.wrong == 0 else 1


def register(bench_subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callcenter bench ivr``."""
    parser = bench_subparsers.add_parser(
        "ivr", help="concurrent IVR sessions over FastAGI: none lost, command turnaround"
    )
    parser.add_argument("--sessions", type=int, default=1000, help="simulated callers (default 1000)")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE,
                        help=f"calls rung in per second (default {DEFAULT_RATE:g})")
    parser.set_defaults(func=_handler)
