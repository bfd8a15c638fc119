"""How long agents' after-call work lasts on a campaign's calls (pure): what the predictive pacer learns.

The dialer tells :class:`AfterCallWork` when the talk of a call it dialled ends (:meth:`~AfterCallWork.talk_ended`)
and passes on every agent state change (:meth:`~AfterCallWork.state_changed`). The after-call work runs from
the start of the agent's wrap-up (the talk's end until then) to the state that follows it, however the
wrap-up ends (a disposition, its timer, a pause, a log-out); an extension of the wrap-up is part of it. An
agent who leaves the call with no wrap-up at all (a queue without after-call time) did none: 0 s.
"""

from __future__ import annotations

import dataclasses

from acd.agents import AgentState


@dataclasses.dataclass(frozen=True, slots=True)
class Wrapped:
    """One after-call work of a campaign's call: ``seconds`` long."""

    campaign_id: int
    seconds: float


class AfterCallWork:
    """The after-call work in progress of agents whose campaign call's talk ended, by agent."""

    def __init__(self) -> None:
        self._since: dict[str, tuple[int, float]] = {}  # agent id -> (campaign id, after-call work began)

    def talk_ended(self, agent_id: str, campaign_id: int, at: float) -> None:
        """The talk of the agent's call, dialled for ``campaign_id``, ended at ``at``."""
        self._since[agent_id] = (campaign_id, at)

    def state_changed(self, agent_id: str, previous: str, state: str, at: float) -> Wrapped | None:
        """The agent moved from ``previous`` to ``state`` at ``at``: the after-call work that ended, if any."""
        found = self._since.get(agent_id)
        if found is None or state == AgentState.ON_CALL:
            return None
        campaign_id, since = found
        if state == AgentState.WRAP_UP:
            if previous != AgentState.WRAP_UP:  # it begins now (an extension changes nothing)
                self._since[agent_id] = (campaign_id, at)
            return None
        del self._since[agent_id]
        return Wrapped(campaign_id, at - since if previous == AgentState.WRAP_UP else 0.0)
