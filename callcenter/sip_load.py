"""Real SIP load through a real Asterisk: the rig behind ``callcenter bench sip`` and its test.

The site is the one ``callcenter asterisk-config`` renders plus a generated ``pjsip.conf``: one UDP
transport on loopback, a trunk endpoint ``callers`` (matched by address, calls land in
``callcenter-inbound``) and one endpoint per agent, ``PJSIP/<agent id>``, whose contact is the agents'
phones. Callers and phones are sipp user agents running the scenarios of ``callcenter/sip_scenarios``:
a caller keys its customer code as SIP INFO, picks support in the menu and waits until the PBX hangs
up (after the agent did) or its patience runs out; one sipp server is every agent's phone (rings,
answers, hangs up after the talk time) and notes when each phone rang. The node runs in a process of
its own, with demo customers seeded so the codes are valid and every agent ready, so its CPU time and
memory are its own (``/proc/<pid>/stat`` and ``statm``).

The time from an agent being free to the agent's phone ringing, per call the ACD offered, runs from
the later of the caller being queued (``CallQueued``) and the agent becoming ready
(``AgentStateChanged`` to ready), both in the node's event log, to the INVITE reaching the agent's
phone (the phones' sipp log; same machine, same clock). ``offer_ms`` is the ACD's part of it: up to
its ``CallOffered``.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from acd.agents import AgentState
from acd.events import AgentStateChanged, CallOffered, CallQueued
from asterisk_conf.local_pbx import PJSIP_MODULES, LocalAsterisk, free_port, running_asterisk
from asterisk_conf.site import SiteConfig
from bus.events import DomainEvent
from callcenter.node import Node, NodeStartError
from callcenter.screenpop_bench import FIRST_AGENT_ID, contact_center, percentile
from callcenter.settings import Settings
from callcenter.wiring import crm_directory, desktop_app
from crm_core.db import make_engine, make_session_factory, migrate, session_scope
from crm_core.demo import seed_demo
from crm_core.eventlog import read_logged
from crm_core.models import Customer, Interaction

SCENARIOS = Path(__file__).with_name("sip_scenarios")
SOUNDS = Path("/usr/share/asterisk/sounds")
# The number callers dial (the DNIS): any number lands in callcenter-inbound.
DIALLED = "8005550100"
# When a caller keys (see sip_scenarios/caller.xml): the code 2.5 s into its 4.9 s prompt (the welcome takes
# 2.5 s), the menu's "1" when its 10.7 s prompt plays, after a greeting of up to 2.7 s and a ticket read back
# in up to 5.4 s, or the greeting alone.
CALLER_TIMING = {"code_after_ms": 5000, "digit_gap_ms": 250, "menu_after_ms": 10_000}
NODE_START_SECONDS = 60.0
ROWS_SETTLE_SECONDS = 15.0
SAMPLE_SECONDS = 0.5


class SipLoadError(RuntimeError):
    """The rig could not be set up (no Asterisk or sipp, a part that would not start)."""


@dataclass(frozen=True)
class RigOptions:
    """What the rig runs: the binaries, how many agents, how phones and callers behave (milliseconds),
    and where the node keeps its spoken prompts (reused from one run to the next)."""

    asterisk: str
    data_dir: Path
    sipp: str = "sipp"
    agents: int = 5
    customers: int = 300
    ring_ms: int = 500
    talk_ms: int = 3000
    patience_ms: int = 60_000
    # Where the run's files go (scenarios, sipp logs, the node's database); a temporary directory if None.
    work_dir: Path | None = None


@dataclass(frozen=True)
class Assignment:
    """One call offered to an agent: when both were free, when the ACD offered it, when the phone rang."""

    call_id: str
    agent_id: str
    free_at: float
    offered_at: float
    rang_at: float | None


@dataclass(frozen=True)
class Usage:
    """A process's CPU time so far (with its waited-for children) and resident memory."""

    cpu_seconds: float
    rss_bytes: int


