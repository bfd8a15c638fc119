"""``callcenter bench sip``: real SIP load through a real Asterisk, at rising call rates.

Runs the rig of :mod:`callcenter.sip_load` (Asterisk with our site and a generated pjsip.conf, the node
in a process of its own, sipp callers and phones on loopback) at each rate of ``--rates`` for
``--seconds``, one after the other on the same site, and prints what each rate did. A rate is held
when every call was completed, accounted for in the interaction rows and identified, and a free
agent's phone rang within ``--max-ring-ms`` (95th percentile); the run stops at the first rate that is
not held (unless ``--keep-going``). With ``--profile DIR``, py-spy samples the node during each rate
(collapsed stacks per rate, and the functions of ours its time went to). The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from callcenter.sip_load import RateFigures, RigOptions, SipLoadError, open_rig

# A call holds its agent for the ring, the talk and about this much more (answer, bridge, hang-up).
HANDLING_OVERHEAD_S = 0.3


def _rates(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of calls per second") from None
    if not rates or any(rate <= 0 for rate in rates):
        raise argparse.ArgumentTypeError("rates must be positive calls per second, e.g. 1,2,3")
    return rates


def occupancy(rate: float, agents: int, ring_ms: int, talk_ms: int) -> float:
    """The share of the agents' time the calls of ``rate`` take (1.0: they can just keep up)."""
    return rate * (ring_ms / 1000 + talk_ms / 1000 + HANDLING_OVERHEAD_S) / agents


def _line(f: RateFigures) -> str:
    return (f"{f.rate_per_s:g}/s: {f.calls} calls, {f.completed} completed, {f.accounted} accounted, "
            f"{f.identified} identified, {f.abandoned} abandoned, {f.failed} failed; free agent to ringing "
            f"p50 {f.ring_p50_ms} ms p95 {f.ring_p95_ms} ms max {f.ring_max_ms} ms; node CPU {f.node_cpu_percent}% "
            f"(peak {f.node_cpu_peak_percent}%), RSS {f.node_rss_mib} MiB; Asterisk CPU {f.asterisk_cpu_percent}%")


def py_spy() -> str | None:
    """The py-spy program: beside this Python (its virtual environment) or on the PATH."""
    return shutil.which("py-spy", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))


# The packages whose frames a profile summary charges time to (the innermost of ours in each stack).
OUR_PACKAGES = ("bus", "asterisk_conf", "crm_core", "cti", "ivr", "acd", "outbound", "reports", "agent_desktop",
                "callcenter")
_FRAME = re.compile(r"^(?P<function>.+) \((?P<file>[^():]+):\d+\)$")


def profile_summary(folded: str, top: int = 8) -> list[tuple[str, float]]:
    """The functions of ours the samples of a py-spy ``raw`` (folded) profile were in (the innermost of
    ours in each stack), with their share of all samples: ``[("cti/agi/server.py _on_connect", 0.12), ...]``."""
    charged: dict[str, int] = {}
    total = 0
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        total += int(count)
        for frame in reversed(stack.split(";")):
            found = _FRAME.match(frame.strip())
            if found and found["file"].split("/")[0] in OUR_PACKAGES:
                where = f"{found['file']} {found['function']}"
                charged[where] = charged.get(where, 0) + int(count)
                break
    ranked = sorted(charged.items(), key=lambda item: -item[1])[:top]
    return [(where, round(count / total, 3)) for where, count in ranked]


