"""Text to speech for dynamic prompts: espeak-ng, resampled by sox to 8 kHz mono 16-bit WAV,
cached by content hash so each distinct sentence is synthesised once per machine."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from pathlib import Path

# Part of the cache key: bump when the audio pipeline changes so old files are not reused.
_PIPELINE_VERSION = "espeak-ng/sox-8k-s16-mono/1"


class TtsError(RuntimeError):
    """Speech could not be produced (engine missing or failed)."""


class SpeechSynthesizer:
    """Makes ``<cache_dir>/<sha256>.wav`` files that Asterisk plays as ``<cache_dir>/<sha256>``."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        engine: str = "espeak-ng",
        converter: str = "sox",
        words_per_minute: int = 150,
    ) -> None:
        # Absolute: Asterisk reads a relative name as a file under its own sounds directory.
        self.cache_dir = Path(cache_dir).absolute()
        self._engine = engine
        self._converter = converter
        self._wpm = words_per_minute
        self._in_flight: dict[Path, asyncio.Future[Path]] = {}

    def available(self) -> bool:
        """True when both the TTS engine and the resampler are installed."""
        return shutil.which(self._engine) is not None and shutil.which(self._converter) is not None

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
            raise TtsError(f"{self._engine} and {self._converter} are needed for speech")
        # Text goes through stdin, never argv, so it can never be read as an option.
        wav = await _run([self._engine, "-v", voice, "-s", str(self._wpm), "--stdin", "--stdout"],
                         text.encode())
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.stem}.{os.getpid()}.{id(path)}.wav")
        try:
            await _run([self._converter, "-q", "-t", "wav", "-", "-r", "8000", "-c", "1", "-b", "16",
                        "-e", "signed-integer", str(partial)], wav)
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
