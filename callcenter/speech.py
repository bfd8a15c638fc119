"""Speech input for the node's IVR, from the ``[ivr]`` section of callcenter.toml::

    [ivr]
    speech_model = "/opt/vosk/vosk-model-small-en-us-0.15"   # a Vosk model folder; unset: keypad only
    speech_language = "en"          # the model's language (default: the flow's)
    audiosocket_port = 4575         # where Asterisk's AudioSocket() streams callers' audio (0: any free)
    audiosocket_address = "10.0.0.2:4575"   # host:port Asterisk connects to (default: agi_host and the port)
    speech_min_confidence = 0.5     # answers heard with less are treated as not understood

The model is loaded once, off the event loop; without one (or when it cannot load) the IVR reads keys only
and says so in the log.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from cti.audiosocket import AudioSocketServer
from ivr.listener import SpeechListener
from ivr.recognizer import load_recognizer

log = logging.getLogger(__name__)
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})


class SpeechSettingsError(ValueError):
    """The ``[ivr]`` speech settings hold a value we cannot use."""


@dataclasses.dataclass(frozen=True, slots=True)
class SpeechSettings:
    model: str = ""
    language: str = ""
    port: int = 0
    address: str = ""
    min_confidence: float = 0.0

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> SpeechSettings:
        try:
            settings = cls(
                model=str(section.get("speech_model", "")),
                language=str(section.get("speech_language", "")),
                port=int(section.get("audiosocket_port", 0)),
                address=str(section.get("audiosocket_address", "")),
                min_confidence=float(section.get("speech_min_confidence", 0.0)),
            )
        except (TypeError, ValueError) as exc:
            raise SpeechSettingsError(f"[ivr]: {exc}") from None
        if not 0.0 <= settings.min_confidence <= 1.0:
            raise SpeechSettingsError("[ivr] speech_min_confidence must be from 0 to 1")
        return settings


@dataclasses.dataclass(slots=True)
class SpeechInput:
    """The running parts: the AudioSocket server and the listener the IVR uses."""

    server: AudioSocketServer
    listener: SpeechListener
    min_confidence: float

    async def close(self) -> None:
        await self.server.close()
        self.listener.recognizer.close()


async def start_speech(settings: SpeechSettings, *, flow_language: str, agi_host: str,
                       allowed_peers: str) -> SpeechInput | None:
    """Load the model and open the AudioSocket server; None (logged) when speech input is off."""
    recognizer = await asyncio.to_thread(load_recognizer, settings.model, settings.language or flow_language)
    if recognizer is None:
        return None
    bind = agi_host or "127.0.0.1"
    server = AudioSocketServer(bind, settings.port, allowed_peers=allowed_peers)
    try:
        await server.start()
    except OSError as exc:
        recognizer.close()
        log.error("speech input off: AudioSocket cannot listen on %s:%s (%s)", bind, settings.port, exc)
        return None
    address = settings.address
    if not address:
        host = "127.0.0.1" if bind in _WILDCARD_HOSTS else bind
        address = f"[{host}]:{server.port}" if ":" in host else f"{host}:{server.port}"
        if bind in _WILDCARD_HOSTS:
            log.warning("[ivr] audiosocket_address is not set and agi_host listens on every address: Asterisk "
                        "is told to stream callers' audio to %s", address)
    log.info("speech input: AudioSocket on %s:%s, Asterisk connects to %s", bind, server.port, address)
    return SpeechInput(server, SpeechListener(server, recognizer, address), settings.min_confidence)
