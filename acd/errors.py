"""What the ACD core refuses: unknown names and calls in the wrong state."""


class AcdError(Exception):
    """Base of the core's errors."""


class UnknownQueue(AcdError, LookupError):
    """A call named a queue the configuration does not declare."""


class UnknownAgent(AcdError, LookupError):
    """An agent id the configuration does not declare."""


class UnknownCall(AcdError, LookupError):
    """A call id the core does not hold (never queued, or already over)."""


class UnknownPauseReason(AcdError, ValueError):
    """A not-ready reason that is not among the configured pause reasons."""


class WrongCallState(AcdError, ValueError):
    """The call is not in the state this operation needs (e.g. answering a call nobody was offered)."""


class WrongAgentState(AcdError, ValueError):
    """The agent is not in the state this operation needs (e.g. extending a wrap-up they are not in)."""


class DuplicateCall(AcdError, ValueError):
    """A call id that is already queued or in progress."""
