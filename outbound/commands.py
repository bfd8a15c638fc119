"""``callcenter campaigns``, ``callcenter lists`` and ``callcenter dnc``: campaigns, call lists, a number's story,
do-not-call entries and the national registry from the command line.

Changes made here are stored like those made on the web (audited, the actor being ``cli:<login>``); a
running server takes them in within its polling interval. The command line stands for an administrator,
so it may take numbers off lists (with a reason).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.orm import Session, sessionmaker

from crm_core.commands import default_region
from crm_core.db import make_engine, make_session_factory, migrate, session_scope
from outbound import campaign_store, dnc_store, list_import
from outbound.campaign_store import CampaignNotFound
from outbound.campaigns import MODES, CampaignError, CampaignSettings
from outbound.dnc import DncError
from outbound.list_columns import FIELDS, LIST_COLUMNS
from outbound.numbers import NumberError, parse_number
from outbound.story import number_story

CLI_ROLE = "admin"
BAR_WIDTH = 30


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _sessions(args: argparse.Namespace) -> sessionmaker[Session]:
    engine = make_engine(args.settings.db_url)
    migrate(engine)
    return make_session_factory(engine)


def _fail(command: str, message: str, status: int = 2) -> int:
    print(f"{command}: {message}", file=sys.stderr)
    return status


class ProgressBar:
    """A one-line bar on a terminal (nothing when the stream is not one)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = stream.isatty()

    def __call__(self, share: float, rows: int) -> None:
        if self.shown:
            filled = int(share * BAR_WIDTH)
            self.stream.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%} {rows:,} rows")
            self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")


def _columns(pairs: list[str]) -> dict[str, str]:
    named = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or field not in FIELDS or not header:
            raise ValueError(f"--column {pair!r}: use FIELD=HEADER with FIELD one of {', '.join(FIELDS)}")
        named[field] = header
    return named


def _import(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        named = _columns(args.column)
    except ValueError as exc:
        return _fail("lists import", str(exc))
    path = Path(args.file)
    if not path.is_file():
        return _fail("lists import", f"{path}: no such file")
    sessions = _sessions(args)
    try:
        with session_scope(sessions) as session:
            campaign = campaign_store.find_campaign(session, args.campaign)
            dnc, _ = dnc_store.load_lists(session, dnc_store.load_active_registry(session)[1])
            job_id = list_import.create_job(session, campaign.id, path.name, path.stat().st_size, actor=_actor(),
                                            at=time.time())
    except CampaignNotFound as exc:
        return _fail("lists import", str(exc))
    bar = ProgressBar(sys.stderr)
    summary = list_import.run_import(sessions, job_id, path, campaign, dnc, columns=named, encoding=args.encoding,
                                     on_batch=bar)
    bar.close()
    with sessions() as session:
        if args.report:
            with open(args.report, "w", encoding="utf-8-sig", newline="") as out:
                list_import.write_report(session, job_id, out)
        elif summary.rejected:
            _print_rejections(session, job_id)
    if summary.status == list_import.FAILED:
        return _fail("lists import", f"{path}: {summary.error}")
    print(f"{path} ({summary.encoding}) into {campaign.name}: {summary.added} added, {summary.rejected} rejected, "
          f"{summary.duplicate_in_file} repeated in the file, {summary.duplicate_in_campaign} already in the "
          f"campaign; {summary.on_dnc} on a do-not-call list, {summary.linked_customers} linked to customers; "
          f"{time.perf_counter() - started:.1f} s (job {job_id})")
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False))
    return 1 if summary.rejected else 0


def _print_rejections(session: Session, job_id: int) -> None:
    """The rejected rows on stderr, one line each (the full report goes to --report)."""
    for line, _, reason, _ in list_import.job_problems(session, job_id, list_import.REJECTED):
        print(f"line {line}: {reason}", file=sys.stderr)


def _why(args: argparse.Namespace) -> int:
    sessions = _sessions(args)
    region = args.region or default_region(args.settings)
    try:
        number = parse_number(args.number, region)
    except NumberError as exc:
        return _fail("lists why", str(exc))
    with sessions() as session:
        dnc, _ = dnc_store.load_lists(session, dnc_store.load_active_registry(session)[1])
        campaigns = {c.id: c for c in campaign_store.list_campaigns(session)}
        story = number_story(session, number, dnc, campaigns, now=time.time())
    if args.json:
        print(json.dumps(story.to_json(), ensure_ascii=False))
    else:
        print("\n".join(story.describe()))
    return 0


def _campaign_id(session: Session, name: str | None) -> int | None:
    return None if name is None else campaign_store.find_campaign(session, name).id


def _dnc_change(args: argparse.Namespace) -> int:
    command = f"dnc {args.dnc_action}"
    sessions = _sessions(args)
    try:
        with session_scope(sessions) as session:
            campaign_id = _campaign_id(session, args.campaign)
            region = args.region or (campaign_store.get_campaign(session, campaign_id).settings.default_region
                                     if campaign_id is not None else default_region(args.settings))
            number = parse_number(args.number, region)
            if args.dnc_action == "add":
                change = dnc_store.add_number(session, number, campaign_id=campaign_id, actor=_actor(),
                                              reason=args.reason, at=time.time())
            else:
                change = dnc_store.remove_number(session, number, campaign_id=campaign_id, actor=_actor(),
                                                 role=CLI_ROLE, reason=args.reason, at=time.time())
    except (CampaignNotFound, NumberError, DncError) as exc:
        return _fail(command, str(exc))
    which = "the internal list" if change.campaign_id is None else f"the list of campaign {args.campaign}"
    print(f"{change.e164} {'added to' if change.action == 'add' else 'taken off'} {which}")
    return 0


