"""CLI verbs of the Asterisk bridge: ``ami-decode`` and ``sim`` (the PBX simulator alone)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from cti.ami.capture import CaptureFormatError, decode_capture
from cti.ami.protocol import AmiMessage
from cti.sim import Simulator, SimulatorConfig, TrafficSettings


def _printable(text: str) -> str:
    """``text`` with the bytes that were not UTF-8 (held as lone surrogates) written as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def message_record(message: AmiMessage) -> dict[str, object]:
    """The JSON shape ``ami-decode`` prints for one message: always valid UTF-8, undecodable bytes escaped."""
    return {
        "type": message.kind.value,
        "name": _printable(message.name),
        "headers": [[_printable(k), _printable(v)] for k, v in message.headers],
    }


def ami_decode(args: argparse.Namespace) -> int:
    data = Path(args.file).read_bytes()
    out = sys.stdout
    errors = 0
    try:
        for item in decode_capture(data):
            if isinstance(item, AmiMessage):
                out.write(json.dumps(message_record(item), ensure_ascii=False) + "\n")
            else:
                errors += 1
                print(f"ami-decode: skipped unreadable block: {item}", file=sys.stderr)
    except CaptureFormatError as exc:
        print(f"ami-decode: {args.file}: {exc}", file=sys.stderr)
        return 1
    return 1 if errors else 0


def simulator_config(args: argparse.Namespace) -> SimulatorConfig:
    """The simulator configuration ``callcenter sim`` runs with: flags first, then settings."""
    settings = args.settings
    agi_url = args.agi_url or f"agi://{settings.agi_host}:{settings.agi_port}/inbound"
    return SimulatorConfig(
        ami_host=args.host,
        ami_port=args.ami_port,
        ami_user=args.ami_user if args.ami_user is not None else settings.ami_user,
        ami_secret=args.ami_secret if args.ami_secret is not None else settings.ami_secret,
        agi_url=agi_url,
        seed=args.seed,
        speed=args.speed,
        traffic=TrafficSettings(calls_per_hour=args.calls_per_hour, mean_handle_s=args.mean_handle),
        # Our callcenter-* contexts run the dialplan asterisk_conf ships, as a real PBX would.
        shipped_dialplan=True,
    )


def listening_notice(sim: Simulator) -> str:
    """The one line ``callcenter sim`` prints once the simulator listens."""
    config = sim.config
    traffic = config.traffic
    generator = (
        f"{traffic.calls_per_hour:g} calls/h, mean handle {traffic.mean_handle_s:g} s, seed {config.seed}"
        if traffic.calls_per_hour > 0
        else "off"
    )
    return (
        f"callcenter sim: AMI on {config.ami_host}:{sim.ami_port} (user {config.ami_user!r}), "
        f"inbound calls to {config.agi_url}, traffic {generator}, speed x{config.speed:g}"
    )


async def run_simulator(
    config: SimulatorConfig, stop: asyncio.Event, announce: Callable[[str], None] = print
) -> None:
    """Run a simulator until ``stop`` is set, announcing where it listens once it does."""
    sim = Simulator(config)
    await sim.start()
    try:
        announce(listening_notice(sim))
        await stop.wait()
    finally:
        await sim.stop()


async def _serve_until_signalled(config: SimulatorConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await run_simulator(config, stop, lambda line: print(line, flush=True))


def sim(args: argparse.Namespace) -> int:
    config = simulator_config(args)
    try:
        asyncio.run(_serve_until_signalled(config))
    except OSError as exc:
        print(f"callcenter sim: cannot listen on {config.ami_host}:{config.ami_port}: {exc}", file=sys.stderr)
        return 1
    return 0


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text}")
    return value


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    decode = commands.add_parser(
        "ami-decode",
        help="print one JSON object per AMI message of a raw or annotated capture",
    )
    decode.add_argument("file", help="raw AMI bytes, or a trace .ami.txt with '#@' record headers")
    decode.set_defaults(func=ami_decode)

    simulate = commands.add_parser(
        "sim",
        help="run the PBX simulator alone (AMI server + FastAGI client) for pointing other tools at",
    )
    simulate.add_argument(
        "--host", default="127.0.0.1", help="address the AMI server binds (default %(default)s)"
    )
    simulate.add_argument(
        "--ami-port", type=_port, default=5038, help="AMI port, 0 for a free one (default %(default)s)"
    )
    simulate.add_argument("--ami-user", help="AMI user name (default: settings ami_user)")
    simulate.add_argument("--ami-secret", help="AMI secret (default: settings ami_secret)")
    simulate.add_argument(
        "--agi-url", help="FastAGI URL inbound calls connect to (default agi://AGI_HOST:AGI_PORT/inbound)"
    )
    simulate.add_argument(
        "--seed", type=int, default=1, help="random seed of the traffic (default %(default)s)"
    )
    simulate.add_argument(
        "--calls-per-hour",
        type=_non_negative_float,
        default=0.0,
        help="Poisson arrival rate of generated inbound calls; 0 (the default) places none",
    )
    simulate.add_argument(
        "--mean-handle",
        type=_positive_float,
        default=180.0,
        help="mean handle time of generated calls in seconds (default %(default)s)",
    )
    simulate.add_argument(
        "--speed",
        type=_positive_float,
        default=1.0,
        help="simulated seconds per real second (default %(default)s)",
    )
    simulate.set_defaults(func=sim)
