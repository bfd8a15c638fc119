"""``callcenter bench import``: a call list of ``--rows`` rows into a campaign, on SQLite or PostgreSQL.

Set up first, untimed, on a throw-away database (SQLite in a temporary folder; ``--db postgresql`` a new
database on the server of ``--pg-url``, dropped afterwards):

- the list, a UTF-8 CSV ``name,phone,city`` of US numbers written as lists write them: 55% ``(212) 555-0123``,
  20% ``212-555-0123``, 20% ``+1 212 555 0123``, 2% ``12125550123``; 1% hold no valid number and 2% repeat an
  earlier line's number;
- the national registry of ``--registry`` random US numbers, holding 10% of the list's numbers, built
  into its file and made the active registry;
- ``--customers`` CRM customers whose phones are list numbers (the import links them), and a campaign.

Timed: the import job (numbers read, scrubbed against every do-not-call list and the registry, linked
to customers, staged, checked for duplicates and moved into the campaign), in a new process so that its
peak resident memory is the import's own. The last line is JSON: ``rows_per_s``, ``seconds``,
``peak_rss_mb`` and the job's counts.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import secrets
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert, select

from crm_core.codes import make_customer_code
from crm_core.db import make_engine, make_session_factory, migrate, session_scope, table_of
from crm_core.models import Customer, CustomerPhone
from outbound import campaign_store, dnc_store, list_import
from outbound.campaigns import CampaignSettings
from outbound.numbers import NumberError, parse_number

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REGISTRY_SHARE = 0.10


def _area_codes() -> list[int]:
    """US area codes phonenumbers takes as valid (one parse each)."""
    found = []
    for npa in range(201, 990):
        try:
            if parse_number(f"+1{npa}2345678").region == "US":
                found.append(npa)
        except NumberError:
            continue
    return found


def _written(rng: random.Random, npa: int, line: int) -> str:
    nxx, last = line // 10_000, line % 10_000
    roll = rng.random()
    if roll < 0.55:
        return f"({npa}) {nxx}-{last:04d}"
    if roll < 0.75:
        return f"{npa}-{nxx}-{last:04d}"
    if roll < 0.95:
        return f"+1 {npa} {nxx} {last:04d}"
    return f"1{npa}{nxx}{last:04d}"


def write_list(path: Path, rows: int, rng: random.Random) -> list[int]:
    """Write the list; returns the keys (E.164 digits) of its numbers, in order, for the registry and the CRM."""
    codes = _area_codes()
    keys: list[int] = []
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("name,phone,city\n")
        for i in range(rows):
            roll = rng.random()
            if roll < 0.01:
                out.write(f"Person {i},555-01,Nowhere\n")
                continue
            if roll < 0.03 and keys:
                digits = keys[rng.randrange(len(keys))]
                npa, line = divmod(digits - 10_000_000_000, 10_000_000)
            else:
                npa, line = codes[rng.randrange(len(codes))], rng.randrange(2_000_000, 10_000_000)
                digits = 10_000_000_000 + npa * 10_000_000 + line
                keys.append(digits)
            out.write(f"Person {i},{_written(rng, npa, line)},City {npa}\n")
    return keys


def write_registry(path: Path, numbers: int, listed: list[int], rng: random.Random) -> None:
    """``numbers`` lines of national US numbers, ``REGISTRY_SHARE`` of ``listed`` among them."""
    chosen = rng.sample(listed, min(len(listed), int(len(listed) * REGISTRY_SHARE), numbers))
    with path.open("w") as out:
        out.write("".join(f"{digits - 10_000_000_000}\n" for digits in chosen))
        for start in range(0, numbers - len(chosen), 100_000):
            count = min(100_000, numbers - len(chosen) - start)
            out.write("".join(f"{rng.randrange(2_000_000_000, 9_999_999_999)}\n" for _ in range(count)))


def _add_customers(sessions: Any, listed: list[int], count: int, rng: random.Random) -> None:
    owned = rng.sample(listed, min(count, len(listed)))
    codes = [make_customer_code(10_000 + i) for i in range(len(owned))]
    with session_scope(sessions) as session:
        session.execute(insert(table_of(Customer)), [
            {"code": code, "name": f"Customer {code}", "language": "en", "tier": "small", "revenue_cents": 0,
             "custom_fields": {}, "notes": "", "created_at": 0.0, "updated_at": 0.0} for code in codes])
        ids = {code: customer_id for code, customer_id in session.execute(select(Customer.code, Customer.id))}
        session.execute(insert(table_of(CustomerPhone)), [
            {"customer_id": ids[code], "number": f"+{digits}", "position": 0}
            for code, digits in zip(codes, owned, strict=True)])


@contextmanager
def _database(kind: str, folder: Path, pg_url: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    name = f"callcenter_bench_{secrets.token_hex(4)}"
    admin = psycopg.connect(pg_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _timed_import(db_url: str, job_id: int, campaign_id: int, path: str, results: Any) -> None:
    """In a fresh process: load the lists and run the job; send back the summary, seconds and peak RSS."""
    try:
        sessions = make_session_factory(make_engine(db_url))
        started, cpu_before = time.perf_counter(), _cpu_seconds()
        with sessions() as session:
            campaign = campaign_store.get_campaign(session, campaign_id)
            dnc, _ = dnc_store.load_lists(session, dnc_store.load_active_registry(session)[1])
        summary = list_import.run_import(sessions, job_id, path, campaign, dnc)
        seconds = time.perf_counter() - started
        results.put((summary.to_json(), seconds, _cpu_seconds() - cpu_before, _peak_rss_mb()))
    except BaseException:
        results.put(traceback.format_exc())
        raise


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process, its threads and its ended children (the number reader): on a
    busy machine, what the import itself cost."""
    return sum(usage.ru_utime + usage.ru_stime for usage in (resource.getrusage(resource.RUSAGE_SELF),
                                                              resource.getrusage(resource.RUSAGE_CHILDREN)))


