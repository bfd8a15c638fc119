"""``callcenter bench soak``: a node under steady traffic for a long time, checked for what wears a system out.

One process runs a node (FastAGI IVR, ACD, event log in SQLite, web app) with ``--agents`` agents, all made
ready; the PBX simulator runs in a second process (:mod:`callcenter.pbx_process`), reached over AMI and
FastAGI as a real Asterisk would be. Callers ring in as a Poisson stream at ``--rate`` per second for
``--minutes``, key a customer code and pick support, wait with an exponential patience (mean ``--patience``)
and talk an exponential time (mean ``--handle``) once an agent's phone answers; each call ends in wrap-up.

When the stream stops and the last call has ended, it checks and prints (the last line is JSON):

- the service level met (answered within the queue's target over answered plus abandoned, as
  :mod:`acd.simulation` counts it);
- memory flat: the node's RSS after the warm-up (the first fifth, at least 20 s) grows less than 5 %;
- nothing left behind: asyncio tasks back to their count before the traffic, no AMI action awaiting its
  response, no FastAGI session open, no call in the ACD or the PBX;
- no agent stuck: none rang longer than the ring timeout or wrapped up longer than the queue's wrap-up
  (plus a second of slack), and every agent ends ready;
- every call in the event log has a beginning (``IvrFinished``, ``CallQueued``) and an end
  (``CallEnded``, ``CallAbandoned``, or an IVR outcome that is not the queue), and every call rung in is there.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from acd.agents import AgentState
from acd.events import AgentStateChanged, CallAbandoned, CallConnected, CallEnded, CallQueued
from acd.service_settings import AcdServiceSettings
from callcenter.node import Node
from callcenter.pbx_process import Caller, PbxProcess
from callcenter.settings import Settings
from callcenter.wiring import crm_directory, desktop_app
from crm_core.db import session_scope
from crm_core.demo import seed_demo
from crm_core.eventlog import read_events
from crm_core.models import Customer
from cti.sim import CallerScript, SimulatorConfig
from cti.sim.config import PhoneBehaviour
from ivr.events import IvrFinished

QUEUE = "support"
SERVICE_LEVEL_PERCENT = 80.0
SERVICE_LEVEL_SECONDS = 20.0
WRAP_UP_SECONDS = 2.0
ANSWER_AFTER = 1.0
MEMORY_GROWTH_LIMIT = 0.05
SAMPLE_EVERY = 1.0
SLACK = 1.0
# A talk or a patience is drawn from an exponential law, cut at this many times its mean (the drain stays short).
LONGEST = 3.0
# IVR outcomes after which the call is over (the others hand it to the ACD).
_HANDED_ON = {"queue", "callback"}


def _rss_bytes() -> int:
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def contact_center(agents: int) -> dict[str, Any]:
    """The parsed-TOML contact center of the soak: the IVR's queues, ``agents`` agents on support."""
    queue = {"service_level": {"percent": SERVICE_LEVEL_PERCENT, "seconds": SERVICE_LEVEL_SECONDS},
             "wrap_up_seconds": WRAP_UP_SECONDS}
    return {
        "skills": [{"name": "support"}, {"name": "sales"}],
        "queues": [{"name": "support", "skills": {"support": 1}, **queue},
                   {"name": "sales", "skills": {"sales": 1}, **queue}, {"name": "general", **queue}],
        "agents": [{"id": str(7000 + i), "name": f"Soak {i}", "phone": f"PJSIP/{7000 + i}",
                    "skills": {"support": 8, "sales": 8}, "queues": ["support", "sales", "general"]}
                   for i in range(agents)],
    }


def callers(rate: float, seconds: float, codes: list[str], handle: float, patience: float,
            seed: int = 7) -> list[Caller]:
    """A Poisson stream of callers who key a customer code and pick support (menu option 1)."""
    draw = random.Random(seed)
    stream: list[Caller] = []
    at = draw.expovariate(rate)
    while at < seconds:
        code = draw.choice(codes)
        keyed = ((0.3, code[0]), *((0.1, d) for d in code[1:]), (0.3, "1"))
        script = CallerScript(digits=keyed, patience=min(draw.expovariate(1 / patience), LONGEST * patience),
                              talk_time=max(1.0, min(draw.expovariate(1 / handle), LONGEST * handle)))
        stream.append(Caller(ani=f"4155{len(stream):07d}", script=script, after=at))
        at += draw.expovariate(rate)
    return stream


