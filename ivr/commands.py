"""``callcenter prompts import``: a site's recorded prompts into the form Asterisk plays best."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ivr.audio import AudioError, import_prompts
from ivr.prompts import DEFAULT_SOUNDS_ROOT


def _import(args: argparse.Namespace) -> int:
    try:
        written = import_prompts(Path(args.dir), Path(args.out), args.language)
    except (AudioError, OSError) as exc:
        print(f"prompts import: {exc}", file=sys.stderr)
        return 1
    for source, target in written:
        print(f"{source} -> {target}")
    print(f"{len(written)} prompts written for language {args.language}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    prompts = commands.add_parser("prompts", help="a site's recorded IVR prompts")
    actions = prompts.add_subparsers(dest="prompts_action", required=True, metavar="ACTION")
    imp = actions.add_parser(
        "import", help="trim, even out and convert recordings (wav, mp3, ogg, flac...) to 8 kHz mono WAV",
        description="Each file of DIR is trimmed of silence, brought to an even loudness and written as "
        "<out>/<language>/callcenter/<name>.wav, where the IVR plays it instead of the spoken text of the "
        "prompt called <name> (e.g. enter_customer_code.mp3). Run it on the PBX host.",
    )
    imp.add_argument("dir", help="folder of recordings, each named after a prompt of the prompt set")
    imp.add_argument("--language", required=True, help="the prompt set's language, e.g. en or zh-CN")
    imp.add_argument("--out", default=str(DEFAULT_SOUNDS_ROOT),
                     help=f"Asterisk's sounds folder (default {DEFAULT_SOUNDS_ROOT})")
    imp.set_defaults(func=_import)
