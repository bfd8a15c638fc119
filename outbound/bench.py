"""``callcenter bench hopper`` and ``callcenter bench dnc``: next-lead selection and the national registry.

``hopper``: one campaign of ``--leads`` leads (85% US numbers over ~300 area codes, several of them spanning
two zones, the rest from nine countries including Russian and Australian mobiles that span many zones),
``--dnc`` of them on a do-not-call list (80% of those on the national registry, 10% on the internal list,
10% on the campaign's), customer tiers in the CRM's pyramid, 5% with a call-back, 20% with an earlier
no-answer, 2% dialled lately by another campaign. The clock starts on a Tuesday at 17:50 UTC (Hawaii's window
opens ten minutes in) and moves 10 ms per selection. Each timed selection is one :meth:`Hopper.next`; its
lead then gets an outcome (busy, no answer, machine, answered, failed, do not call), and every 500
selections a number waiting in the hopper is put on the internal list. The naive baseline
(:class:`NaiveHopper`) decides every lead at each selection; on a large campaign a full run would take
hours, so it runs on a sample of ``--naive-sample`` leads (made the same way) and its time per selection is
scaled by leads/sample (a scan is linear in the leads it scans): ``naive_extrapolated`` says so in the JSON.
Numbers are made from parsed templates (one parse per area code, not per lead) so that a million leads take
seconds to set up.

``dnc``: writes ``--numbers`` random numbers as a text file, builds the registry file from it
(streaming), maps it, and times look-ups of listed and unlisted numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from crm_core.tiers import KEY, NORMAL, SMALL, VIP, queue_priority
from outbound.baseline import NaiveHopper
from outbound.contacts import ContactLog
from outbound.dnc import DncList
from outbound.eligibility import Eligibility
from outbound.hopper import Hopper
from outbound.leads import Lead, LeadHistory
from outbound.numbers import DialNumber, NumberError, parse_number
from outbound.registry import NationalRegistry
from outbound.registry_file import build_registry, load_registry
from outbound.rules import ANSWERED, BUSY, DO_NOT_CALL, FAILED, MACHINE, NO_ANSWER, RuleSet

CAMPAIGN = "bench"
START = dt.datetime(2025, 3, 4, 17, 50, tzinfo=dt.UTC).timestamp()  # Hawaii's window opens in the run
STEP = 0.01
FOREIGN = ("+14165550123", "+442079460123", "+4930901820", "+33142685300", "+61412345678", "+79161234567",
           "+5511912345678", "+525512345678", "+919812345678")
OUTCOME_MIX = ((BUSY, 0.2), (NO_ANSWER, 0.38), (MACHINE, 0.15), (ANSWERED, 0.22), (FAILED, 0.03),
               (DO_NOT_CALL, 0.02))
TIER_MIX = ((VIP, 0.01), (KEY, 0.04), (NORMAL, 0.15), (SMALL, 0.80))


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _templates() -> tuple[list[DialNumber], list[DialNumber]]:
    """Parsed US numbers, one per valid area code, and the foreign ones."""
    us = []
    for npa in range(201, 990):
        try:
            us.append(parse_number(f"+1{npa}2345678"))
        except NumberError:
            continue
    return [n for n in us if n.region == "US"], [parse_number(text) for text in FOREIGN]


def _number(template: DialNumber, serial: int) -> DialNumber:
    """``template`` with its last six digits replaced: same region and zones, a different line."""
    digits = template.digits // 1_000_000 * 1_000_000 + serial % 1_000_000
    return dataclasses.replace(template, e164=f"+{digits}", digits=digits)


def _pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    roll = rng.random()
    for name, share in mix:
        roll -= share
        if roll < 0:
            return name
    return mix[-1][0]


@dataclasses.dataclass
class _Campaign:
    leads: list[tuple[Lead, LeadHistory]]
    dnc: DncList
    contacts: ContactLog


def _campaign(leads: int, dnc_share: float, rng: random.Random) -> _Campaign:
    us, foreign = _templates()
    dnc = DncList()
    contacts = ContactLog()
    national: list[int] = []
    made: list[tuple[Lead, LeadHistory]] = []
    for i in range(leads):
        templates = us if rng.random() < 0.85 else foreign
        number = _number(templates[rng.randrange(len(templates))], i)
        lead = Lead(i, CAMPAIGN, number, created_at=START - rng.uniform(0, 30 * 86400),
                    tier_priority=queue_priority(_pick(rng, TIER_MIX)))
        history = LeadHistory()
        roll = rng.random()
        if roll < 0.05:
            history = LeadHistory(attempts=1, last_outcome=ANSWERED, last_outcome_at=START - 86400,
                                  recent_dials=(START - 86400,), callback_at=START + rng.uniform(-3600, 3600))
        elif roll < 0.25:
            at = START - rng.uniform(0, 8 * 3600)
            history = LeadHistory(attempts=1, last_outcome=NO_ANSWER, last_outcome_at=at, recent_dials=(at,))
        if rng.random() < 0.02:
            contacts.dialed(number.digits, "other", START - rng.uniform(0, 3600))
        if rng.random() < dnc_share:
            where = rng.random()
            if where < 0.8:
                national.append(number.digits)
            elif where < 0.9:
                dnc.internal.add(number, at=START - 86400, by="bench", reason="asked")
            else:
                dnc.campaign(CAMPAIGN).add(number, at=START - 86400, by="bench", reason="asked")
        made.append((lead, history))
    dnc.replace_registry(NationalRegistry.from_numbers(national))
    return _Campaign(made, dnc, contacts)


def _summary(latencies_ns: list[int]) -> tuple[float, float, float]:
    """per second, p50 ms, p99 ms."""
    total = sum(latencies_ns) or 1
    cuts = statistics.quantiles(latencies_ns, n=100) if len(latencies_ns) > 1 else latencies_ns * 99
    return len(latencies_ns) / (total / 1e9), cuts[49] / 1e6, cuts[98] / 1e6


def _run_hopper(campaign: _Campaign, selections: int, rng: random.Random) -> dict[str, Any]:
    clock = _Clock(START)
    recorded: dict[str, int] = {}

    def record(decision: Any) -> None:
        recorded[decision.rule] = recorded.get(decision.rule, 0) + 1

    hopper = Hopper(CAMPAIGN, Eligibility(RuleSet(), campaign.dnc, campaign.contacts), clock, recorder=record)
    started = time.perf_counter()
    hopper.load(campaign.leads)
    load_s = time.perf_counter() - started
    gc.collect()
    gc.freeze()  # a long-lived service's million leads need not be walked by every collection
    select_ns: list[int] = []
    outcome_ns: list[int] = []
    empty = 0
    lead_ids = [lead.id for lead, _ in campaign.leads]
    for n in range(selections):
        clock.now += STEP
        t0 = time.perf_counter_ns()
        lead = hopper.next()
        select_ns.append(time.perf_counter_ns() - t0)
        if lead is None:
            empty += 1
        else:
            outcome = _pick(rng, OUTCOME_MIX)
            t0 = time.perf_counter_ns()
            hopper.outcome(lead.id, outcome)
            outcome_ns.append(time.perf_counter_ns() - t0)
        if n % 500 == 499:
            victim = lead_ids[rng.randrange(len(lead_ids))]
            if hopper.place(victim) == "ready":
                number = campaign.leads[victim][0].number
                campaign.dnc.internal.add(number, at=clock.now, by="bench-agent", reason="asked mid-run")
    gc.unfreeze()
    _, p50, p99 = _summary(select_ns)
    released = selections - empty
    outcome_rate, _, outcome_p99 = _summary(outcome_ns or [0])
    return {"leads_per_s": released / (sum(select_ns) / 1e9), "p50_ms": p50, "p99_ms": p99,
            "max_ms": max(select_ns) / 1e6, "load_s": load_s, "empty_selections": empty, "outcomes_per_s": outcome_rate,
            "outcome_p99_ms": outcome_p99, "counts": hopper.counts(), "recorded": recorded}


def _run_naive(campaign: _Campaign, selections: int) -> dict[str, float]:
    clock = _Clock(START)
    naive = NaiveHopper(Eligibility(RuleSet(), campaign.dnc, campaign.contacts), clock, campaign.leads)
    latencies = []
    released = 0
    for _ in range(selections):
        clock.now += STEP
        t0 = time.perf_counter_ns()
        lead = naive.next()
        latencies.append(time.perf_counter_ns() - t0)
        if lead is not None:
            released += 1
            naive.outcome(lead.id, BUSY)
    _, _, p99 = _summary(latencies)
    return {"rate": released / (sum(latencies) / 1e9), "p99_ms": p99}


def run_hopper_bench(*, leads: int, dnc: float, selections: int, naive_sample: int, naive_selections: int,
                     seed: int = 7) -> dict[str, Any]:
    """Build the campaign, run the hopper and the naive scan; returns the closing JSON line's figures."""
    rng = random.Random(seed)
    started = time.perf_counter()
    campaign = _campaign(leads, dnc, rng)
    setup_s = time.perf_counter() - started
    ours = _run_hopper(campaign, selections, rng)
    sample = min(naive_sample, leads)
    naive = _run_naive(_campaign(sample, dnc, random.Random(seed)), naive_selections)
    scale = leads / sample
    naive_rate = naive["rate"] / scale
    return {
        "bench": "hopper", "leads": leads, "dnc": dnc, "selections": selections, "seed": seed,
        "setup_s": round(setup_s, 2), "load_s": round(ours["load_s"], 2),
        "leads_per_s": round(ours["leads_per_s"]), "p50_ms": round(ours["p50_ms"], 4),
        "p99_ms": round(ours["p99_ms"], 4), "max_ms": round(ours["max_ms"], 3),
        "empty_selections": ours["empty_selections"],
        "outcomes_per_s": round(ours["outcomes_per_s"]), "outcome_p99_ms": round(ours["outcome_p99_ms"], 4),
        "places_at_end": ours["counts"], "recorded_by_rule": ours["recorded"],
        "naive_sample_leads": sample, "naive_selections": naive_selections,
        "naive_extrapolated": sample < leads,
        "naive_leads_per_s": round(naive_rate, 3), "naive_p99_ms": round(naive["p99_ms"] * scale, 1),
        "ratio": round(ours["leads_per_s"] / naive_rate, 1),
    }


