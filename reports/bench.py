"""``callcenter bench reports``: every report over ``--interactions`` interaction rows, read from the rollups.

Set up first, untimed, on a throw-away database (SQLite in a temporary folder; with ``--database-url`` a new
database on that PostgreSQL server, dropped afterwards unless ``--keep``):

- ``--interactions`` legs over ``--days`` days ending today (UTC), in time order: 10 inbound queues, 200
  agents (each in two queues, or 20 of them on the campaigns), 5 outbound campaigns (10% of legs), 4% ended
  by the IVR, 8% abandoned (one in twelve of them within 5 s: short), 2% call-back requests; answered legs
  have talk, hold, wrap-up and one of 6 dispositions;
- 32 agent-state stretches per agent and day;
- the rollups, built as the recorder builds them (each leg's contributions, :mod:`reports.rollups`), kept
  per day in memory and written with the rows. Rows and rollups go in with COPY on PostgreSQL, executemany
  on SQLite; then the database's statistics are refreshed.

Timed: each report (:mod:`reports.rollup_reports`) in Asia/Kathmandu (+5:45: both ends of the period fall
on quarter-hours that are no UTC hour), over every day generated (the interval report: its longest, the
last 31 days, by 15 minutes), the agent and disposition reports also for one agent. The last line is JSON:
seconds per report, rows and rollup rows, generation seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import Engine, text

from crm_core.db import insert_rows, make_engine, make_session_factory, migrate, table_of
from crm_core.models import Interaction
from crm_core.rollup_tables import ROLLUP_TABLES
from reports.definitions import KpiSettings
from reports.rollup_reports import MAX_INTERVAL_DAYS, ReportQuery, build_report
from reports.rollup_store import TABLES, store_reader
from reports.rollups import (
    COUNTERS,
    DAY,
    DIMENSIONS,
    LegFacts,
    RollupRow,
    call_contributions,
    delta,
    local_period,
    same_kpis,
    state_seconds,
)

ZONE = ZoneInfo("Asia/Kathmandu")
QUEUES = tuple(f"queue{n}" for n in range(10))
AGENTS = tuple(f"agent{n:03d}" for n in range(200))
# As on a real floor, each agent answers a few queues: the first 180 two neighbouring queues each, the last 20
# the campaigns (``--any-agent``: every agent any queue and campaign, the rollups' worst case).
QUEUE_AGENTS = {q: tuple(AGENTS[n] for n in range(180) if n % 10 in (i, (i + 1) % 10)) for i, q in enumerate(QUEUES)}
CAMPAIGNS = tuple(f"campaign{n}" for n in range(5))
CAMPAIGN_AGENTS = AGENTS[180:]
DISPOSITIONS = ("sale", "info", "complaint", "callback_later", "wrong_number", "resolved")
STATES = ("ready", "on_call", "wrap_up", "not_ready", "reserved")
REASONS = ("lunch", "training", "break")
_LEG_COLUMNS = ("leg_id", "call_id", "direction", "channel", "queue", "campaign", "agent_id", "ivr_data",
                "enter_at", "answer_at", "end_at", "wait_seconds", "talk_seconds", "hold_seconds", "wrap_up_seconds",
                "outcome", "disposition", "notes")
KPIS = KpiSettings(sl_seconds=20, short_abandon_seconds=5)


def _leg(rng: random.Random, n: int, at: float, any_agent: bool) -> tuple[tuple[Any, ...], LegFacts]:
    """One leg's row and facts."""
    roll = rng.random()
    chosen = rng.choice(QUEUES)
    queue: str | None = chosen
    agent = rng.choice(AGENTS if any_agent else QUEUE_AGENTS[chosen])
    wait = float(rng.randrange(0, 120))
    direction = "inbound"
    campaign: str | None = None
    ivr_node: str | None = None
    answer_at = talk = wrap = None
    disposition: str | None = None
    hold = 0.0
    if roll < 0.04:
        outcome, ivr_node, end_at = rng.choice(("hangup", "abandoned_in_ivr")), "menu", at + wait
        wait, queue = 0.0, None
    elif roll < 0.12:
        outcome, end_at = "abandoned", at + (wait if roll >= 0.0467 else wait % 5)
        wait = end_at - at
    elif roll < 0.14:
        outcome, end_at = "callback_requested", at + wait
    else:
        if roll < 0.24:
            direction, campaign, queue = "outbound", rng.choice(CAMPAIGNS), None
            agent = agent if any_agent else rng.choice(CAMPAIGN_AGENTS)
        talk, hold, wrap = float(rng.randrange(30, 600)), float(rng.randrange(0, 3) * 20), float(rng.randrange(0, 60))
        answer_at = at + wait
        end_at = answer_at + talk + hold
        outcome, disposition = "answered", rng.choice(DISPOSITIONS)
    leg_id = f"L{n}"  # every generated call has one leg
    row = (leg_id, leg_id, direction, "voice", queue, campaign, agent if answer_at is not None else None,
           json.dumps({"last_node": ivr_node}) if ivr_node else "{}", at, answer_at, end_at, wait, talk, hold, wrap,
           outcome, disposition, "")
    facts = LegFacts(leg_id=leg_id, call_id=leg_id, direction=direction, queue=queue, campaign=campaign,
                     agent_id=row[6], enter_at=at, answer_at=answer_at, end_at=end_at, outcome=outcome,
                     disposition=disposition, wait_seconds=wait, talk_seconds=talk, hold_seconds=hold,
                     wrap_up_seconds=wrap, ivr_last_node=ivr_node)
    return row, facts


