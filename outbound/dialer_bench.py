"""``callcenter bench dialer``: one simulated day per pacing (predictive, ADAPT-style baseline, progressive).

Same callee population, list and seed for every pacing; run for ``--agents`` and, unless ``--only``, also for
5 and 50 agents (small teams are where predictive dialling usually fails). Prints per pacing talk minutes per
agent-hour, abandon rate (US and Ofcom formulas), agent idle share, and the compliance check of the event log
(dials of do-not-call numbers and dials outside calling windows, both must be zero); the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from outbound.adapt_pacer import AdaptPacer
from outbound.dialer_day import DayPlan, check_compliance, simulate_day
from outbound.pacing import Pacer, PredictivePacer

#: The Ofcom formula's estimate of people AMD calls machines (the population's own share).
FALSE_POSITIVE = 0.03


def run_dialer_bench(*, agents: int, answer_rate: float, aht: float, hours: float, seed: int,
                     target: float = 0.03, only: bool = False) -> dict[str, Any]:
    teams = [agents] if only else sorted({5, agents, 50})
    runs: list[dict[str, Any]] = []
    for team in teams:
        plan = DayPlan(agents=team, hours=hours, answer_rate=answer_rate, aht=aht, seed=seed)
        pacers: list[Pacer] = [PredictivePacer(target=target), AdaptPacer(target=target), Pacer()]
        for pacer in pacers:
            day = simulate_day(plan, pacer)
            figures = {**day.figures(false_positive=FALSE_POSITIVE), **check_compliance(plan, day)}
            runs.append(figures)
            print(f"{team:3d} agents  {pacer.name:11s}  talk {figures['talk_min_per_agent_hour']:5.1f} min/agent-hour"
                  f"  abandon US {figures['abandon_rate_us']:6.2%}  Ofcom {figures['abandon_rate_ofcom']:6.2%}"
                  f"  idle {figures['idle_share']:6.2%}  dials {figures['dials']}"
                  f"  DNC dials {figures['dnc_dials']}  out-of-window dials {figures['out_of_window_dials']}")
    main = {r["pacing"]: r for r in runs if r["agents"] == agents}
    ours, adapt = main["predictive"], main["adapt"]
    gain = ours["talk_min_per_agent_hour"] / max(adapt["talk_min_per_agent_hour"], 1e-9) - 1
    wrap = DayPlan().wrap
    return {"bench": "dialer", "agents": agents, "answer_rate": answer_rate, "aht": aht, "hours": hours,
            "seed": seed, "target": target, "runs": runs, "predictive_vs_adapt_talk": round(gain, 4),
            # talk with no agent ever waiting: the talk part of the handle time, every minute of the hour
            "talk_ceiling_min_per_agent_hour": round(60 * (aht - wrap) / aht, 2),
            "predictive_abandon_not_higher": ours["abandon_rate_us"] <= adapt["abandon_rate_us"],
            "violations": sum(r["dnc_dials"] + r["out_of_window_dials"] for r in runs)}


def _handle(args: argparse.Namespace) -> int:
    print(json.dumps(run_dialer_bench(agents=args.agents, answer_rate=args.answer_rate, aht=args.aht,
                                      hours=args.hours, seed=args.seed, target=args.target, only=args.only)))
    return 0


def register(bench_subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callcenter bench dialer``."""
    parser = bench_subparsers.add_parser("dialer", help="a simulated dialling day per pacing: talk, abandons, idle")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--answer-rate", type=float, default=0.3, help="share of dials a person answers")
    parser.add_argument("--aht", type=float, default=180.0, help="mean handle time (talk and wrap-up), seconds")
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--target", type=float, default=0.03, help="abandon-rate target")
    parser.add_argument("--only", action="store_true", help="only the --agents team, not also 5 and 50")
    parser.set_defaults(func=_handle)