class _Watch:
    """What the soak samples while it runs: RSS, tasks, and the longest time any agent spent in a state."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.rss: list[tuple[float, int]] = []
        self.tasks: list[int] = []
        self.longest: dict[str, float] = collections.defaultdict(float)

    def sample(self, now: float) -> None:
        self.rss.append((now, _rss_bytes()))
        self.tasks.append(len(asyncio.all_tasks()))
        assert self.node.acd is not None
        for agent in self.node.acd.agents():
            held = time.time() - agent.since
            if held > self.longest[agent.state.value]:
                self.longest[agent.state.value] = round(held, 2)

    def memory(self, warmup: float) -> dict[str, Any]:
        """RSS at the end of the warm-up and at the end (medians of ten samples), and the growth between."""
        after = [rss for at, rss in self.rss if at >= warmup]
        if len(after) < 4:
            return {"rss_start_mib": None, "rss_end_mib": None, "rss_growth": None}
        window = max(1, min(10, len(after) // 4))
        first, last = statistics.median(after[:window]), statistics.median(after[-window:])
        return {"rss_start_mib": round(first / 2**20, 1), "rss_end_mib": round(last / 2**20, 1),
                "rss_max_mib": round(max(after) / 2**20, 1), "rss_growth": round(last / first - 1, 4)}


def _agent_stints(events: list[Any]) -> dict[str, float]:
    """The longest stint any agent spent in each state, from the logged state changes."""
    last: dict[str, AgentStateChanged] = {}
    longest: dict[str, float] = collections.defaultdict(float)
    for event in events:
        if isinstance(event, AgentStateChanged):
            before = last.get(event.agent_id)
            if before is not None:
                longest[before.state] = max(longest[before.state], round(event.at - before.at, 2))
            last[event.agent_id] = event
    return dict(longest)


def audit_calls(events: list[Any]) -> dict[str, Any]:
    """Every call's beginning and end in the event log, the waits answered and abandoned."""
    begun, ended = set(), set()
    waits: list[float] = []
    abandoned = 0
    for event in events:
        if isinstance(event, IvrFinished):
            begun.add(event.call_id)
            if event.outcome not in _HANDED_ON:
                ended.add(event.call_id)
        elif isinstance(event, CallQueued):
            begun.add(event.call_id)
        elif isinstance(event, CallConnected):
            waits.append(event.wait_seconds)
        elif isinstance(event, CallAbandoned):
            abandoned += 1
            ended.add(event.call_id)
        elif isinstance(event, CallEnded):
            ended.add(event.call_id)
    judged = len(waits) + abandoned
    in_time = sum(1 for w in waits if w <= SERVICE_LEVEL_SECONDS)
    return {
        "calls_in_log": len(begun | ended),
        "without_beginning": sorted(ended - begun)[:5],
        "without_end": sorted(begun - ended)[:5],
        "answered": len(waits),
        "abandoned": abandoned,
        "service_level": round(in_time / judged, 4) if judged else None,
        "wait_p90_s": round(sorted(waits)[int(0.9 * (len(waits) - 1))], 2) if waits else None,
    }


async def _drain(node: Node, pbx: PbxProcess, timeout: float) -> bool:
    """Wait until no call is left in the PBX, the FastAGI server or the ACD."""
    assert node.acd is not None and node.agi is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (not await pbx.channels() and node.agi.active_sessions == 0
                and not node.acd.snapshot()["calls"]):
            return True
        await asyncio.sleep(0.5)
    return False


