"""Recorded prompts and spoken text both come out as Asterisk plays them best (pydub)."""

from __future__ import annotations

import math
import shutil
import wave
from pathlib import Path

import pytest
from pydub import AudioSegment
from pydub.generators import Sine

from callcenter.cli import main
from ivr.audio import SAMPLE_RATE, TARGET_DBFS, AudioError, import_prompts, normalise
from ivr.flow import PromptSpec
from ivr.prompts import PromptLibrary
from ivr.tts import SpeechSynthesizer

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (mp3/ogg)")


def _recording(level_dbfs: float, lead_ms: int = 700, tail_ms: int = 900) -> AudioSegment:
    """A tone between stretches of near silence, at 44.1 kHz stereo as a studio would deliver it."""
    tone = Sine(440, sample_rate=44100).to_audio_segment(duration=1200, volume=level_dbfs)
    hiss = Sine(60, sample_rate=44100).to_audio_segment(duration=1, volume=-80.0)
    return (hiss * lead_ms + tone + hiss * tail_ms).set_channels(2)


def _wav_facts(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path)) as wav:
        return wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getnframes() / wav.getframerate()


def test_normalise_trims_silence_evens_loudness_and_converts() -> None:
    for level in (-40.0, -6.0):
        sound = normalise(_recording(level))
        assert (sound.frame_rate, sound.channels, sound.sample_width) == (SAMPLE_RATE, 1, 2)
        assert 1.2 <= sound.duration_seconds <= 1.4  # 1.2 s of tone, 60 ms kept at each end
        assert abs(sound.dBFS - TARGET_DBFS) < 1.5  # a whisper and a shout come out alike
        assert sound.max_dBFS <= -0.9


def test_a_silent_file_is_refused() -> None:
    with pytest.raises(AudioError, match="silent"):
        normalise(AudioSegment.silent(duration=2000, frame_rate=8000))


@needs_ffmpeg
def test_import_takes_wav_mp3_and_ogg_and_the_library_plays_them_first(tmp_path: Path) -> None:
    source = tmp_path / "recorded"
    source.mkdir()
    _recording(-30.0).export(source / "enter_customer_code.mp3", format="mp3")
    _recording(-10.0).export(source / "main_menu.ogg", format="ogg")
    _recording(-20.0).export(source / "invalid_code.wav", format="wav")
    (source / "notes.txt").write_text("not audio")
    sounds = tmp_path / "sounds"
    assert main(["prompts", "import", str(source), "--language", "zh-CN", "--out", str(sounds)]) == 0
    written = sorted((sounds / "zh-CN" / "callcenter").glob("*.wav"))
    assert [p.stem for p in written] == ["enter_customer_code", "invalid_code", "main_menu"]
    for path in written:
        rate, channels, width, seconds = _wav_facts(path)
        assert (rate, channels, width) == (8000, 1, 2) and 1.2 <= seconds <= 1.45
        assert abs(AudioSegment.from_wav(path).dBFS - TARGET_DBFS) < 1.5
    library = PromptLibrary(SpeechSynthesizer(tmp_path / "cache"), sounds_root=sounds)
    assert library.has_sound("callcenter/enter_customer_code", "zh-CN")


async def test_a_recording_wins_over_the_sound_file_and_the_text(tmp_path: Path) -> None:
    (tmp_path / "sounds" / "en" / "callcenter").mkdir(parents=True)
    (tmp_path / "sounds" / "en" / "callcenter" / "hello.wav").write_bytes(b"\0")
    (tmp_path / "sounds" / "en" / "hello.gsm").write_bytes(b"\0")
    library = PromptLibrary(SpeechSynthesizer(tmp_path / "cache"), sounds_root=tmp_path / "sounds")
    assert await library.playable(PromptSpec("hello", "Hello.", "hello"), "en", "en-us") == "callcenter/hello"


def test_import_refuses_a_folder_without_recordings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(AudioError, match="no recordings"):
        import_prompts(tmp_path, tmp_path / "out", "en")
    assert main(["prompts", "import", str(tmp_path), "--language", "en", "--out", str(tmp_path)]) == 1
    assert "no recordings" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
async def test_spoken_text_starts_at_once_and_is_as_loud_as_a_recording(tmp_path: Path) -> None:
    path = await SpeechSynthesizer(tmp_path).synthesize("Please enter your six digit customer code.", "en-us")
    speech = AudioSegment.from_wav(path)
    assert (speech.frame_rate, speech.channels, speech.sample_width) == (8000, 1, 2)
    assert abs(speech.dBFS - TARGET_DBFS) < 1.5
    first_loud = next(i for i, chunk in enumerate(speech[::10]) if chunk.rms and chunk.dBFS > speech.dBFS - 20)
    assert first_loud * 10 <= 120  # espeak-ng's own lead-in silence is gone
    assert not math.isinf(speech.max_dBFS)
