"""How a call leaves the IVR: the record the ACD (or the call-back/voicemail edge) takes over."""

from __future__ import annotations

import dataclasses
import enum


class OutcomeKind(enum.StrEnum):
    QUEUE = "queue"
    CALLBACK = "callback"
    VOICEMAIL = "voicemail"
    HANGUP = "hangup"
    ABANDONED = "abandoned_in_ivr"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class IvrOutcome:
    """Everything learned in the IVR.

    ``identified_by`` is ``"code"`` (a validated customer code), ``"ani"`` (only the caller number
    matched) or None; ``unidentified`` is True when neither found the customer. ``ivr_data`` holds
    the collected and set values in the order they were first set; ``last_node`` is where the call
    was when it left (for an abandoned call: where the caller hung up).
    """

    kind: OutcomeKind
    call_id: str
    ani: str
    dnis: str = ""
    queue: str | None = None
    priority: int = 0
    skills: tuple[tuple[str, int], ...] = ()
    customer_id: str | None = None
    customer_code: str | None = None
    customer_name: str | None = None
    tier: str | None = None
    language: str = "en"
    intent: str | None = None
    identified_by: str | None = None
    unidentified: bool = True
    ivr_data: tuple[tuple[str, str], ...] = ()
    callback_number: str | None = None
    mailbox: str | None = None
    last_node: str = ""
    steps: int = 0
    started_at: float = 0.0
    ended_at: float = 0.0