Sums = dict[tuple[str, int, int, tuple[str, ...]], list[float]]


def _add(sums: Sums, rows: list[RollupRow]) -> None:
    for table, grain, bucket, key, counters in rows:
        total = sums.get((table, grain, bucket, key))
        if total is None:
            sums[(table, grain, bucket, key)] = list(counters)
        else:
            for i, value in enumerate(counters):
                total[i] += value


def _rollup_rows(sums: Sums) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {t.name: [] for t in ROLLUP_TABLES}
    for (table, grain, bucket, key), counters in sums.items():
        out[table].append((grain, bucket, *key, *counters))
    return out


def generate(engine: Engine, interactions: int, days: int, seed: int, any_agent: bool = False) -> dict[str, int]:
    """Write the legs, agent stretches and their rollups; returns the rows written per table."""
    rng = random.Random(seed)
    sessions = make_session_factory(engine)
    end = int(dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()) + DAY
    start = end - days * DAY
    step = days * DAY / max(1, interactions)
    written = {t.name: 0 for t in (*ROLLUP_TABLES, table_of(Interaction))}
    n = 0
    sums = Sums()
    for day in range(days):
        day_start = start + day * DAY
        legs = []
        while n < interactions and start + n * step < day_start + DAY:
            row, facts = _leg(rng, n, start + n * step, any_agent)
            legs.append(row)
            _add(sums, delta([], call_contributions([facts], same_kpis(KPIS))))
            n += 1
        for agent in AGENTS:
            at = day_start + 8 * 3600.0
            for _ in range(32):
                state, length = rng.choice(STATES), rng.randrange(60, 1800)
                reason = rng.choice(REASONS) if state == "not_ready" else None
                _add(sums, state_seconds(agent, state, reason, at, at + length))
                at += length
        # Later legs and stretches never reach back before the next day: the buckets before it are whole.
        last = day == days - 1
        done = {k: v for k, v in sums.items() if last or k[2] < day_start + DAY}
        sums = {k: v for k, v in sums.items() if k not in done}
        with sessions.begin() as session:
            insert_rows(session, table_of(Interaction), _LEG_COLUMNS, legs)
            for name, rows in _rollup_rows(done).items():
                insert_rows(session, TABLES[name], ("grain", "bucket", *DIMENSIONS[name], *COUNTERS[name]), rows)
                written[name] += len(rows)
        written["interactions"] += len(legs)
    return written


