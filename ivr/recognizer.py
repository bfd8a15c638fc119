"""Speech recognition with Vosk: one model per node, loaded once; recognition in worker threads.

Telephone audio (8 kHz signed linear) is resampled to the model's 16 kHz before it is fed: with the small
models this recognises clearly more than letting Vosk take 8 kHz itself. Recognition is restricted to a
:class:`~ivr.grammar.Grammar`'s phrases. An :class:`Utterance` is fed while the caller speaks (each
:meth:`Utterance.feed` runs in a worker thread, so the event loop never waits on the decoder) and is cut
into segments at the caller's pauses; each segment is decoded on its own and the words are joined.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sys
import time
from array import array
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ivr.grammar import Grammar

log = logging.getLogger(__name__)

PHONE_RATE = 8000
MODEL_RATE = 16000
SAMPLE_WIDTH = 2


class SpeechModelError(RuntimeError):
    """The model could not be loaded (Vosk missing, no model at the path, or a broken one)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Recognition:
    """What was heard: the words, their meaning under the grammar (digits or an option key, ``""`` when
    they mean nothing there), the mean word confidence (0..1) and the length of the audio heard."""

    text: str
    value: str
    confidence: float
    audio_seconds: float
    decode_seconds: float = 0.0


class SpeechRecognizer:
    """A loaded Vosk model for ``language``; shared by every call of the node."""

    def __init__(self, model: Any, language: str, *, workers: int = 2) -> None:
        self._model = model
        self.language = language
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="speech")

    @classmethod
    def load(cls, path: Path | str, language: str, *, workers: int = 2) -> SpeechRecognizer:
        """Load the model at ``path`` (blocking: call it off the event loop); raises :class:`SpeechModelError`."""
        try:
            import vosk
        except ImportError as exc:
            raise SpeechModelError(f"the vosk package is not installed ({exc})") from None
        if not Path(path, "am").is_dir() and not Path(path, "final.mdl").is_file():
            raise SpeechModelError(f"no Vosk model at {path}")
        vosk.SetLogLevel(-1)
        try:
            model = vosk.Model(str(path))
        except Exception as exc:  # Vosk raises a bare Exception for a model it cannot read
            raise SpeechModelError(f"cannot load the Vosk model at {path}: {exc}") from None
        return cls(model, language, workers=workers)

    def utterance(self, grammar: Grammar) -> Utterance:
        """A new utterance to feed with 8 kHz audio as it arrives."""
        return Utterance(self, grammar)

    async def recognise(self, pcm: bytes, grammar: Grammar, *, pauses: list[int] | None = None) -> Recognition:
        """Recognise a whole recording at once (``pauses``: byte offsets where segments end)."""
        utterance = self.utterance(grammar)
        start = 0
        for end in [*(pauses or []), len(pcm)]:
            await utterance.feed(pcm[start:end])
            await utterance.pause()
            start = end
        return await utterance.finish()

    async def _run(self, work: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class Utterance:
    """One answer being recognised; feed it in order, :meth:`pause` at the caller's pauses, then :meth:`finish`."""

    def __init__(self, recognizer: SpeechRecognizer, grammar: Grammar) -> None:
        self._recognizer = recognizer
        self._grammar = grammar
        self._vocabulary = json.dumps(grammar.phrases, ensure_ascii=False)
        self._decoder: Any = None
        self._last_sample = 0
        self._words: list[dict[str, Any]] = []
        self._bytes = 0
        self._busy = 0.0

    async def feed(self, pcm: bytes) -> None:
        """Decode more of the caller's audio (8 kHz signed linear) in a worker thread."""
        if pcm:
            self._bytes += len(pcm)
            await self._recognizer._run(self._accept, pcm)

    async def pause(self) -> None:
        """The caller paused: what was said so far is one segment."""
        await self._recognizer._run(self._close_segment)

    async def finish(self) -> Recognition:
        """The words heard over all segments and what they mean."""
        await self.pause()
        words = [w for w in self._words if w.get("word")]
        text = " ".join(str(w["word"]) for w in words)
        confidence = sum(float(w.get("conf", 0.0)) for w in words) / len(words) if words else 0.0
        return Recognition(
            text=text,
            value=self._grammar.interpret(text),
            confidence=round(confidence, 3),
            audio_seconds=self._bytes / (PHONE_RATE * SAMPLE_WIDTH),
            decode_seconds=self._busy,
        )

    def _accept(self, pcm: bytes) -> None:
        started = time.perf_counter()
        if self._decoder is None:
            import vosk

            self._decoder = vosk.KaldiRecognizer(self._recognizer._model, MODEL_RATE, self._vocabulary)
            self._decoder.SetWords(True)
        wide, self._last_sample = upsample(pcm, self._last_sample)
        if self._decoder.AcceptWaveform(wide):
            self._keep(self._decoder.Result())
        self._busy += time.perf_counter() - started

    def _close_segment(self) -> None:
        if self._decoder is None:
            return
        started = time.perf_counter()
        self._keep(self._decoder.FinalResult())
        self._decoder = None
        self._busy += time.perf_counter() - started

    def _keep(self, result: str) -> None:
        self._words.extend(json.loads(result).get("result", []))


def upsample(pcm: bytes, previous: int = 0) -> tuple[bytes, int]:
    """8 kHz 16-bit audio at 16 kHz (a sample between each two, on the line joining them); ``previous`` is
    the last sample of the audio before, and the last of this one is returned for the audio after."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    wide = array("h", bytes(4 * len(samples)))
    for i, sample in enumerate(samples):
        wide[2 * i] = (previous + sample) // 2
        wide[2 * i + 1] = sample
        previous = sample
    if sys.byteorder == "big":
        wide.byteswap()
    return wide.tobytes(), previous


def load_recognizer(path: str, language: str) -> SpeechRecognizer | None:
    """The recogniser for ``[ivr] speech_model``, or None (logged) when none is set or it cannot load:
    callers then answer with the keypad only."""
    if not path:
        log.info("speech input off: no [ivr] speech_model configured; callers answer with the keypad")
        return None
    try:
        recognizer = SpeechRecognizer.load(path, language)
    except SpeechModelError as exc:
        log.error("speech input off: %s; callers answer with the keypad", exc)
        return None
    log.info("speech input on: Vosk model %s for language %s", path, language)
    return recognizer
