"""``callcenter asterisk-config``: render the shipped Asterisk configuration for a site, or check files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Protocol, TypeVar

from asterisk_conf.checker import ConfigSyntaxError, check_file
from asterisk_conf.render import render_site, write_files
from asterisk_conf.site import SiteConfig, SiteValueError, site_for_node

_DEFAULT_SECRET = "callcenter"
T = TypeVar("T")


class NodeSettings(Protocol):
    """The node's settings this command reads (the roof's ``Settings`` has them)."""

    agi_host: str
    agi_port: int
    ami_host: str
    ami_port: int
    ami_user: str
    ami_secret: str
    trunk: str
    ring_seconds: int


def _given(flag: T | None, setting: T) -> T:
    return setting if flag is None else flag


def site_from_settings(
    settings: NodeSettings,
    *,
    agi_host: str | None = None,
    agi_port: int | None = None,
    ami_bind: str | None = None,
    ami_user: str | None = None,
    ami_secret: str | None = None,
    ami_permit: list[str] | None = None,
    trunk: str | None = None,
) -> SiteConfig:
    """Site values from the node's settings, each overridable by its flag.

    Asterisk's manager binds to ``settings.ami_host`` (loopback when the simulator is used).
    """
    return site_for_node(
        agi_host=_given(agi_host, settings.agi_host),
        agi_port=_given(agi_port, settings.agi_port),
        ami_bind=_given(ami_bind, settings.ami_host or "127.0.0.1"),
        ami_port=settings.ami_port,
        ami_user=_given(ami_user, settings.ami_user),
        ami_secret=_given(ami_secret, settings.ami_secret),
        trunk=_given(trunk, settings.trunk or None),
        ami_permit=ami_permit,
        ring_seconds=settings.ring_seconds,
    )


def _check(paths: list[str]) -> int:
    failures = 0
    for name in paths:
        try:
            check_file(name, Path(name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ConfigSyntaxError) as exc:
            failures += 1
            print(f"asterisk-config: {exc}" if isinstance(exc, ConfigSyntaxError) else f"{name}: {exc}",
                  file=sys.stderr)
        else:
            print(f"{name}: ok")
    return 1 if failures else 0


def asterisk_config(args: argparse.Namespace) -> int:
    if args.check:
        return _check(args.check)
    try:
        site = site_from_settings(
            args.settings,
            agi_host=args.agi_host,
            agi_port=args.agi_port,
            ami_bind=args.ami_bind,
            ami_user=args.ami_user,
            ami_secret=args.ami_secret,
            ami_permit=args.ami_permit,
            trunk=args.trunk,
        )
    except SiteValueError as exc:
        print(f"asterisk-config: refused: {exc}", file=sys.stderr)
        return 2
    if site.ami_secret == _DEFAULT_SECRET:
        print("asterisk-config: warning: the AMI secret is the default one; pass --ami-secret "
              "(and set the same secret in callcenter.toml)", file=sys.stderr)
    if site.trunk is None:
        print("asterisk-config: warning: no trunk (--trunk, or trunk in callcenter.toml), so no "
              "[callcenter-outbound] context: call-backs and campaigns cannot reach customers "
              "(e.g. --trunk 'PJSIP/{number}@provider')", file=sys.stderr)
    files = render_site(site)
    if args.out:
        for path in write_files(files, Path(args.out)):
            print(path)
    else:
        for name, text in files.items():
            sys.stdout.write(f"; ===== {name} =====\n{text}\n")
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "asterisk-config",
        help="render the Asterisk dialplan, AMI user and module list for this site (or --check files)",
        description="Render asterisk_conf/ templates with this site's values (defaults from the settings). "
        "Values that would break the config syntax are refused.",
    )
    parser.add_argument("--out", metavar="DIR", help="write the files into DIR instead of printing them")
    parser.add_argument("--agi-host", help="address Asterisk reaches our FastAGI server at")
    parser.add_argument("--agi-port", type=int, help="port of our FastAGI server")
    parser.add_argument("--ami-bind", help="address Asterisk's manager interface listens on")
    parser.add_argument("--ami-user", help="AMI user name (a manager.conf section)")
    parser.add_argument("--ami-secret", help="AMI secret")
    parser.add_argument("--ami-permit", action="append", metavar="CIDR",
                        help="network allowed to log in as the AMI user (repeatable; default: the AGI host)")
    parser.add_argument("--trunk", metavar="DIAL",
                        help="dial string that reaches a customer for a call-back, with {number} for the "
                        "number, e.g. 'PJSIP/{number}@provider' (renders [callcenter-outbound]; default: the "
                        "trunk setting)")
    parser.add_argument("--check", nargs="+", metavar="FILE",
                        help="check existing config files strictly instead of rendering")
    parser.set_defaults(func=asterisk_config)
