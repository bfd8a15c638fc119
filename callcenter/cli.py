"""The ``callcenter`` command: ``serve``, ``sim``, ``bench NAME``, ``ami-decode`` and admin verbs.

Packages contribute sub-commands through a ``register(subparsers)`` function in their
``commands`` module (benchmarks through ``register(bench_subparsers)`` in their ``bench`` module);
each sets ``func`` with ``set_defaults``. Handlers receive the parsed arguments with
``args.settings`` already loaded (file, then ``CALLCENTER_*`` environment, then flags).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from callcenter.settings import SettingsError, load_settings

COMMAND_MODULES = (
    "callcenter.commands",
    "callcenter.doctor",
    "cti.commands",
    "crm_core.commands",
    "ivr.commands",
    "acd.commands",
    "asterisk_conf.commands",
    "outbound.commands",
)
BENCH_MODULES = ("cti.ami.bench", "acd.bench", "ivr.bench", "callcenter.screenpop_bench", "callcenter.soak_bench",
                 "callcenter.sip_bench", "callcenter.restart_bench", "outbound.bench", "outbound.import_bench",
                 "outbound.dialer_bench", "reports.bench")


def _registrars(modules: tuple[str, ...]) -> list[Callable[[argparse._SubParsersAction], None]]:  # type: ignore[type-arg]
    return [importlib.import_module(name).register for name in modules]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callcenter", description="Contact center on Asterisk.")
    parser.add_argument("--config", help="settings file (default ./callcenter.toml)")
    parser.add_argument("--db-url", dest="db_url", help="SQLAlchemy URL (default SQLite in ./var)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in _registrars(COMMAND_MODULES):
        register(commands)
    bench = commands.add_parser("bench", help="run a benchmark; the last line printed is JSON")
    benches = bench.add_subparsers(dest="bench", required=True, metavar="NAME")
    for register in _registrars(BENCH_MODULES):
        register(benches)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.settings = load_settings(args.config, overrides={"db_url": args.db_url})
    except SettingsError as exc:
        parser.error(str(exc))
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return int(func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