def _analyse(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


def time_reports(engine: Engine, days: int) -> dict[str, float]:
    """Seconds each report takes, in a fresh session each."""
    today = dt.datetime.now(ZONE).date()
    first = today - dt.timedelta(days=days - 1)
    start, end = local_period(ZONE, first, today)
    interval_start, _ = local_period(ZONE, today - dt.timedelta(days=MAX_INTERVAL_DAYS - 1), today)
    queries = {
        "interval": ReportQuery("interval", interval_start, end, ZONE, minutes=15),
        "queue": ReportQuery("queue", start, end, ZONE),
        "agent": ReportQuery("agent", start, end, ZONE),
        "agent_one": ReportQuery("agent", start, end, ZONE, agent_id=AGENTS[7]),
        "disposition_by_queue": ReportQuery("disposition", start, end, ZONE, by="queue"),
        "disposition_by_agent": ReportQuery("disposition", start, end, ZONE, by="agent_id"),
        "disposition_one_agent": ReportQuery("disposition", start, end, ZONE, by="campaign", agent_id=AGENTS[7]),
        "ivr": ReportQuery("ivr", start, end, ZONE),
        "campaign": ReportQuery("campaign", start, end, ZONE),
    }
    sessions = make_session_factory(engine)
    seconds: dict[str, float] = {}
    for name, query in queries.items():
        with sessions() as session:
            began = time.perf_counter()
            report = build_report(query, store_reader(session, time.time()), KPIS)
            seconds[name] = round(time.perf_counter() - began, 3)
            if not report.rows:
                raise RuntimeError(f"the {name} report came out empty")
    return seconds


@contextmanager
def _database(url: str | None, keep: bool) -> Iterator[str]:
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'reports.sqlite3'}"
        return
    name = f"callcenter_reports_{secrets.token_hex(4)}"
    admin = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        if not keep:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def run_reports_bench(interactions: int, days: int, database_url: str | None, seed: int = 7,
                      keep: bool = False, any_agent: bool = False) -> dict[str, Any]:
    """Generate, then time every report; the figures as a dict."""
    with _database(database_url, keep) as url:
        engine = make_engine(url)
        migrate(engine)
        began = time.perf_counter()
        written = generate(engine, interactions, days, seed, any_agent)
        generated = time.perf_counter() - began
        _analyse(engine)
        seconds = time_reports(engine, days)
        engine.dispose()
    return {"database": engine.dialect.name, "interactions": written.pop("interactions"), "days": days,
            "any_agent": any_agent,
            "rollup_rows": written, "generate_seconds": round(generated, 1),
            "rows_per_second": round(interactions / generated) if generated else None,
            "report_seconds": seconds, "slowest": max(seconds.values()),
            "database_kept": url if keep and database_url else None}


def register(bench_subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callcenter bench reports``."""
    bench = bench_subparsers.add_parser("reports", help="every report over many interactions, from the rollups")
    bench.add_argument("--interactions", type=int, default=1_000_000)
    bench.add_argument("--days", type=int, default=90, help="days the interactions spread over, ending today")
    bench.add_argument("--database-url", default=None,
                       help="a PostgreSQL database URL; the bench makes a throw-away database on its server "
                            "(default: SQLite in a temporary folder)")
    bench.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (its URL is printed)")
    bench.add_argument("--seed", type=int, default=7)
    bench.add_argument("--any-agent", action="store_true",
                       help="every agent answers every queue and campaign (the rollups' worst case)")

    def handle(args: argparse.Namespace) -> int:
        print(json.dumps(run_reports_bench(args.interactions, args.days, args.database_url, args.seed, args.keep,
                                           args.any_agent)))
        return 0

    bench.set_defaults(func=handle)
