"""Acceptance: a 100,000-row customer file with 1% bad rows imports fully, twice, without duplicates.

Runs on SQLite (the default store); the same code path is covered on PostgreSQL by test_crm_store.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from sqlalchemy import func, select

from crm_core.codes import make_customer_code
from crm_core.customer_files import import_customers
from crm_core.db import make_engine, make_session_factory, migrate
from crm_core.models import Customer, CustomerPhone

ROWS = 100_000
BAD_EVERY = 100  # 1% of the rows


def _write_file(path: Path) -> dict[int, str]:
    """The file, plus the line number and expected reason prefix of every bad row."""
    bad: dict[int, str] = {}
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "phones", "email", "revenue", "region"])
        for i in range(ROWS):
            line = i + 2
            row = [make_customer_code(i), f"Customer {i}", f"+1212{5_550_000 + i % 10_000}",
                   f"c{i}@example.com", str(i % 5000), "east"]
            if i % BAD_EVERY == 42:
                kind = (i // BAD_EVERY) % 4
                if kind == 0:
                    row[0] = row[0][:-1] + str((int(row[0][-1]) + 1) % 10)
                    bad[line] = "customer code"
                elif kind == 1:
                    row[1] = " "
                    bad[line] = "name:"
                elif kind == 2:
                    row[2] = "call me"
                    bad[line] = "phone:"
                else:
                    row[3] = "no-at-sign"
                    bad[line] = "email:"
            writer.writerow(row)
    return bad


def test_hundred_thousand_rows_twice(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    bad = _write_file(path)
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    migrate(engine)
    sessions = make_session_factory(engine)
    timings = []
    for attempt in range(2):
        started = time.perf_counter()
        with sessions() as session:
            report = import_customers(session, path)
            session.commit()
        timings.append(time.perf_counter() - started)
        assert {r.line: r.reason for r in report.rejected}.keys() == bad.keys()
        assert all(r.reason.startswith(bad[r.line]) for r in report.rejected)
        good = ROWS - len(bad)
        if attempt == 0:
            assert (report.imported, report.updated, report.unchanged) == (good, 0, 0)
        else:
            assert (report.imported, report.updated, report.unchanged) == (0, 0, good)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == ROWS - len(bad)
        assert session.scalar(select(func.count()).select_from(CustomerPhone)) == ROWS - len(bad)
        assert session.scalar(select(func.count(func.distinct(Customer.code)))) == ROWS - len(bad)
    engine.dispose()
    print(f"100k import: first {timings[0]:.1f} s, second {timings[1]:.1f} s")
