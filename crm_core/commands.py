"""``callcenter crm ...``: import and export customer files, recompute tiers, seed demo data."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from crm_core.customer_files import CustomerFileError, InvalidNumbers, export_customers, import_customers
from crm_core.db import make_engine, make_session_factory, migrate, session_scope
from crm_core.demo import seed_demo
from crm_core.fields import DEFAULT_REGION
from crm_core.tiers import recompute_tiers

IMPORT_COLUMNS = """\
columns (the first row names them; case and order do not matter):
  code        required: six digits ending in their check digit, e.g. 100008
  name        required: the customer's name
  company     optional text
  phones      optional: numbers separated by ';', international (+86 10 6552 9988) or national in
              the --region (010 6552 9988); each must be a valid number there
  email       optional: an e-mail address
  language    optional: a language tag such as en or zh-CN
  time_zone   optional: an IANA zone such as Asia/Shanghai
  revenue     optional: a non-negative amount such as 1250.50
  tier        ignored (computed from revenue)
  notes       optional text
  any other   kept as a custom field of that name (an empty cell removes it)
also accepted: 'customer code', 'phone', 'timezone', 'e-mail', 'lang'
CSV: comma, semicolon or TAB separated; UTF-8 (with or without BOM), GB18030/GBK or Windows-1252
(--encoding when it cannot be told). XLSX: the first sheet."""


def default_region(settings: Any) -> str:
    """The phone region for national numbers: ``[crm] default_region`` in callcenter.toml, else US."""
    return str(settings.raw.get("crm", {}).get("default_region", DEFAULT_REGION))


def invalid_numbers(settings: Any) -> InvalidNumbers:
    """``[crm] invalid_numbers``: "reject" (the default) refuses a row with a number not valid for its country,
    "warn" imports it with a warning."""
    raw = str(settings.raw.get("crm", {}).get("invalid_numbers", InvalidNumbers.REJECT))
    try:
        return InvalidNumbers(raw)
    except ValueError:
        raise ValueError(f"crm.invalid_numbers: expected reject or warn, got {raw!r}") from None


def _sessions(args: argparse.Namespace) -> Any:
    engine = make_engine(args.settings.db_url)
    migrate(engine)
    return make_session_factory(engine)


def _import(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    region = args.region or default_region(args.settings)
    try:
        on_invalid = invalid_numbers(args.settings)
    except ValueError as exc:
        print(f"crm import: {exc}", file=sys.stderr)
        return 2
    try:
        with session_scope(_sessions(args)) as session:
            report = import_customers(session, args.file, region=region, encoding=args.encoding,
                                      invalid_numbers=on_invalid)
    except (CustomerFileError, OSError) as exc:
        print(f"crm import: {args.file}: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    for rejection in report.rejected:
        print(f"line {rejection.line}: {rejection.reason}", file=sys.stderr)
    for warning in report.warnings:
        print(f"line {warning.line}: warning: {warning.reason}", file=sys.stderr)
    print(
        f"{args.file} ({report.encoding}): {report.imported} imported, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.rejected)} rejected, {len(report.warnings)} warned "
        f"in {seconds:.1f} s"
    )
    if args.json:
        print(json.dumps(report.summary(), ensure_ascii=False))
    return 1 if report.rejected else 0


def _export(args: argparse.Namespace) -> int:
    with session_scope(_sessions(args)) as session:
        count = export_customers(session, args.file)
    print(f"{count} customers written to {args.file}")
    return 0


def _tiers(args: argparse.Namespace) -> int:
    with session_scope(_sessions(args)) as session:
        result = recompute_tiers(session)
    print(json.dumps({"counts": result.counts, "changed": result.changed}))
    return 0


def _demo(args: argparse.Namespace) -> int:
    with session_scope(_sessions(args)) as session:
        created = seed_demo(session, n=args.count, seed=args.seed)
    print(f"{created} demo customers created")
    return 0


def register(subparsers: Any) -> None:
    """Add ``crm import|export|tiers|demo`` to the ``callcenter`` command."""
    crm = subparsers.add_parser("crm", help="customer store: import, export, tiers, demo data")
    actions = crm.add_subparsers(dest="crm_action", required=True, metavar="ACTION")
    imp = actions.add_parser(
        "import", help="upsert customers from a CSV or XLSX file (keyed by code)",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=IMPORT_COLUMNS,
        description="Upsert customers by code. Good rows are kept and every bad row is reported with its "
        "line; the exit status is 0 when every row was taken, 1 when some were rejected, 2 when the file "
        "cannot be read (then nothing is imported).",
    )
    imp.add_argument("file")
    imp.add_argument("--encoding", help="the CSV's encoding when it cannot be told (e.g. gb18030, cp1252)")
    imp.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    imp.add_argument("--region", help="phone region for national numbers (default from settings, US)")
    imp.set_defaults(func=_import)
    exp = actions.add_parser("export", help="write all customers to FILE (.csv or .xlsx)")
    exp.add_argument("file")
    exp.set_defaults(func=_export)
    tiers = actions.add_parser("tiers", help="recompute tiers from revenue; prints JSON counts")
    tiers.set_defaults(func=_tiers)
    demo = actions.add_parser("demo", help="seed demo customers (idempotent)")
    demo.add_argument("--count", type=int, default=300)
    demo.add_argument("--seed", type=int, default=2024)
    demo.set_defaults(func=_demo)