def _peak_rss_mb() -> float:
    """This process's peak resident memory. Not ``getrusage``: Linux carries its ``ru_maxrss`` over ``exec``, so
    a spawned child would report the parent's peak (the registry build's)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_import_bench(*, rows: int, registry: int, customers: int, db: str, pg_url: str, seed: int = 7
                     ) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp, _database(db, Path(tmp), pg_url) as db_url:
        folder = Path(tmp)
        started = time.perf_counter()
        listed = write_list(folder / "list.csv", rows, rng)
        write_registry(folder / "registry.txt", registry, listed, rng)
        engine = make_engine(db_url)
        migrate(engine)
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            dnc_store.import_registry(session, folder / "registry.txt", folder, source_name="registry.txt",
                                      region="US", actor="bench", at=time.time())
            campaign = campaign_store.create_campaign(session, CampaignSettings.from_json(
                {"name": "bench", "caller_id": "+12125550100", "queue": "sales"}), actor="bench", at=time.time())
            job_id = list_import.create_job(session, campaign.id, "list.csv", (folder / "list.csv").stat().st_size,
                                            actor="bench", at=time.time())
        _add_customers(sessions, listed, customers, rng)
        engine.dispose()
        setup_s = time.perf_counter() - started
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        worker = context.Process(target=_timed_import, args=(db_url, job_id, campaign.id, str(folder / "list.csv"),
                                                             results))
        worker.start()
        answer = results.get()
        worker.join()
        if isinstance(answer, str):
            raise RuntimeError(f"the import failed:\n{answer}")
        summary, seconds, cpu_s, peak_mb = answer
    return {"bench": "import", "db": db, "rows": rows, "registry_numbers": registry, "customers": customers,
            "setup_s": round(setup_s, 1), "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "cpu_s": round(cpu_s, 2),
            "peak_rss_mb": round(peak_mb, 1), "status": summary["status"], "added": summary["added"],
            "rejected": summary["rejected"], "duplicate_in_file": summary["duplicate_in_file"],
            "on_dnc": summary["on_dnc"], "linked_customers": summary["linked_customers"]}


def register(bench_subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callcenter bench import``."""
    bench = bench_subparsers.add_parser("import", help="a large call list into a campaign (rows/s, peak RSS)")
    bench.add_argument("--rows", type=int, default=1_000_000)
    bench.add_argument("--registry", type=int, default=10_000_000, help="numbers on the national registry")
    bench.add_argument("--customers", type=int, default=10_000, help="CRM customers owning list numbers")
    bench.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    bench.add_argument("--pg-url", default=PG_URL, help="a PostgreSQL server to make the throw-away database on")
    bench.add_argument("--seed", type=int, default=7)

    def handle(args: argparse.Namespace) -> int:
        print(json.dumps(run_import_bench(rows=args.rows, registry=args.registry, customers=args.customers,
                                          db=args.db, pg_url=args.pg_url, seed=args.seed)))
        return 0

    bench.set_defaults(func=handle)