def _registry(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        return _fail("dnc registry", f"{path}: no such file")
    started = time.perf_counter()
    with session_scope(_sessions(args)) as session:
        info, built = dnc_store.import_registry(session, path, args.settings.data_dir, source_name=path.name,
                                                region=args.region, actor=_actor(), at=time.time())
    print(f"national registry from {path.name}: {built.numbers:,} numbers ({built.lines:,} lines, {built.skipped:,} "
          f"skipped) in {info.path}, {time.perf_counter() - started:.1f} s; servers take it in within a minute")
    return 0


def _campaign_list(args: argparse.Namespace) -> int:
    with _sessions(args)() as session:
        for campaign in campaign_store.list_campaigns(session):
            print(f"{campaign.id}\t{campaign.name}\t{campaign.status}\t{campaign.settings.mode}\t"
                  f"{campaign.settings.queue}\t{campaign.settings.caller_id}")
    return 0


def _campaign_create(args: argparse.Namespace) -> int:
    data: dict[str, Any] = {"name": args.name, "caller_id": args.caller_id, "queue": args.queue, "mode": args.mode,
                            "default_region": args.region or default_region(args.settings)}
    try:
        with session_scope(_sessions(args)) as session:
            campaign = campaign_store.create_campaign(session, CampaignSettings.from_json(data), actor=_actor(),
                                                      at=time.time())
    except CampaignError as exc:
        return _fail("campaigns create", str(exc))
    print(f"campaign {campaign.id} {campaign.name} created (draft)")
    return 0


def register(subparsers: Any) -> None:
    """Add ``campaigns``, ``lists`` and ``dnc`` to the ``callcenter`` command."""
    campaigns = subparsers.add_parser("campaigns", help="outbound campaigns: list, create")
    campaign_actions = campaigns.add_subparsers(dest="campaigns_action", required=True, metavar="ACTION")
    listing = campaign_actions.add_parser("list", help="every campaign: id, name, status, mode, queue, caller ID")
    listing.set_defaults(func=_campaign_list)
    create = campaign_actions.add_parser("create", help="a new campaign (a draft; edit it on the campaigns page)")
    create.add_argument("name")
    create.add_argument("--caller-id", required=True, help="the number callees see, e.g. +12125550100")
    create.add_argument("--queue", required=True, help="the queue whose agents work it")
    create.add_argument("--mode", choices=MODES, default="progressive")
    create.add_argument("--region", help="region of national numbers in its lists (default from settings, US)")
    create.set_defaults(func=_campaign_create)

    lists = subparsers.add_parser("lists", help="call lists: import a file, a number's story")
    list_actions = lists.add_subparsers(dest="lists_action", required=True, metavar="ACTION")
    imp = list_actions.add_parser(
        "import", help="add a CSV or XLSX file's numbers to a campaign",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=LIST_COLUMNS,
        description="Add the numbers of a file to a campaign as one job: every good row becomes a lead once the "
        "whole file has been read, every bad row is reported with its line. The exit status is 0 when every "
        "row was taken (numbers already there count as taken), 1 when some were rejected, 2 when the file "
        "cannot be read (then nothing is imported).")
    imp.add_argument("campaign", help="the campaign's name or id")
    imp.add_argument("file")
    imp.add_argument("--column", action="append", default=[], metavar="FIELD=HEADER",
                     help="read FIELD (phone, name, first_name, last_name) from the column named HEADER")
    imp.add_argument("--encoding", help="the CSV's encoding when it cannot be told (e.g. gb18030, cp1252)")
    imp.add_argument("--report", help="write every row not added (line, problem, reason, cells) to this CSV file")
    imp.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    imp.set_defaults(func=_import)
    why = list_actions.add_parser("why", help="a number's story: lists, campaigns, every decision and dial")
    why.add_argument("number")
    why.add_argument("--region", help="region of a national number (default from settings, US)")
    why.add_argument("--json", action="store_true", help="the story as JSON")
    why.set_defaults(func=_why)

    dnc = subparsers.add_parser("dnc", help="do-not-call: add, remove, import the national registry")
    dnc_actions = dnc.add_subparsers(dest="dnc_action", required=True, metavar="ACTION")
    for action, summary in (("add", "put a number on the internal list (or a campaign's)"),
                            ("remove", "take a number off the internal list (or a campaign's); audited")):
        change = dnc_actions.add_parser(action, help=summary)
        change.add_argument("number")
        change.add_argument("--reason", required=True)
        change.add_argument("--campaign", help="a campaign's own list instead of the internal one")
        change.add_argument("--region", help="region of a national number (default: the campaign's, or settings)")
        change.set_defaults(func=_dnc_change)
    registry = dnc_actions.add_parser(
        "registry", help="replace the national registry with a published list (one number a line)")
    registry.add_argument("file")
    registry.add_argument("--region", default="US", help="region of the list's national numbers (default US)")
    registry.set_defaults(func=_registry)