@dataclass
class RateFigures:
    """What one rate did. ``accounted``: calls with exactly one closed interaction row; ``completed``:
    answered by an agent and hung up by the PBX when the agent did; ``identified``: rows carrying the
    code the caller keyed; latencies in ms (see the module docstring); CPU in percent of one core."""

    rate_per_s: float
    calls: int
    completed: int = 0
    abandoned: int = 0
    failed: int = 0
    accounted: int = 0
    identified: int = 0
    # Identified or not, calls that reached another queue than support: the menu missed the caller's "1".
    menu_missed: int = 0
    offered: int = 0
    rang: int = 0
    ring_p50_ms: float | None = None
    ring_p95_ms: float | None = None
    ring_max_ms: float | None = None
    offer_p50_ms: float | None = None
    offer_p95_ms: float | None = None
    node_cpu_percent: float = 0.0
    node_cpu_peak_percent: float = 0.0
    node_rss_mib: float = 0.0
    node_rss_peak_mib: float = 0.0
    asterisk_cpu_percent: float = 0.0
    asterisk_rss_mib: float = 0.0
    node_loop_lag_peak_ms: float | None = None
    ami_round_trip_peak_ms: float | None = None
    event_log_lag_peak_ms: float | None = None
    fastagi_sessions_peak: float | None = None
    # The machine's 1-minute load average at the end (the node shares its cores with Asterisk and sipp).
    load_average: float = 0.0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def held(self, max_ring_ms: float) -> bool:
        """Every call completed, accounted for and identified, and a free agent's phone rang in time."""
        return (self.completed == self.accounted == self.identified == self.calls
                and self.ring_p95_ms is not None and self.ring_p95_ms <= max_ring_ms)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the site ----------------------------------------------------------------------------------------


def pjsip_conf(sip_port: int, phones_port: int, agent_ids: Sequence[str]) -> str:
    """The PJSIP part of the site: the callers' trunk and every agent's phone, on loopback.

    Media stays in Asterisk (``direct_media = no``: sipp answers no re-INVITE); callers key as SIP INFO,
    phones get RFC 4733 (a key a caller presses while talking goes to the agent as audio events).
    """
    common = "transport = udp\ndisallow = all\nallow = ulaw\ndirect_media = no\n"
    parts = [
        f"[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:{sip_port}\n",
        f"[callers]\ntype = endpoint\ncontext = callcenter-inbound\ndtmf_mode = info\n{common}",
        "[callers-by-address]\ntype = identify\nendpoint = callers\nmatch = 127.0.0.1\n",
    ]
    for agent in agent_ids:
        parts.append(f"[{agent}]\ntype = endpoint\ncontext = callcenter-inbound\naors = {agent}\n"
                     f"dtmf_mode = rfc4733\n{common}")
        parts.append(f"[{agent}]\ntype = aor\ncontact = sip:{agent}@127.0.0.1:{phones_port}\n")
    return "\n".join(parts)


def scenario(name: str, **values: int) -> str:
    """The sipp scenario ``name`` with its ``{placeholders}`` filled in."""
    return (SCENARIOS / f"{name}.xml").read_text(encoding="utf-8").format(**values)


# --- the figures -------------------------------------------------------------------------------------


def assignments(events: Sequence[DomainEvent], rings: Sequence[tuple[str, float]]) -> list[Assignment]:
    """Every call offered in ``events`` (in log order), with the phone ring of ``rings`` ((agent, time))
    that followed: the first ring of that agent after the offer and before the agent's next offer."""
    ready_at: dict[str, float] = {}
    queued_at: dict[str, float] = {}
    offers: list[tuple[CallOffered, float]] = []
    for event in events:
        if isinstance(event, AgentStateChanged) and event.state == AgentState.READY:
            ready_at[event.agent_id] = event.at
        elif isinstance(event, CallQueued) and event.consult_of is None:
            queued_at[event.call_id] = event.at
        elif isinstance(event, CallOffered) and event.consult_of is None:
            free = max(queued_at.get(event.call_id, event.at), ready_at.get(event.agent_id, event.at))
            offers.append((event, free))
    rung: dict[str, list[float]] = defaultdict(list)
    for agent, at in rings:
        rung[agent].append(at)
    per_agent: dict[str, list[int]] = defaultdict(list)
    for index, (offer, _) in enumerate(offers):
        per_agent[offer.agent_id].append(index)
    rang_at: dict[int, float] = {}
    for agent, indices in per_agent.items():
        for turn, index in enumerate(indices):
            begin = offers[index][0].at
            end = offers[indices[turn + 1]][0].at if turn + 1 < len(indices) else math.inf
            ring = min((at for at in rung[agent] if begin <= at < end), default=None)
            if ring is not None:
                rang_at[index] = ring
    return [Assignment(offer.call_id, offer.agent_id, free, offer.at, rang_at.get(index))
            for index, (offer, free) in enumerate(offers)]


