"""What may be done to a call during the talk (hold, transfer, consult), judged from its pop; pure.

The ACD has the last word and may still refuse; this only keeps requests that cannot fit from
reaching it, and says why in words an agent understands.
"""

from __future__ import annotations

import enum

from agent_desktop.agent_feed import ActivePop


class CallAction(enum.StrEnum):
    """A request about a talking call, named as the refusal messages use it."""

    TRANSFER = "transfer"
    HOLD = "hold"
    RESUME = "resume"
    CONSULT = "consult"
    COMPLETE_CONSULT = "complete the consultation"
    CANCEL_CONSULT = "cancel the consultation"


_ABOUT_THE_CONSULT = (CallAction.COMPLETE_CONSULT, CallAction.CANCEL_CONSULT)


def refusal(pop: ActivePop, action: CallAction) -> str | None:
    """Why ``action`` does not fit the call as its pop last showed it, or None when it may go to the ACD."""
    if pop.consultation is not None:
        return f"this is a colleague's consultation, not a caller: you cannot {action} it"
    if pop.status != "connected":
        return f"the call is {pop.status}; only a talking call allows this ({action})"
    if action in _ABOUT_THE_CONSULT:
        if pop.consult is None:
            return f"there is no consultation to {action.split()[0]}"
        if action is CallAction.COMPLETE_CONSULT and pop.consult.state != "talking":
            return "the colleague has not answered yet: wait for them, or cancel"
        return None
    if pop.consult is not None:
        return "a consultation is under way: complete or cancel it first"
    if action is CallAction.HOLD and pop.held_since is not None:
        return "the caller is already on hold"
    if action is CallAction.RESUME and pop.held_since is None:
        return "the caller is not on hold"
    return None
