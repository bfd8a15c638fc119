"""What the IVR interpreter asks the edge to do, and what the edge reports back.

Besides the caller-facing actions below, the interpreter asks for customer look-ups
(:data:`~ivr.directory.LookUp`), answered with a :data:`~ivr.directory.LookUpAnswer`.
"""

from __future__ import annotations

import dataclasses

from ivr.directory import LookUp, LookUpAnswer
from ivr.flow import Prompts
from ivr.grammar import Grammar
from ivr.outcome import IvrOutcome

# ``interruptible``: the prompt comes before an input node, so a key pressed during it ends it and is kept
# as the start of that input (type-ahead). ``language``: empty means the flow's own.


@dataclasses.dataclass(frozen=True, slots=True)
class Play:
    """Play these prompts in order (each in its prompt set's language); answer with :data:`DONE`."""

    prompts: Prompts
    interruptible: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Say:
    """Speak dynamic text (TTS) in ``language``'s voice; answer with :data:`DONE`."""

    text: str
    language: str = ""
    interruptible: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class SayDigits:
    """Say these digits with the PBX's digit prompts of ``language``; answer with :data:`DONE`."""

    digits: str
    language: str = ""
    interruptible: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Collect:
    """Play the prompts and read up to ``max_digits`` DTMF digits; answer with :class:`Digits` or
    :data:`NO_INPUT`. Input ends early on ``terminator`` (empty: none). With ``speech``, the caller may
    say the answer instead (digit words, or a menu option's words); ``node`` names the asking node."""

    prompts: Prompts
    min_digits: int
    max_digits: int
    timeout_ms: int
    terminator: str
    speech: Grammar | None = None
    node: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class Finish:
    """The IVR is over; the edge carries out ``outcome`` (queue, call-back, voicemail, hang up)."""

    outcome: IvrOutcome


CallerAction = Play | Say | SayDigits | Collect | Finish
"""An action carried out on the call itself."""
Action = CallerAction | LookUp


@dataclasses.dataclass(frozen=True, slots=True)
class Digits:
    """The caller keyed these digits (an empty string counts as no input)."""

    value: str


class _Signal:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


DONE = _Signal("DONE")
"""A Play/Say/SayDigits finished."""
NO_INPUT = _Signal("NO_INPUT")
"""A Collect timed out with nothing keyed."""
HUNG_UP = _Signal("HUNG_UP")
"""The caller hung up."""

CallerResult = Digits | _Signal
"""What the caller did in answer to a :data:`CallerAction`."""
InputResult = CallerResult | LookUpAnswer
