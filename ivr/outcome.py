"""How a call leaves the IVR: the record the ACD (or the call-back/voicemail edge) takes over."""

from __future__ import annotations

import dataclasses
import enum

from ivr.caller import CallerData


class OutcomeKind(enum.StrEnum):
    QUEUE = "queue"
    CALLBACK = "callback"
    VOICEMAIL = "voicemail"
    HANGUP = "hangup"
    ABANDONED = "abandoned_in_ivr"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class IvrOutcome:
    """Everything learned in the IVR.

    ``caller`` is who calls and why (its ``unidentified`` is True when neither the code nor the number
    found the customer; its ``ivr_data`` holds the collected and set values in the order they were first
    set). ``identified_by`` is ``"code"`` (a validated customer code), ``"ani"`` (only the caller number
    matched) or None; ``last_node`` is where the call was when it left (for an abandoned call: where the
    caller hung up).
    """

    kind: OutcomeKind
    call_id: str
    caller: CallerData
    dnis: str = ""
    queue: str | None = None
    priority: int = 0
    skills: tuple[tuple[str, int], ...] = ()
    customer_name: str | None = None
    language: str = "en"
    identified_by: str | None = None
    callback_number: str | None = None
    mailbox: str | None = None
    last_node: str = ""
    steps: int = 0
    started_at: float = 0.0
    ended_at: float = 0.0