def parse_rings(lines: Sequence[str]) -> list[tuple[str, float]]:
    """(agent, time) of the phones' log lines ``ring <agent> <seconds> <microseconds>``."""
    rings = []
    for line in lines:
        words = line.split()
        if len(words) == 4 and words[0] == "ring":
            rings.append((words[1], float(words[2]) + float(words[3]) / 1e6))
    return rings


def sipp_errors(text: str) -> list[str]:
    """The distinct events of a sipp error file, less the receive timeouts our scenarios wait with."""
    events = (e.strip() for e in _SIPP_EVENT.split(text.partition("\n")[2]))
    return list(dict.fromkeys(e for e in events if e and "jumping to label" not in e))


_SIPP_EVENT = re.compile(r"\d{4}-\d\d-\d\d\t[\d:.]+\t[\d.]+: ")


def parse_callers(lines: Sequence[str]) -> dict[str, set[str]]:
    """Caller numbers per word of the callers' log (``answered``, ``ended``, ``abandoned``)."""
    seen: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        words = line.split()
        if len(words) == 2:
            seen[words[0]].add(words[1])
    return seen


def usage(pid: int) -> Usage:
    """The CPU time and RSS of process ``pid`` from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # Fields after the command name (which may hold spaces): state is field 3, utime..cstime 14..17.
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = sum(int(v) for v in fields[11:15])
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return Usage(ticks / os.sysconf("SC_CLK_TCK"), pages * os.sysconf("SC_PAGE_SIZE"))


# The node's gauges (its /metrics) whose peaks say where it was slow: name -> (figure, scale).
NODE_GAUGES = {
    "callcenter_event_loop_lag_seconds": ("node_loop_lag_peak_ms", 1000.0),
    "callcenter_ami_round_trip_seconds": ("ami_round_trip_peak_ms", 1000.0),
    "callcenter_event_log_write_lag_seconds": ("event_log_lag_peak_ms", 1000.0),
    "callcenter_fastagi_sessions": ("fastagi_sessions_peak", 1.0),
}


def scrape_gauges(url: str) -> dict[str, float]:
    """The :data:`NODE_GAUGES` a node's operations listener reports, as figures."""
    with urllib.request.urlopen(url, timeout=2) as response:
        text = response.read().decode()
    found = {}
    for family in text_string_to_metric_families(text):
        if family.name in NODE_GAUGES and family.samples:
            figure, scale = NODE_GAUGES[family.name]
            found[figure] = family.samples[0].value * scale
    return found


class UsageSampler:
    """Samples processes every :data:`SAMPLE_SECONDS` in a thread: peak CPU (over a sample) and peak RSS,
    and the peaks of the node's gauges at ``metrics_url``."""

    def __init__(self, pids: Sequence[int], metrics_url: str | None = None) -> None:
        self.pids = list(pids)
        self.metrics_url = metrics_url
        self.peak_gauges: dict[str, float] = {}
        self.first = {pid: usage(pid) for pid in self.pids}
        self.last = dict(self.first)
        self.started = time.monotonic()
        self.peak_cpu = dict.fromkeys(self.pids, 0.0)
        self.peak_rss = {pid: u.rss_bytes for pid, u in self.first.items()}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        """Note each process's usage (kept as it was last seen once the process is gone) and the gauges."""
        for pid in self.pids:
            with contextlib.suppress(OSError):
                self.last[pid] = usage(pid)
        if self.metrics_url is not None:
            with contextlib.suppress(OSError, ValueError):
                for figure, value in scrape_gauges(self.metrics_url).items():
                    self.peak_gauges[figure] = max(value, self.peak_gauges.get(figure, 0.0))

    def _run(self) -> None:
        last_at = time.monotonic()
        while not self._stop.wait(SAMPLE_SECONDS):
            now = time.monotonic()
            before = dict(self.last)
            self._sample()
            for pid in self.pids:
                busy = (self.last[pid].cpu_seconds - before[pid].cpu_seconds) / max(now - last_at, 1e-6)
                self.peak_cpu[pid] = max(self.peak_cpu[pid], 100.0 * busy)
                self.peak_rss[pid] = max(self.peak_rss[pid], self.last[pid].rss_bytes)
            last_at = now

    def stop(self) -> dict[int, tuple[float, Usage]]:
        """Per process: mean CPU percent since the start, and the usage last seen."""
        self._stop.set()
        self._thread.join()
        self._sample()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return {pid: (100.0 * (self.last[pid].cpu_seconds - self.first[pid].cpu_seconds) / elapsed, self.last[pid])
                for pid in self.pids}


