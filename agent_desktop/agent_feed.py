"""Per-agent message streams: the agent's state and its screen pops, numbered for loss-free resync.

Pure: ACD events go in, ``(agent_id, message)`` deliveries come out. A pop stays active from the
offer until the call is disposed or withdrawn, so a page that reconnects (or reloads) gets it back.
Every message carries ``seq`` from one counter; a client that reconnects sends the highest it saw.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallDisposed,
    CallEnded,
    CallOffered,
    CallOfferFailed,
)
from agent_desktop.events import CustomerMatched
from callcenter.events import DomainEvent

Clock = Callable[[], float]
Message = dict[str, Any]
Delivery = tuple[str, Message]
DEFAULT_DISPOSITIONS: tuple[str, ...] = ("resolved", "follow_up", "escalated", "wrong_number", "no_action")
MAX_ACTIVE_POPS_PER_AGENT = 16


@dataclasses.dataclass(slots=True)
class ActivePop:
    """A call offered to an agent and not yet disposed; ``message`` is None until the card is looked up."""

    call_id: str
    agent_id: str
    queue: str
    customer_id: str | None
    offered_at: float
    status: str = "offered"  # offered -> connected -> ended (wrap-up) -> gone once disposed
    message: Message | None = None


@dataclasses.dataclass(slots=True)
class _Agent:
    state: Message
    pops: dict[str, ActivePop] = dataclasses.field(default_factory=dict)


class AgentFeeds:
    """Agent states and active pops of every agent, with the sequence counter."""

    def __init__(
        self,
        *,
        dispositions: Mapping[str, Sequence[str]] | None = None,
        default_dispositions: Sequence[str] = DEFAULT_DISPOSITIONS,
    ) -> None:
        self._dispositions = {q: tuple(d) for q, d in (dispositions or {}).items()}
        self._default_dispositions = tuple(default_dispositions)
        self._agents: dict[str, _Agent] = {}
        self._calls: dict[str, ActivePop] = {}
        self.seq = 0

    def dispositions_for(self, queue: str) -> tuple[str, ...]:
        return self._dispositions.get(queue) or self._default_dispositions

    def apply(self, event: DomainEvent) -> list[Delivery]:
        """Fold one event; returns the messages to push now (pops wait for :meth:`complete_pop`)."""
        if isinstance(event, AgentStateChanged):
            state = self._next({
                "type": "agent.state", "agent_id": event.agent_id, "state": event.state,
                "reason": event.reason, "since": event.at, "call_id": event.call_id,
            })
            self._agent(event.agent_id).state = state
            return [(event.agent_id, state)]
        if isinstance(event, CallOffered):
            agent = self._agent(event.agent_id)
            if len(agent.pops) >= MAX_ACTIVE_POPS_PER_AGENT:
                self._drop(next(iter(agent.pops.values())))
            pop = ActivePop(event.call_id, event.agent_id, event.queue, event.customer_id, event.at)
            agent.pops[event.call_id] = pop
            self._calls[event.call_id] = pop
            return []
        if isinstance(event, CallConnected):
            return self._update(event.call_id, "connected")
        if isinstance(event, CallEnded):
            return self._update(event.call_id, "ended", event.agent_id)
        if isinstance(event, CallOfferFailed | CallAbandoned):
            offered = self._calls.get(event.call_id)
            if offered is not None and offered.status == "offered":
                return self._update(event.call_id, "withdrawn")
            return []
        if isinstance(event, CallDisposed):
            return self._update(event.call_id, "disposed", event.agent_id)
        if isinstance(event, CustomerMatched):
            matched = self._calls.get(event.call_id)
            if matched is not None and matched.agent_id == event.agent_id:
                # At once, so the agent may read the new card before the pop shows it.
                matched.customer_id = event.customer_id
        return []

    def complete_pop(self, event: CallOffered, customer: Mapping[str, Any] | None) -> Delivery | None:
        """Build the pop once the customer card is known; None if the offer is already over."""
        pop = self._calls.get(event.call_id)
        if pop is None or pop.agent_id != event.agent_id or pop.message is not None:
            return None
        pop.message = self._next({
            "type": "call.offered",
            "call_id": event.call_id,
            "queue": event.queue,
            "agent_id": event.agent_id,
            "ani": event.ani,
            "customer_code": event.customer_code,
            "tier": (customer or {}).get("tier") or event.tier,
            "intent": event.intent,
            "ivr_data": [list(pair) for pair in event.ivr_data],
            "wait_seconds": event.wait_seconds,
            "customer": dict(customer) if customer else None,
            "dispositions": list(self.dispositions_for(event.queue)),
            "offered_at": event.at,
            "status": pop.status,
        })
        return event.agent_id, pop.message

    def complete_match(self, event: CustomerMatched, customer: Mapping[str, Any] | None) -> Delivery | None:
        """Put the matched customer's card on the shown pop; None if the card could not be read, or the
        pop is gone, not yet shown, or matched to somebody else since."""
        pop = self._calls.get(event.call_id)
        if customer is None or pop is None or pop.message is None or pop.customer_id != event.customer_id:
            return None
        tier = customer.get("tier") or pop.message["tier"]
        update = self._next({
            "type": "call.customer", "call_id": event.call_id, "customer_code": event.customer_code,
            "tier": tier, "customer": dict(customer), "created": event.created,
        })
        pop.message.update(customer_code=event.customer_code, tier=tier, customer=update["customer"])
        pop.message["seq"] = update["seq"]  # a client that missed the update gets the whole pop again
        return pop.agent_id, update

    def replay(self, agent_id: str, last_seq: int) -> list[Message]:
        """What a reconnecting client of ``agent_id`` needs: state, pops it missed, the active list."""
        agent = self._agent(agent_id)
        messages: list[Message] = [agent.state]
        messages.extend(
            p.message for p in agent.pops.values() if p.message is not None and p.message["seq"] > last_seq
        )
        active = [{"call_id": p.call_id, "status": p.status} for p in agent.pops.values() if p.message is not None]
        messages.append({"type": "resync.done", "seq": self.seq, "active_calls": active})
        return messages

    def state_of(self, agent_id: str) -> Message:
        return self._agent(agent_id).state

    def active_pops(self, agent_id: str) -> list[ActivePop]:
        agent = self._agents.get(agent_id)
        return list(agent.pops.values()) if agent else []

    def pop_for(self, agent_id: str, call_id: str) -> ActivePop | None:
        """The agent's own active pop for ``call_id`` (None for anybody else's call); after a transfer the
        first agent keeps theirs for the wrap-up while the next agent is offered the call."""
        agent = self._agents.get(agent_id)
        return agent.pops.get(call_id) if agent is not None else None

    def active_call(self, call_id: str) -> ActivePop | None:
        """The active pop of ``call_id`` whoever its agent is (for supervisors)."""
        return self._calls.get(call_id)

    def agent_sees_customer(self, agent_id: str, customer_id: str) -> bool:
        return any(p.customer_id == customer_id for p in self.active_pops(agent_id))

    def _agent(self, agent_id: str) -> _Agent:
        agent = self._agents.get(agent_id)
        if agent is None:
            state = {"type": "agent.state", "agent_id": agent_id, "state": "logged_out", "reason": None,
                     "since": None, "call_id": None, "seq": 0}
            agent = self._agents[agent_id] = _Agent(state)
        return agent

    def _update(self, call_id: str, status: str, agent_id: str | None = None) -> list[Delivery]:
        """Move the call's latest pop, or ``agent_id``'s pop of it (a transferred call has one per agent)."""
        pop = self._calls.get(call_id) if agent_id is None else self.pop_for(agent_id, call_id)
        if pop is None:
            return []
        pop.status = status
        if status in ("withdrawn", "disposed"):
            self._drop(pop)
        if pop.message is None:
            return []  # never shown: nothing to update on screen
        pop.message["status"] = status
        update = self._next({"type": "call.update", "call_id": call_id, "status": status})
        return [(pop.agent_id, update)]

    def _drop(self, pop: ActivePop) -> None:
        if self._calls.get(pop.call_id) is pop:
            del self._calls[pop.call_id]
        self._agent(pop.agent_id).pops.pop(pop.call_id, None)

    def _next(self, message: Message) -> Message:
        self.seq += 1
        message["seq"] = self.seq
        return message
