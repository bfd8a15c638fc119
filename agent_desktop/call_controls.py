"""What may be done to a call during the talk (hold, transfer, consult), judged from its pop; pure.

The ACD has the last word and may still refuse; this only keeps requests that cannot fit from
reaching it, and says why in words an agent understands.
"""

from __future__ import annotations

import enum

from agent_desktop.agent_feed import ActivePop
from agent_desktop.ui_text import CodeWord, UiText


class CallAction(enum.StrEnum):
    """A request about a talking call."""

    TRANSFER = "transfer"
    HOLD = "hold"
    RESUME = "resume"
    CONSULT = "consult"
    COMPLETE_CONSULT = "complete_consult"
    CANCEL_CONSULT = "cancel_consult"


# Each action as the refusal messages name it ("you cannot %(action)s it").
_ACTION_WORDS = {
    CallAction.TRANSFER: UiText("transfer"),
    CallAction.HOLD: UiText("hold"),
    CallAction.RESUME: UiText("resume"),
    CallAction.CONSULT: UiText("consult"),
    CallAction.COMPLETE_CONSULT: UiText("complete the consultation"),
    CallAction.CANCEL_CONSULT: UiText("cancel the consultation"),
}
_NO_CONSULTATION = {
    CallAction.COMPLETE_CONSULT: UiText("there is no consultation to complete"),
    CallAction.CANCEL_CONSULT: UiText("there is no consultation to cancel"),
}


def refusal(pop: ActivePop, action: CallAction) -> UiText | None:
    """Why ``action`` does not fit the call as its pop last showed it, or None when it may go to the ACD."""
    if pop.consultation is not None:
        return UiText("this is a colleague's consultation, not a caller: you cannot %(action)s it",
                      action=_ACTION_WORDS[action])
    if pop.status != "connected":
        return UiText("the call is %(status)s; only a talking call allows this (%(action)s)",
                      status=CodeWord("call status", pop.status), action=_ACTION_WORDS[action])
    if action in _NO_CONSULTATION:
        if pop.consult is None:
            return _NO_CONSULTATION[action]
        if action is CallAction.COMPLETE_CONSULT and pop.consult.state != "talking":
            return UiText("the colleague has not answered yet: wait for them, or cancel")
        return None
    if pop.consult is not None:
        return UiText("a consultation is under way: complete or cancel it first")
    if action is CallAction.HOLD and pop.held_since is not None:
        return UiText("the caller is already on hold")
    if action is CallAction.RESUME and pop.held_since is None:
        return UiText("the caller is not on hold")
    return None
