"""The call-back prompts the wait plays are produced as Asterisk-ready sound files."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import pytest

from acd.prompts import install_prompts
from acd.service_settings import WaitPrompts
from callcenter.cli import main
from ivr.tts import SpeechSynthesizer

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng"
)


async def test_every_call_back_prompt_of_the_wait_is_installed_as_8khz_mono(tmp_path: Path) -> None:
    written = await install_prompts(tmp_path / "sounds", SpeechSynthesizer(tmp_path / "cache"))
    p = WaitPrompts()
    wanted = {p.callback_offer, p.callback_confirmed, p.callback_retry}
    assert {str(f.relative_to(tmp_path / "sounds").with_suffix("")) for f in written} == wanted
    for path in written:
        with wave.open(str(path)) as audio:
            assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
            assert audio.getnframes() > 8000  # a sentence, not a blip


def test_the_command_writes_them_where_it_is_told(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["acd-prompts", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "callcenter" / "press-1-callback.wav").stat().st_size > 16000
    assert "press-1-callback.wav" in capsys.readouterr().out
