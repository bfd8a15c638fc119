"""Agent states and the table of moves an agent may make between them."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Container


class AgentState(enum.StrEnum):
    """The states an agent can be in; the values are the strings used on the bus and in the UI."""

    LOGGED_OUT = "logged_out"
    READY = "ready"
    NOT_READY = "not_ready"
    RESERVED = "reserved"  # a call was offered and the agent's phone is ringing, or held for an outbound dial
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


S = AgentState

#: Every legal move. Anything else raises :class:`IllegalTransition`.
TRANSITIONS: dict[AgentState, frozenset[AgentState]] = {
    S.LOGGED_OUT: frozenset({S.READY, S.NOT_READY}),
    S.READY: frozenset({S.NOT_READY, S.RESERVED, S.LOGGED_OUT}),
    # not_ready -> not_ready changes the pause reason.
    S.NOT_READY: frozenset({S.READY, S.NOT_READY, S.LOGGED_OUT}),
    # reserved -> ready: the caller hung up while the phone rang; -> not_ready: missed, busy or failed;
    # -> logged_out: a supervisor forced the agent out while ringing; -> reserved: the customer of the outbound
    # call the agent was held for answered, and the call is offered to them.
    S.RESERVED: frozenset({S.ON_CALL, S.READY, S.NOT_READY, S.LOGGED_OUT, S.RESERVED}),
    # on_call -> ready / not_ready when the queue has no wrap-up time.
    S.ON_CALL: frozenset({S.WRAP_UP, S.READY, S.NOT_READY}),
    S.WRAP_UP: frozenset({S.READY, S.NOT_READY, S.LOGGED_OUT}),
}

#: A ready agent who dials by hand is paused for it, so no queue offers them a call meanwhile.
MANUAL_CALL_PAUSE = "manual_call"
#: Pause reasons the system sets: after an offer the agent did not take, and for a call dialled by hand.
SYSTEM_PAUSE_REASONS = frozenset({"missed", "busy", "failed", MANUAL_CALL_PAUSE})


class IllegalTransition(ValueError):
    """An agent was asked to make a move the transition table does not allow."""

    def __init__(self, agent_id: str, current: AgentState, wanted: AgentState) -> None:
        super().__init__(f"agent {agent_id}: cannot go from {current} to {wanted}")
        self.agent_id = agent_id
        self.current = current
        self.wanted = wanted


@dataclasses.dataclass(slots=True)
class AgentStatus:
    """An agent's live state: where it is, since when, and what it holds."""

    agent_id: str
    state: AgentState = AgentState.LOGGED_OUT
    reason: str | None = None
    since: float = 0.0
    call_id: str | None = None
    # The pause the agent chose while busy; applied instead of ready when the current call's wrap-up ends.
    pending_pause: str | None = None
    wrap_up_until: float | None = None
    wrap_up_limit: float | None = None  # the latest the agent may extend the wrap-up to

    def resume(self, saved: AgentStatus, live_calls: Container[str]) -> bool:
        """Take ``saved`` (a snapshot's) state after a restart. True when the agent must be freed again: an
        offer in flight died with the old process, and a talk whose call is gone has ended."""
        self.reason, self.pending_pause, self.since = saved.reason, saved.pending_pause, saved.since
        if saved.state is AgentState.ON_CALL and saved.call_id in live_calls:
            self.state, self.call_id = saved.state, saved.call_id
        elif saved.state is AgentState.WRAP_UP and saved.wrap_up_until is not None:
            self.state, self.wrap_up_until = saved.state, saved.wrap_up_until
        elif saved.state in (AgentState.READY, AgentState.RESERVED, AgentState.ON_CALL):
            self.state = AgentState.NOT_READY
            return True
        else:
            self.state = saved.state
        return False

    def move(self, to: AgentState, at: float, reason: str | None = None) -> AgentState:
        """Apply one move of the table; returns the previous state."""
        if to not in TRANSITIONS[self.state]:
            raise IllegalTransition(self.agent_id, self.state, to)
        previous = self.state
        self.state = to
        self.reason = reason if to is AgentState.NOT_READY else None
        self.since = at
        if to is not AgentState.WRAP_UP:
            self.wrap_up_until = self.wrap_up_limit = None
        if to in (AgentState.NOT_READY, AgentState.LOGGED_OUT):
            self.pending_pause = None  # a pause chosen earlier is overtaken by this one
        return previous


@dataclasses.dataclass(frozen=True, slots=True)
class AgentView:
    """A read-only look at one agent."""

    agent_id: str
    state: AgentState
    reason: str | None
    since: float
    call_id: str | None
    pending_pause: str | None