def _ms(seconds: list[float], p: float) -> float | None:
    value = percentile([s * 1000.0 for s in seconds], p)
    return None if value is None else round(value, 1)


# --- the node's process ------------------------------------------------------------------------------


def _node_process(settings: Settings, agent_ids: list[str], conn: Connection) -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_node(settings, agent_ids, conn))


async def _node(settings: Settings, agent_ids: list[str], conn: Connection) -> None:
    """Start a node, make every agent ready, say so on ``conn``, and stop when told."""
    node = Node(settings, directory_factory=crm_directory, say=lambda _: None)
    try:
        try:
            await node.start(web_app=desktop_app)
        except NodeStartError as exc:
            conn.send(f"node did not start: {exc}")
            return
        assert node.acd_service is not None
        for agent in agent_ids:
            await node.acd_service.set_ready(agent)
        assert node.ops is not None
        conn.send(("ready", node.ops.port))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    finally:
        await node.stop()


# --- the rig -----------------------------------------------------------------------------------------


@dataclass
class SipLoadRig:
    """A running site (Asterisk, the node's process, the phones); :meth:`run_rate` rings callers in."""

    options: RigOptions
    root: Path
    asterisk: LocalAsterisk
    node_pid: int
    ops_port: int
    sessions: sessionmaker[Session]
    sip_port: int
    codes: list[str]
    phones_log: Path
    say: Callable[[str], None]
    _runs: int = 0
    _log_position: int = 0
    _phones_read: int = 0

    def run_rate(self, rate: float, seconds: float) -> RateFigures:
        """Ring ``rate`` callers a second in for ``seconds``; return the figures once every call ended."""
        self._runs += 1
        run = self.root / f"run{self._runs}"
        run.mkdir()
        count = max(1, round(rate * seconds))
        callers = {f"555{self._runs:02d}{i:05d}": self.codes[(self._runs * 7919 + i) % len(self.codes)]
                   for i in range(count)}
        with open(run / "callers.csv", "w", newline="") as out:
            out.write("SEQUENTIAL\n")
            csv.writer(out, delimiter=";", lineterminator="\n").writerows((code, ani) for ani, code in callers.items())
        (run / "caller.xml").write_text(scenario("caller", patience_ms=self.options.patience_ms, **CALLER_TIMING))
        command = [
            self.options.sipp, f"127.0.0.1:{self.sip_port}", "-sf", str(run / "caller.xml"),
            "-inf", str(run / "callers.csv"), "-s", DIALLED, "-i", "127.0.0.1",
            "-p", str(free_port(socket.SOCK_DGRAM)), "-mp", str(free_port(socket.SOCK_DGRAM)),
            "-r", f"{rate:g}", "-m", str(count), "-l", str(count), "-nostdin",
            "-trace_logs", "-log_file", str(run / "callers.log"), "-trace_err", "-error_file", str(run / "errors.log"),
        ]
        figures = RateFigures(rate_per_s=rate, calls=count)
        sampler = UsageSampler([self.node_pid, self.asterisk.pid], f"http://127.0.0.1:{self.ops_port}/metrics")
        began = time.monotonic()
        limit = seconds + self.options.patience_ms / 1000 + 120
        with open(run / "sipp.out", "wb") as screen:
            try:
                done = subprocess.run(command, stdout=screen, stderr=subprocess.STDOUT, check=False, timeout=limit)
            except subprocess.TimeoutExpired:
                figures.notes.append(f"the callers' sipp had not finished after {limit:.0f} s: stopped")
            else:
                if done.returncode not in (0, 1):
                    raise SipLoadError(f"sipp (callers) exited {done.returncode}: {_tail(run / 'sipp.out')}")
        if self.asterisk.process.poll() is not None:
            figures.notes.append(f"Asterisk exited ({self.asterisk.process.returncode}) during the run: "
                                 f"{_tail(self.asterisk.root / 'log' / 'messages.log', 300)}")
        used = sampler.stop()
        figures.seconds = round(time.monotonic() - began, 1)
        figures.load_average = round(os.getloadavg()[0], 2)
        node_cpu, node_now = used[self.node_pid]
        ast_cpu, ast_now = used[self.asterisk.pid]
        figures.node_cpu_percent = round(node_cpu, 1)
        figures.node_cpu_peak_percent = round(sampler.peak_cpu[self.node_pid], 1)
        figures.node_rss_mib = round(node_now.rss_bytes / 2**20, 1)
        figures.node_rss_peak_mib = round(sampler.peak_rss[self.node_pid] / 2**20, 1)
        figures.asterisk_cpu_percent = round(ast_cpu, 1)
        figures.asterisk_rss_mib = round(ast_now.rss_bytes / 2**20, 1)
        for figure, value in sampler.peak_gauges.items():
            setattr(figures, figure, round(value, 1))

        seen = parse_callers(_lines(run / "callers.log"))
        figures.abandoned = len(seen["abandoned"] & callers.keys())
        figures.failed = count - len((seen["ended"] | seen["abandoned"]) & callers.keys())
        rows = self._settled_rows(callers)
        events = self._new_events(offers=sum(row.agent_id is not None for row in rows))
        self._count(figures, callers, rows, seen["ended"])
        phone_lines = _lines(self.phones_log)
        rings = parse_rings(phone_lines[self._phones_read:])
        self._phones_read = len(phone_lines)
        ours = {row.call_id for row in rows}
        offered = [a for a in assignments(events, rings) if a.call_id in ours]
        figures.offered = len(offered)
        rang = [a for a in offered if a.rang_at is not None]
        figures.rang = len(rang)
        ring_delays = [a.rang_at - a.free_at for a in rang if a.rang_at is not None]
        offer_delays = [a.offered_at - a.free_at for a in offered]
        figures.ring_p50_ms, figures.ring_p95_ms = _ms(ring_delays, 0.50), _ms(ring_delays, 0.95)
        figures.ring_max_ms = round(max(ring_delays) * 1000.0, 1) if ring_delays else None
        figures.offer_p50_ms, figures.offer_p95_ms = _ms(offer_delays, 0.50), _ms(offer_delays, 0.95)
        if figures.failed:
            lost = sorted(callers.keys() - seen["ended"] - seen["abandoned"])
            errors = sipp_errors(_tail(run / "errors.log", 1_000_000))
            figures.notes.append(f"callers without an end: {', '.join(lost[:5])}; sipp: {' | '.join(errors[:3])}")
        return figures

    def _settled_rows(self, callers: dict[str, str]) -> list[Interaction]:
        """The interaction rows of ``callers`` once each is closed (or after :data:`ROWS_SETTLE_SECONDS`)."""
        deadline = time.monotonic() + ROWS_SETTLE_SECONDS
        while True:
            with self.sessions() as db:
                rows = list(db.scalars(select(Interaction).where(Interaction.ani.in_(list(callers)))))
                db.expunge_all()
            if sum(row.end_at is not None for row in rows) >= len(callers) or time.monotonic() > deadline:
                return rows
            time.sleep(0.2)

    def _new_events(self, offers: int) -> list[DomainEvent]:
        """The log's queue, offer and agent events since the last run, once it holds ``offers`` offers (the
        event log is written apart from the interaction rows and may lag behind them) or after
        :data:`ROWS_SETTLE_SECONDS`."""
        deadline = time.monotonic() + ROWS_SETTLE_SECONDS
        while True:
            with self.sessions() as db:
                logged = read_logged(db, since_id=self._log_position,
                                     types=(CallQueued, CallOffered, AgentStateChanged))
            found = sum(isinstance(entry.event, CallOffered) for entry in logged)
            if found >= offers or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if logged:
            self._log_position = logged[-1].id
        return [entry.event for entry in logged]

    @staticmethod
    def _count(figures: RateFigures, callers: dict[str, str], rows: list[Interaction], ended: set[str]) -> None:
        legs: dict[str, list[Interaction]] = defaultdict(list)
        for row in rows:
            if row.ani is not None:
                legs[row.ani].append(row)
        for ani, code in callers.items():
            mine = legs.get(ani, [])
            if len(mine) != 1 or mine[0].end_at is None:
                continue
            row = mine[0]
            figures.accounted += 1
            if row.customer_code == code and not row.ivr_data.get("unidentified"):
                figures.identified += 1
            if row.queue != "support":
                figures.menu_missed += 1
            if row.outcome == "answered" and row.agent_id is not None and ani in ended:
                figures.completed += 1