def run_dnc_bench(*, numbers: int, lookups: int, seed: int = 7, workdir: str | None = None) -> dict[str, Any]:
    """Write ``numbers`` random US numbers as text, build and map the registry, time look-ups."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        text = os.path.join(tmp, "registry.txt")
        with open(text, "w") as out:
            for start in range(0, numbers, 10_000):
                chunk = min(10_000, numbers - start)
                out.write("".join(f"{rng.randrange(2_000_000_000, 9_999_999_999)}\n" for _ in range(chunk)))
        started = time.perf_counter()
        built = build_registry(text, os.path.join(tmp, "registry.bin"), region="US")
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        registry = load_registry(os.path.join(tmp, "registry.bin"))
        load_s = time.perf_counter() - started
        listed = [int(line) + 10_000_000_000 for line in _sample_lines(text, lookups // 2, rng)]
        probes = listed + [rng.randrange(12_000_000_000, 19_999_999_999) for _ in range(lookups - len(listed))]
        started = time.perf_counter()
        hits = sum(1 for digits in probes if digits in registry)
        lookup_s = time.perf_counter() - started
        del registry
    return {"bench": "dnc", "lines": built.lines, "numbers": built.numbers,
            "file_mb": round(built.bytes_written / 2**20, 1),
            "build_s": round(build_s, 2), "build_numbers_per_s": round(built.lines / build_s),
            "load_ms": round(load_s * 1000, 3), "lookups": len(probes), "hits": hits,
            "lookups_per_s": round(len(probes) / lookup_s), "lookup_us": round(lookup_s / len(probes) * 1e6, 3)}


def _sample_lines(path: str, count: int, rng: random.Random) -> list[str]:
    with open(path) as stream:
        head = [next(stream) for _ in range(min(count * 4, 200_000))]
    return rng.sample(head, min(count, len(head)))


def _handler(run: Callable[..., dict[str, Any]], names: tuple[str, ...]) -> Callable[[argparse.Namespace], int]:
    def handle(args: argparse.Namespace) -> int:
        print(json.dumps(run(**{name: getattr(args, name) for name in names})))
        return 0
    return handle


def register(bench_subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callcenter bench hopper`` and ``callcenter bench dnc``."""
    hopper = bench_subparsers.add_parser("hopper", help="next-lead selection from a large campaign vs a naive scan")
    hopper.add_argument("--leads", type=int, default=1_000_000)
    hopper.add_argument("--dnc", type=float, default=0.1, help="share of leads on a do-not-call list")
    hopper.add_argument("--selections", type=int, default=200_000, help="timed selections of the hopper")
    hopper.add_argument("--naive-sample", type=int, default=20_000, help="leads the naive scan runs over")
    hopper.add_argument("--naive-selections", type=int, default=20, help="timed selections of the naive scan")
    hopper.add_argument("--seed", type=int, default=7)
    hopper.set_defaults(func=_handler(run_hopper_bench,
                                      ("leads", "dnc", "selections", "naive_sample", "naive_selections", "seed")))
    dnc = bench_subparsers.add_parser("dnc", help="build, map and query a national do-not-call registry file")
    dnc.add_argument("--numbers", type=int, default=10_000_000)
    dnc.add_argument("--lookups", type=int, default=200_000)
    dnc.add_argument("--seed", type=int, default=7)
    dnc.set_defaults(func=_handler(run_dnc_bench, ("numbers", "lookups", "seed")))
