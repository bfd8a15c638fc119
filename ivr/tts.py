"""Text to speech for dynamic prompts: espeak-ng, through the same normalisation as a site's recordings
(:func:`ivr.audio.normalise`: silence trimmed, loudness evened, 8 kHz mono 16-bit WAV), cached by content
hash so each distinct sentence is synthesised once per machine."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import shutil
from pathlib import Path

from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError

from ivr.audio import AudioError, normalise, wav_bytes

# Part of the cache key: bump when the audio pipeline changes so old files are not reused.
_PIPELINE_VERSION = "espeak-ng/normalised-8k-s16-mono/2"


class TtsError(RuntimeError):
    """Speech could not be produced (engine missing or failed)."""


class SpeechSynthesizer:
    """Makes ``<cache_dir>/<sha256>.wav`` files that Asterisk plays as ``<cache_dir>/<sha256>``."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        engine: str = "espeak-ng",
        words_per_minute: int = 150,
    ) -> None:
        # Absolute: Asterisk reads a relative name as a file under its own sounds directory.
        self.cache_dir = Path(cache_dir).absolute()
        self._engine = engine
        self._wpm = words_per_minute
        self._in_flight: dict[Path, asyncio.Future[Path]] = {}

    def available(self) -> bool:
        """True when the TTS engine is installed."""
        return shutil.which(self._engine) is not None

    def cache_path(self, text: str, voice: str) -> Path:
        """Where the audio for ``text`` in ``voice`` lives (whether or not it exists yet)."""
        key = "\0".join((_PIPELINE_VERSION, voice, str(self._wpm), text))
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()}.wav"

    async def synthesize(self, text: str, voice: str) -> Path:
        """The WAV file speaking ``text``; made on first use, shared by concurrent callers."""
        path = self.cache_path(text, voice)
        if path.exists():
            return path
        pending = self._in_flight.get(path)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Path] = asyncio.get_running_loop().create_future()
        self._in_flight[path] = future
        try:
            await self._render(text, voice, path)
            future.set_result(path)
            return path
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # marks it retrieved when nobody else was waiting
            raise
        finally:
            del self._in_flight[path]

    async def _render(self, text: str, voice: str, path: Path) -> None:
        if not self.available():
            raise TtsError(f"{self._engine} is needed for speech")
        # Text goes through stdin, never argv, so it can never be read as an option.
        wav = await _run([self._engine, "-v", voice, "-s", str(self._wpm), "--stdin", "--stdout"],
                         text.encode())
        try:
            audio = await asyncio.to_thread(lambda: wav_bytes(normalise(AudioSegment.from_wav(io.BytesIO(wav)))))
        except (AudioError, CouldntDecodeError) as exc:
            raise TtsError(f"{self._engine} gave no usable speech for {text[:40]!r}: {exc}") from None
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.stem}.{os.getpid()}.{id(path)}.wav")
        try:
            partial.write_bytes(audio)
            os.replace(partial, path)  # atomic: a reader never sees half a file
        finally:
            partial.unlink(missing_ok=True)


async def _run(argv: list[str], stdin: bytes) -> bytes:
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate(stdin)
    if process.returncode != 0:
        raise TtsError(f"{argv[0]} failed ({process.returncode}): {err.decode(errors='replace').strip()}")
    return out