async def run_soak(minutes: float, rate: float, agents: int, handle: float, patience: float,
                   codes: int = 50) -> dict[str, Any]:
    """Run the soak; returns its figures and verdicts (see the module docstring)."""
    seconds = minutes * 60
    warmup = max(20.0, seconds / 5)
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        settings = Settings(db_url=f"sqlite:///{tmp}/cc.sqlite3", http_port=0, ami_host="127.0.0.1",
                            ami_port=_free_port(), agi_port=_free_port(), data_dir=tmp,
                            raw=contact_center(agents))
        pbx = PbxProcess(SimulatorConfig(
            ami_port=settings.ami_port, ami_user=settings.ami_user, ami_secret=settings.ami_secret,
            agi_url=f"agi://127.0.0.1:{settings.agi_port}/inbound", shipped_dialplan=True, prompt_seconds=0.5,
            default_phone=PhoneBehaviour(answer_after=ANSWER_AFTER)))
        node = Node(settings, directory_factory=crm_directory, say=lambda line: print(line, file=sys.stderr))
        try:
            await pbx.start()
            await node.start(web_app=desktop_app)
            assert node.sessions is not None and node.acd_service is not None and node.acd is not None
            assert node.ami is not None and node.agi is not None and node.recorder is not None
            with session_scope(node.sessions) as session:
                seed_demo(session, n=codes)
                caller_codes = list(session.scalars(select(Customer.code).order_by(Customer.id)))
            for agent in node.acd.agents():
                await node.acd_service.set_ready(agent.agent_id)
            stream = callers(rate, seconds, caller_codes, handle, patience)
            await asyncio.sleep(1.0)
            tasks_before = len(asyncio.all_tasks())
            watch = _Watch(node)
            await pbx.schedule(stream)
            began = time.monotonic()
            while (elapsed := time.monotonic() - began) < seconds:
                watch.sample(elapsed)
                await asyncio.sleep(SAMPLE_EVERY)
            drained = await _drain(node, pbx, LONGEST * (handle + patience) + 60)
            await asyncio.sleep(2.0)  # the last wrap-ups end; tasks finishing their hang-ups go
            watch.sample(time.monotonic() - began)
            await node.recorder.flush()
            tasks_after = len(asyncio.all_tasks())
            agents_not_ready = sorted(a.agent_id for a in node.acd.agents() if a.state is not AgentState.READY)
            leftovers = {"tasks_before": tasks_before, "tasks_after": tasks_after,
                         "ami_actions_pending": node.ami.pending_actions, "agi_sessions": node.agi.active_sessions,
                         "acd_calls": len(node.acd.snapshot()["calls"]), "pbx_channels": len(await pbx.channels())}
            with node.sessions() as session:
                logged = read_events(session)
        finally:
            await node.stop()
            await pbx.stop()

    audit = audit_calls(logged)
    memory = watch.memory(warmup)
    stints = _agent_stints(logged)
    ring_limit = AcdServiceSettings().ring_timeout + ANSWER_AFTER + SLACK
    stuck = {state: held for state, held in stints.items()
             if (state == AgentState.RESERVED and held > ring_limit)
             or (state == AgentState.WRAP_UP and held > WRAP_UP_SECONDS + SLACK)}
    checks = {
        "service_level_met": audit["service_level"] is not None
        and audit["service_level"] * 100 >= SERVICE_LEVEL_PERCENT,
        "memory_flat": memory["rss_growth"] is not None and memory["rss_growth"] < MEMORY_GROWTH_LIMIT,
        "nothing_left_behind": drained and leftovers["tasks_after"] <= leftovers["tasks_before"]
        and not any(leftovers[k] for k in ("ami_actions_pending", "agi_sessions", "acd_calls", "pbx_channels")),
        "no_agent_stuck": not stuck and not agents_not_ready,
        "every_call_begins_and_ends": not audit["without_beginning"] and not audit["without_end"]
        and audit["calls_in_log"] == len(stream),
    }
    return {
        "minutes": minutes, "rate_per_s": rate, "agents": agents, "mean_handle_s": handle,
        "mean_patience_s": patience, "calls_rung": len(stream), **audit,
        "service_level_target": f"{SERVICE_LEVEL_PERCENT:g}% in {SERVICE_LEVEL_SECONDS:g} s",
        **memory, **leftovers, "longest_stint_s": stints, "longest_held_sampled_s": dict(watch.longest),
        "stuck": stuck, "agents_not_ready": agents_not_ready[:5],
        "checks": checks, "passed": all(checks.values()),
    }


def _run(args: argparse.Namespace) -> int:
    figures = asyncio.run(run_soak(args.minutes, args.rate, args.agents, args.handle, args.patience))
    print(f"soak: {figures['calls_rung']} calls at {figures['rate_per_s']}/s over {figures['minutes']} min, "
          f"service level {figures['service_level']}, RSS {figures['rss_start_mib']} -> "
          f"{figures['rss_end_mib']} MiB, checks {'passed' if figures['passed'] else 'FAILED'}")
    print(json.dumps(figures))
    return 0 if figures["passed"] else 1


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("soak", help="a node under steady traffic: memory, leftovers, stuck agents")
    parser.add_argument("--minutes", type=float, default=60.0, help="how long calls ring in")
    parser.add_argument("--rate", type=float, default=4.0, help="calls rung in per second")
    parser.add_argument("--agents", type=int, default=60, help="agents ready to answer")
    parser.add_argument("--handle", type=float, default=10.0, help="mean talk time in seconds")
    parser.add_argument("--patience", type=float, default=60.0, help="mean caller patience in seconds")
    parser.set_defaults(func=_run)
