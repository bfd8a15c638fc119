"""Prompt audio as Asterisk plays it best: 8 kHz, mono, 16-bit WAV, silence trimmed, loudness even.

A site's own recordings (any format ffmpeg reads: WAV, MP3, Ogg, FLAC...) and the text-to-speech cache
go through :func:`normalise`, so every prompt a caller hears starts at once and is as loud as the next.
Loudness is brought to :data:`TARGET_DBFS` of average power, lowered where that would push the peaks
above :data:`PEAK_CEILING_DBFS`.
"""

from __future__ import annotations

import io
from pathlib import Path

from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError
from pydub.silence import detect_leading_silence

SAMPLE_RATE = 8000
TARGET_DBFS = -20.0
PEAK_CEILING_DBFS = -1.0
# Quieter than the prompt's loudest moment by this much counts as silence (and anything under -70 dBFS).
SILENCE_BELOW_PEAK_DB = 40.0
# Silence left at each end so words do not start abruptly.
KEEP_SILENCE_MS = 60
IMPORTABLE = frozenset({".wav", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".gsm"})


class AudioError(ValueError):
    """A file is not audio we can read, or holds nothing but silence."""


def normalise(sound: AudioSegment) -> AudioSegment:
    """``sound`` trimmed of leading and trailing silence, evened to the target loudness, as 8 kHz mono
    16-bit. Raises :class:`AudioError` for a sound that is all silence."""
    sound = sound.set_channels(1)
    if sound.rms == 0:
        raise AudioError("the sound is silent")
    threshold = max(sound.max_dBFS - SILENCE_BELOW_PEAK_DB, -70.0)
    start = detect_leading_silence(sound, silence_threshold=threshold)
    end = len(sound) - detect_leading_silence(sound.reverse(), silence_threshold=threshold)
    if end <= start:
        raise AudioError("the sound is silent")
    trimmed = sound[max(0, start - KEEP_SILENCE_MS):min(len(sound), end + KEEP_SILENCE_MS)]
    gain = TARGET_DBFS - trimmed.dBFS
    gain = min(gain, PEAK_CEILING_DBFS - trimmed.max_dBFS)
    return trimmed.apply_gain(gain).set_frame_rate(SAMPLE_RATE).set_sample_width(2)


def wav_bytes(sound: AudioSegment) -> bytes:
    """``sound`` as a WAV file."""
    out = io.BytesIO()
    sound.export(out, format="wav")
    return out.getvalue()


def read_audio(path: Path) -> AudioSegment:
    """Any audio file ffmpeg reads (WAV without it); raises :class:`AudioError`."""
    try:
        return AudioSegment.from_file(path)
    except (CouldntDecodeError, OSError, IndexError) as exc:
        raise AudioError(f"not audio that can be read ({type(exc).__name__}: {exc})") from None


def import_prompts(source: Path, sounds_root: Path, language: str) -> list[tuple[Path, Path]]:
    """Normalise every recording in ``source`` into ``<sounds_root>/<language>/callcenter/<name>.wav``.

    ``<name>`` is the file's stem: name recordings after the prompt keys of the flow's prompt set
    (``enter_customer_code.mp3``) and they are played instead of the spoken text. Returns (source,
    written) pairs; raises :class:`AudioError` naming the first file that cannot be used, having written
    nothing of it.
    """
    files = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in IMPORTABLE)
    if not files:
        raise AudioError(f"no recordings ({', '.join(sorted(IMPORTABLE))}) in {source}")
    target = sounds_root / language / "callcenter"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in files:
        try:
            data = wav_bytes(normalise(read_audio(path)))
        except AudioError as exc:
            raise AudioError(f"{path.name}: {exc}") from None
        out = target / f"{path.stem}.wav"
        partial = out.with_name(f".{out.name}.partial")
        partial.write_bytes(data)
        partial.replace(out)
        written.append((path, out))
    return written
