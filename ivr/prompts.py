"""Turn prompts into names Asterisk can play: the site's own recording of the prompt
(``callcenter/<key>``, from ``callcenter prompts import``), else a standard sound file when this machine
has it, else the prompt's text spoken by TTS."""

from __future__ import annotations

from pathlib import Path

from ivr.flow import PromptSpec
from ivr.tts import SpeechSynthesizer

DEFAULT_SOUNDS_ROOT = Path("/usr/share/asterisk/sounds")
# Where a site's own recordings of prompts live under a language's sounds folder.
SITE_RECORDINGS = "callcenter"
# Formats Asterisk can play from the core sound packages.
_SOUND_EXTENSIONS = (".wav", ".gsm", ".ulaw", ".alaw", ".sln", ".sln16", ".g722", ".g729")


class PromptLibrary:
    """Resolves prompts per language; sound-file existence is checked once per file."""

    def __init__(self, synthesizer: SpeechSynthesizer, *, sounds_root: Path = DEFAULT_SOUNDS_ROOT) -> None:
        self._synthesizer = synthesizer
        self._sounds_root = Path(sounds_root)
        self._has_file: dict[tuple[str, str], bool] = {}

    def has_sound(self, file: str, language: str) -> bool:
        """True when ``<sounds_root>/<language>/<file>.<ext>`` exists for a playable format."""
        key = (language, file)
        found = self._has_file.get(key)
        if found is None:
            base = self._sounds_root / language / file
            found = any(base.with_name(base.name + ext).is_file() for ext in _SOUND_EXTENSIONS)
            self._has_file[key] = found
        return found

    async def playable(self, prompt: PromptSpec, language: str, voice: str) -> str:
        """The name to stream: the site's recording or the sound file (the channel's language must be
        ``language``), or the absolute path, without extension, of the spoken text."""
        recording = f"{SITE_RECORDINGS}/{prompt.key}"
        if self.has_sound(recording, language):
            return recording
        if prompt.file is not None and self.has_sound(prompt.file, language):
            return prompt.file
        return await self.speak(prompt.text, voice)

    async def speak(self, text: str, voice: str) -> str:
        """Absolute path (no extension) of ``text`` spoken in ``voice``."""
        path = await self._synthesizer.synthesize(text, voice)
        return str(path.with_suffix(""))
