"""``callcenter serve``: run a node until SIGINT/SIGTERM; ``callcenter rebuild-rollups``: count the report
rollups of calls again."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from acd.config import load_config as load_acd_config
from callcenter.logs import LOG_FORMATS, configure_logging
from callcenter.node import Node, NodeStartError, with_demo_center
from callcenter.wiring import crm_directory, desktop_app
from crm_core import staff
from crm_core.db import make_engine, make_session_factory, migrate, session_scope
from reports.rollup_store import rebuild_call_rollups
from reports.rollups import queue_kpis


async def _serve(node: Node) -> int:
    """Run ``node`` until a signal (0), a failed start (1) or the loss of the ACD lead (3)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    # A standby node's start waits for the lead: a signal must still stop it.
    starting = asyncio.create_task(node.start(web_app=desktop_app))
    stopping = asyncio.create_task(stop.wait())
    lost: asyncio.Task[bool] | None = None
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, NodeStartError):
                await starting
            return 0
        try:
            starting.result()
        except NodeStartError as exc:
            print(f"callcenter: {exc}", file=sys.stderr)
            return 1
        lost = asyncio.create_task(node.lease.lost.wait()) if node.lease is not None else None
        await asyncio.wait({stopping} if lost is None else {stopping, lost}, return_when=asyncio.FIRST_COMPLETED)
        if lost is not None and lost.done():
            # Another node may lead already: stop deciding at once; a supervisor restarts us as a standby.
            print("callcenter: lost the ACD lead; stopping", file=sys.stderr, flush=True)
            return 3
        return 0
    finally:
        stopping.cancel()
        if lost is not None:
            lost.cancel()
        print("callcenter: stopping", flush=True)
        await node.stop()


def serve(args: argparse.Namespace) -> int:
    settings = args.settings
    if args.demo:
        settings.demo = True
    if args.http_port is not None:
        settings.http_port = args.http_port
    if args.http_host is not None:
        settings.http_host = args.http_host
    level = logging.INFO if args.verbose else logging.WARNING
    try:
        configure_logging(level, args.log_format or settings.log_format)
    except ValueError as exc:
        print(f"callcenter: {exc}", file=sys.stderr)
        return 2
    node = Node(settings, directory_factory=crm_directory, say=lambda line: print(line, flush=True))
    return asyncio.run(_serve(node))


def rebuild_rollups(args: argparse.Namespace) -> int:
    """Count the report rollups of calls again from the interaction rows, with each queue's thresholds as
    configured now (``callcenter.toml``, then the admin console's changes)."""
    settings = args.settings
    raw = with_demo_center(settings.raw)
    engine = make_engine(settings.db_url)
    try:
        migrate(engine)
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            queues = load_acd_config(staff.with_settings(session, raw)).queues
            rebuild_call_rollups(session, queue_kpis(lambda: queues))
    finally:
        engine.dispose()
    print("report rollups counted again from the interaction rows")
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("serve", help="run the contact center (PBX simulator when no AMI host is set)")
    parser.add_argument("--demo", action="store_true", help="seed demo customers and accounts, simulate traffic")
    parser.add_argument("--http-host", help="web server address (default 127.0.0.1)")
    parser.add_argument("--http-port", type=int, help="web server port (default 8080)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    parser.add_argument("--log-format", choices=LOG_FORMATS,
                        help="text lines (default) or one JSON object per line carrying the call id")
    parser.set_defaults(func=serve)
    rebuild = commands.add_parser(
        "rebuild-rollups",
        help="count the report rollups of calls again from the interaction rows, with each queue's thresholds "
             "as configured now (stop the nodes first)")
    rebuild.set_defaults(func=rebuild_rollups)
