"""CLI verbs of the Asterisk bridge: ``ami-decode`` (and ``sim`` once the simulator is wired)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cti.ami.capture import CaptureFormatError, decode_capture
from cti.ami.protocol import AmiMessage


def message_record(message: AmiMessage) -> dict[str, object]:
    """The JSON shape ``ami-decode`` prints for one message."""
    return {
        "type": message.kind.value,
        "name": message.name,
        "headers": [[k, v] for k, v in message.headers],
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


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    decode = commands.add_parser(
        "ami-decode",
        help="print one JSON object per AMI message of a raw or annotated capture",
    )
    decode.add_argument("file", help="raw AMI bytes, or a trace .ami.txt with '#@' record headers")
    decode.set_defaults(func=ami_decode)
