"""``callcenter bench dialer``: simulated days of a campaign per pacing (predictive, ADAPT-style baseline,
progressive).

Same callee population, lists and seed for every pacing; run for ``--agents`` and, unless ``--only``, also for
5 and 50 agents (small teams are where predictive dialling usually fails). A campaign runs ``--days`` days in a
row, with a new list each day; each pacing keeps what it learned from one day to the next. The predictive pacer
is made again each morning as a restarted dialer makes it: from the model saved the day before and the
campaign's 30-day abandon record (its learned threshold starts afresh); the baseline keeps its dial level.
Prints per pacing and day talk minutes per agent-hour, abandon rate (US and Ofcom formulas; the day's and the
campaign's so far, which is what the US rule measures), agent idle share, and the compliance check of the event
log (dials of do-not-call numbers and dials outside calling windows, both must be zero); the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from outbound.adapt_pacer import AdaptPacer
from outbound.dialer_day import DayPlan, check_compliance, simulate_day
from outbound.pacing import DialStats, Pacer, PredictivePacer

#: The most days ``--days`` runs (a rolling 30-day abandon window's worth).
MAX_DAYS = 30
#: The Ofcom formula's estimate of people AMD calls machines (the population's own share).
FALSE_POSITIVE = 0.03


def run_dialer_bench(*, agents: int, answer_rate: float, aht: float, hours: float, seed: int,
                     target: float = 0.03, only: bool = False, days: int = 2) -> dict[str, Any]:
    teams = [agents] if only else sorted({5, agents, 50})
    runs: list[dict[str, Any]] = []
    for team in teams:
        pacers: list[Pacer] = [PredictivePacer(target=target), AdaptPacer(target=target), Pacer()]
        for pacer in pacers:
            lives = abandoned = 0
            for day in range(days):
                plan = DayPlan(agents=team, hours=hours, answer_rate=answer_rate, aht=aht, seed=seed, day=day)
                pacer = _overnight(pacer) if day else pacer
                result = simulate_day(plan, pacer)
                lives, abandoned = lives + result.lives, abandoned + result.abandoned
                figures = {"day": day + 1, **result.figures(false_positive=FALSE_POSITIVE),
                           "abandon_rate_us_campaign": round(abandoned / lives, 4) if lives else 0.0,
                           **check_compliance(plan, result)}
                runs.append(figures)
                print(f"{team:3d} agents  day {day + 1}  {pacer.name:11s}"
                      f"  talk {figures['talk_min_per_agent_hour']:5.1f} min/agent-hour"
                      f"  abandon US {figures['abandon_rate_us']:6.2%}"
                      f" (campaign {figures['abandon_rate_us_campaign']:6.2%})"
                      f"  Ofcom {figures['abandon_rate_ofcom']:6.2%}  idle {figures['idle_share']:6.2%}"
                      f"  dials {figures['dials']}  DNC dials {figures['dnc_dials']}"
                      f"  out-of-window dials {figures['out_of_window_dials']}")
    by_day = []
    for day in range(1, days + 1):
        main = {r["pacing"]: r for r in runs if r["agents"] == agents and r["day"] == day}
        ours, adapt = main["predictive"], main["adapt"]
        by_day.append({
            "day": day, "predictive_talk_min_per_agent_hour": ours["talk_min_per_agent_hour"],
            "predictive_vs_adapt_talk": round(ours["talk_min_per_agent_hour"]
                                              / max(adapt["talk_min_per_agent_hour"], 1e-9) - 1, 4),
            "predictive_abandon_not_higher": ours["abandon_rate_us_campaign"] <= adapt["abandon_rate_us_campaign"]})
    wrap = DayPlan().wrap
    return {"bench": "dialer", "agents": agents, "answer_rate": answer_rate, "aht": aht, "hours": hours,
            "seed": seed, "target": target, "days": days, "runs": runs, "by_day": by_day,
            # talk with no agent ever waiting: the talk part of the handle time, every minute of the hour
            "talk_ceiling_min_per_agent_hour": round(60 * (aht - wrap) / aht, 2),
            "violations": sum(r["dnc_dials"] + r["out_of_window_dials"] for r in runs)}


def _overnight(pacer: Pacer) -> Pacer:
    """The pacer of the campaign's next day: a predictive one made again from what it saved (a restart)."""
    if not isinstance(pacer, PredictivePacer):
        return pacer
    stats = DialStats()
    stats.restore(pacer.stats.snapshot())
    return PredictivePacer(target=pacer.target, formula=pacer.formula, stats=stats, ledger=pacer.ledger)


def _handle(args: argparse.Namespace) -> int:
    print(json.dumps(run_dialer_bench(agents=args.agents, answer_rate=args.answer_rate, aht=args.aht,
                                      hours=args.hours, seed=args.seed, target=args.target, only=args.only,
                                      days=args.days)))
    return 0


def _days(text: str) -> int:
    days = int(text)
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"from 1 to {MAX_DAYS} days, not {days}")
    return days


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
    parser.add_argument("--days", type=_days, default=2,
                        help="the campaign's days in a row, 1-30 (a new list each day; each pacing keeps what it "
                             "learned)")
    parser.set_defaults(func=_handle)
