"""The call-back prompts of the wait in queue, which Asterisk's standard sound set lacks.

Asterisk's core sounds cover the position and hold-time announcements (``queue-thereare``,
``queue-holdtime``...); the three call-back sentences are spoken by espeak-ng (through
:class:`ivr.tts.SpeechSynthesizer`: 8 kHz mono WAV) into ``<sounds dir>/callcenter/``, where
``STREAM FILE callcenter/press-1-callback`` finds them. ``callcenter acd-prompts --out DIR`` does it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ivr.tts import SpeechSynthesizer

CALLBACK_OFFER = "callcenter/press-1-callback"
CALLBACK_CONFIRMED = "callcenter/callback-confirmed"
CALLBACK_LATER = "callcenter/callback-later"

PROMPT_TEXTS: dict[str, str] = {
    CALLBACK_OFFER: "To keep your place in the queue and be called back instead, press 1.",
    CALLBACK_CONFIRMED: "Thank you. We will call you back as soon as it is your turn.",
    CALLBACK_LATER: "Sorry, all our agents are busy again. We will call you back shortly.",
}


async def install_prompts(sounds_dir: Path, synthesizer: SpeechSynthesizer, voice: str = "en") -> list[Path]:
    """Write every prompt as ``<sounds_dir>/<name>.wav``; returns the files written.

    Raises :class:`ivr.tts.TtsError` when espeak-ng is missing or fails.
    """
    written = []
    for name, text in PROMPT_TEXTS.items():
        target = sounds_dir / f"{name}.wav"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(await synthesizer.synthesize(text, voice), target)
        written.append(target)
    return written
