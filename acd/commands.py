"""``callcenter acd-prompts``: install the wait's call-back prompts into Asterisk's sounds folder."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from acd.prompts import install_prompts
from ivr.tts import SpeechSynthesizer, TtsError

DEFAULT_SOUNDS_DIR = "/usr/share/asterisk/sounds/en"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "acd-prompts", help="speak the call-back prompts (espeak-ng) into Asterisk's sounds folder"
    )
    parser.add_argument("--out", default=DEFAULT_SOUNDS_DIR,
                        help=f"Asterisk's sounds folder for the language (default {DEFAULT_SOUNDS_DIR})")
    parser.add_argument("--voice", default="en", help="espeak-ng voice (default en)")
    parser.set_defaults(func=_install)


def _install(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as cache:
        try:
            written = asyncio.run(install_prompts(Path(args.out), SpeechSynthesizer(Path(cache)), args.voice))
        except (TtsError, OSError) as exc:
            print(f"acd-prompts: {exc}")
            return 1
    for path in written:
        print(path)
    return 0
