"""Where a caller's answer starts, pauses and ends, from the loudness of 20 ms audio frames. Pure.

Time is the audio's own (the frames' lengths), so it runs as fast as the audio arrives. A pause of
``pause_ms`` between words closes a segment (each digit of a code said one by one is recognised on its
own, which suits a small model far better than a run of words); ``end_ms`` of silence after speech ends
the answer; no speech within ``no_input_ms`` is no input; ``max_speech_ms`` caps a caller who never stops.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import sys
from array import array


class Boundary(enum.Enum):
    SPEECH = "speech"  # speech started (or resumed after a pause)
    PAUSE = "pause"  # a segment ended; more may follow
    END = "end"  # the answer is over
    NO_INPUT = "no_input"  # nothing was said in time


@dataclasses.dataclass(frozen=True, slots=True)
class EndpointSettings:
    loud_rms: int = 400  # a frame louder than this (of 32767) is speech
    pause_ms: int = 300
    end_ms: int = 1200
    no_input_ms: int = 5000
    max_speech_ms: int = 15_000


class Endpointer:
    """Fed each frame's loudness and length, tells the boundaries it crosses."""

    def __init__(self, settings: EndpointSettings) -> None:
        self.settings = settings
        self.heard_ms = 0  # audio time since listening began
        self.speech_ms = 0  # audio time since speech first began
        self._silent_ms = 0
        self._in_segment = False
        self._started = False
        self.over = False

    @property
    def in_segment(self) -> bool:
        """Whether the caller is speaking (not before their answer, nor in a pause)."""
        return self._in_segment

    @property
    def started(self) -> bool:
        """Whether the caller has said anything yet."""
        return self._started

    def step(self, rms: int, ms: int) -> Boundary | None:
        """Account for one frame; the boundary it crosses, if any (after END or NO_INPUT: None)."""
        if self.over:
            return None
        s = self.settings
        self.heard_ms += ms
        if self._started:
            self.speech_ms += ms
        if rms > s.loud_rms:
            self._silent_ms = 0
            if not self._in_segment:
                self._in_segment = self._started = True
                return Boundary.SPEECH
            return self._cap()
        self._silent_ms += ms
        if not self._started:
            if self.heard_ms >= s.no_input_ms:
                self.over = True
                return Boundary.NO_INPUT
            return None
        if self._silent_ms >= s.end_ms:
            self.over = True
            return Boundary.END
        if self._in_segment and self._silent_ms >= s.pause_ms:
            self._in_segment = False
            return Boundary.PAUSE
        return self._cap()

    def _cap(self) -> Boundary | None:
        if self.speech_ms >= self.settings.max_speech_ms:
            self.over = True
            return Boundary.END
        return None


def rms(pcm: bytes) -> int:
    """Root-mean-square level of 16-bit little-endian samples (0..32767)."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return 0
    return int(math.sqrt(sum(x * x for x in samples) / len(samples)))
