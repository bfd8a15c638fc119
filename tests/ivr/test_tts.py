"""Spoken prompts: espeak-ng, normalised into cached 8 kHz mono 16-bit WAV files; sound files win when present."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import pytest

from ivr.flow import PromptSpec
from ivr.prompts import PromptLibrary
from ivr.tts import SpeechSynthesizer, TtsError

needs_tts = pytest.mark.skipif(
    not SpeechSynthesizer(Path("unused")).available(), reason="espeak-ng is not installed"
)


@needs_tts
async def test_speech_is_8khz_mono_16bit_and_cached_by_content(tmp_path: Path) -> None:
    synth = SpeechSynthesizer(tmp_path / "tts")
    path = await synth.synthesize("Your ticket number 4711 is being worked on.", "en-us")
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.getnframes() > 8000  # more than a second of speech
    mtime = path.stat().st_mtime_ns
    assert await synth.synthesize("Your ticket number 4711 is being worked on.", "en-us") == path
    assert path.stat().st_mtime_ns == mtime
    other = await synth.synthesize("Your ticket number 4712 is being worked on.", "en-us")
    assert other != path
    assert sorted(p.name for p in (tmp_path / "tts").iterdir()) == sorted([path.name, other.name])


@needs_tts
async def test_concurrent_requests_for_the_same_text_synthesise_once(tmp_path: Path) -> None:
    synth = SpeechSynthesizer(tmp_path)
    renders = 0
    original = synth._render

    async def counting(text: str, voice: str, path: Path) -> None:
        nonlocal renders
        renders += 1
        await original(text, voice, path)

    synth._render = counting  # type: ignore[method-assign]
    paths = await asyncio.gather(*(synth.synthesize("-v Hello there", "en") for _ in range(5)))
    assert renders == 1 and len(set(paths)) == 1 and paths[0].exists()


def test_speech_is_named_by_an_absolute_path_whatever_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = SpeechSynthesizer(Path("var") / "tts").cache_path("Thank you for calling.", "en-us")
    assert path.is_absolute() and path.parent == tmp_path / "var" / "tts"


async def test_missing_engine_raises_a_clear_error(tmp_path: Path) -> None:
    synth = SpeechSynthesizer(tmp_path, engine="no-such-tts-engine")
    with pytest.raises(TtsError, match="no-such-tts-engine"):
        await synth.synthesize("hello", "en")
    assert not any(tmp_path.iterdir())


@needs_tts
async def test_library_prefers_the_sound_file_and_falls_back_to_speech(tmp_path: Path) -> None:
    (tmp_path / "sounds" / "en").mkdir(parents=True)
    (tmp_path / "sounds" / "en" / "hello.gsm").write_bytes(b"\0")
    library = PromptLibrary(SpeechSynthesizer(tmp_path / "cache"), sounds_root=tmp_path / "sounds")
    assert await library.playable(PromptSpec("hello", "Hello.", "hello"), "en", "en-us") == "hello"
    spoken = await library.playable(PromptSpec("gone", "Goodbye!", "goodbye"), "en", "en-us")
    assert spoken.startswith(str(tmp_path / "cache")) and Path(spoken + ".wav").is_file()
    # The same file under another language's folder does not count for English.
    assert not library.has_sound("hello", "fr")