@contextlib.contextmanager
def _profiling(out_dir: Path | None, pid: int, rate: float) -> Iterator[Path | None]:
    """py-spy sampling ``pid`` while the block runs, into ``<out_dir>/node-<rate>.folded`` (collapsed stacks,
    which flame graph tools draw); yields that path."""
    spy_program = py_spy()
    if out_dir is None or spy_program is None:
        yield None
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    folded = out_dir / f"node-{rate:g}.folded"
    # Only threads holding the GIL: the node's Python runs one thread at a time, and waiting is not work.
    spy = subprocess.Popen([spy_program, "record", "--pid", str(pid), "--rate", "50", "--nonblocking", "--gil",
                            "--format", "raw", "--output", str(folded)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield folded
    finally:
        spy.send_signal(2)  # SIGINT: py-spy writes the graph and exits
        try:
            spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()


def run_sip_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Run every rate (see the module docstring); returns the summary printed as JSON."""
    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    options = RigOptions(asterisk=args.asterisk, sipp=args.sipp, agents=args.agents, ring_ms=args.ring_ms,
                         talk_ms=args.talk_ms, patience_ms=args.patience_ms,
                         data_dir=Path(args.settings.data_dir), work_dir=args.keep)
    results: list[dict[str, Any]] = []
    held: float | None = None
    saturated: float | None = None
    with open_rig(options, say) as rig:
        for rate in args.rates:
            load = occupancy(rate, args.agents, args.ring_ms, args.talk_ms)
            if load > 0.9:
                say(f"note: at {rate:g}/s the calls take {load:.0%} of the agents' time: callers will queue")
            with _profiling(args.profile, rig.node_pid, rate) as folded:
                figures = rig.run_rate(rate, args.seconds)
            print(_line(figures), flush=True)
            for note in figures.notes:
                say(f"  {note}")
            result = {**figures.as_dict(), "agent_occupancy": round(load, 2), "held": figures.held(args.max_ring_ms)}
            if folded is not None and folded.exists():
                result["node_profile"] = profile_summary(folded.read_text(errors="replace"))
                say("  node's time: " + ", ".join(f"{where} {share:.0%}" for where, share in result["node_profile"]))
            results.append(result)
            if figures.held(args.max_ring_ms):
                held = rate if held is None else max(held, rate)
            else:
                saturated = rate if saturated is None else saturated
                if not args.keep_going or rig.asterisk.process.poll() is not None:
                    break
    return {"agents": args.agents, "seconds_per_rate": args.seconds, "ring_ms": args.ring_ms,
            "talk_ms": args.talk_ms, "max_ring_ms": args.max_ring_ms, "cpus": os.cpu_count(),
            "held_rate_per_s": held, "first_rate_not_held": saturated, "rates": results}


def _run(args: argparse.Namespace) -> int:
    if not args.asterisk:
        print("callcenter bench sip: no Asterisk: give --asterisk PATH or set ASTERISK_BIN "
              "(an Asterisk built with PJSIP)", file=sys.stderr)
        return 2
    if args.profile is not None and py_spy() is None:
        print("callcenter bench sip: --profile needs py-spy (pip install py-spy)", file=sys.stderr)
        return 2
    try:
        summary = run_sip_bench(args)
    except SipLoadError as exc:
        print(f"callcenter bench sip: {exc}", file=sys.stderr)
        return 1
    print(f"held {summary['held_rate_per_s']} calls/s with {args.agents} agents; "
          f"first rate not held: {summary['first_rate_not_held']}")
    print(json.dumps(summary))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("sip", help="real SIP calls through a real Asterisk at rising rates (sipp)")
    parser.add_argument("--rates", type=_rates, default=[1.0, 2.0, 3.0], help="calls per second, e.g. 1,2,3,5")
    parser.add_argument("--agents", type=int, default=30, help="agents, each with a PJSIP phone")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long each rate rings callers in")
    parser.add_argument("--asterisk", default=os.environ.get("ASTERISK_BIN", ""),
                        help="the Asterisk binary, built with PJSIP (default: $ASTERISK_BIN)")
    parser.add_argument("--sipp", default="sipp", help="the sipp binary (Debian package sip-tester)")
    parser.add_argument("--ring-ms", type=int, default=500, help="how long a phone rings before it answers")
    parser.add_argument("--talk-ms", type=int, default=3000, help="how long an agent talks before hanging up")
    parser.add_argument("--patience-ms", type=int, default=60_000,
                        help="how long a caller waits for an agent after choosing support")
    parser.add_argument("--max-ring-ms", type=float, default=100.0,
                        help="a rate is held when a free agent's phone rings within this (95th percentile)")
    parser.add_argument("--keep-going", action="store_true", help="run every rate, even after one is not held")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="py-spy profiles of the node, per rate (collapsed stacks)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the run's files here (scenarios, sipp logs, the node's database)")
    parser.set_defaults(func=_run)