def _lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines() if path.exists() else []


def _tail(path: Path, chars: int = 2000) -> str:
    """The last ``chars`` characters of ``path`` ("" when it does not exist)."""
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def _seed(engine: Engine, customers: int) -> list[str]:
    """The codes of ``customers`` demo customers, created in a new database."""
    migrate(engine)
    with session_scope(make_session_factory(engine)) as session:
        seed_demo(session, n=customers)
        return list(session.scalars(select(Customer.code).order_by(Customer.id)))


def _wait_for(conn: Connection, process: multiprocessing.process.BaseProcess, seconds: float) -> int:
    """The node's operations port, once it says it is ready."""
    if not multiprocessing.connection.wait([conn, process.sentinel], seconds) or not conn.poll():
        state = "alive" if process.is_alive() else f"exit code {process.exitcode}"
        raise SipLoadError(f"the node did not get ready in {seconds:.0f} s ({state})")
    message = conn.recv()
    if not isinstance(message, tuple) or message[0] != "ready":
        raise SipLoadError(str(message))
    return int(message[1])


@contextlib.contextmanager
def open_rig(options: RigOptions, say: Callable[[str], None] = lambda _: None) -> Iterator[SipLoadRig]:
    """Asterisk, the node's process and the phones, running until the block ends."""
    if not os.access(options.asterisk, os.X_OK):
        raise SipLoadError(f"no Asterisk at {options.asterisk!r}: give --asterisk or ASTERISK_BIN")
    sipp = shutil.which(options.sipp)
    if sipp is None:
        raise SipLoadError(f"no sipp ({options.sipp!r}): install the sip-tester package")
    spawn = multiprocessing.get_context("spawn")
    agent_ids = [str(FIRST_AGENT_ID + i) for i in range(options.agents)]
    with contextlib.ExitStack() as stack:
        if options.work_dir is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sipload-")))
        else:
            root = options.work_dir
            root.mkdir(parents=True, exist_ok=True)
        sip_port, phones_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
        site = SiteConfig(agi_port=free_port(), ami_port=free_port(), ami_secret=secrets.token_hex(12))
        say(f"Asterisk: SIP on 127.0.0.1:{sip_port}, AMI {site.ami_port}, FastAGI {site.agi_port}")
        asterisk = stack.enter_context(running_asterisk(
            options.asterisk, site, extra_modules=PJSIP_MODULES,
            extra_files={"pjsip.conf": pjsip_conf(sip_port, phones_port, agent_ids)},
            sounds=SOUNDS if SOUNDS.is_dir() else None))
        db_url = f"sqlite:///{root / 'callcenter.sqlite3'}"
        engine = make_engine(db_url)
        stack.callback(engine.dispose)
        sessions = make_session_factory(engine)
        codes = _seed(engine, options.customers)
        settings = Settings(db_url=db_url, http_port=0, ami_host="127.0.0.1", ami_port=site.ami_port,
                            ami_user=site.ami_user, ami_secret=site.ami_secret, agi_port=site.agi_port,
                            data_dir=str(options.data_dir), raw=contact_center(options.agents))
        parent, child = spawn.Pipe()
        node = spawn.Process(target=_node_process, args=(settings, agent_ids, child), daemon=True)
        node.start()

        def stop_node() -> None:
            with contextlib.suppress(OSError):
                parent.send("stop")
            node.join(timeout=15)
            if node.is_alive():
                node.kill()

        stack.callback(stop_node)
        ops_port = _wait_for(parent, node, NODE_START_SECONDS)
        assert node.pid is not None
        say(f"node ready (pid {node.pid}) with {options.agents} agents and {len(codes)} customers")
        phones_log = root / "phones.log"
        (root / "agent_phone.xml").write_text(scenario("agent_phone", ring_ms=options.ring_ms,
                                                        talk_ms=options.talk_ms))
        phones = subprocess.Popen(
            [sipp, "-sf", str(root / "agent_phone.xml"), "-i", "127.0.0.1", "-p", str(phones_port),
             "-mp", str(free_port(socket.SOCK_DGRAM)), "-nostdin", "-trace_logs", "-log_file", str(phones_log),
             "-trace_err", "-error_file", str(root / "phones-errors.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def stop_phones() -> None:
            phones.terminate()
            try:
                phones.wait(timeout=10)
            except subprocess.TimeoutExpired:
                phones.kill()
                phones.wait()

        stack.callback(stop_phones)
        yield SipLoadRig(options, root, asterisk, node.pid, ops_port, sessions, sip_port, codes, phones_log, say)
