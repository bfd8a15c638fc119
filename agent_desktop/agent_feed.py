"""Per-agent message streams: the agent's state and its screen pops, numbered for loss-free resync.

Pure: ACD events go in, ``(agent_id, message)`` deliveries come out. A pop stays active from the
offer until the call is disposed or withdrawn, so a page that reconnects (or reloads) gets it back.
Every message carries ``seq`` from one counter; a client that reconnects sends the highest it saw.

A pop also follows what happens during the talk: the caller on hold, a consultation the agent holds
with a colleague about the call (its colleague's side is a call of its own, ``consult_id``), and, on
the colleague's pop, that the call is such a consultation until it is completed (the colleague then
has the caller). Each change re-stamps the pop's ``seq``, so a page that missed it gets the whole pop.

A call the agent places by hand gets a pop too (``manual``: the number, the customer dialled from, the default
dispositions): ``dialling`` until the number answers, then ``connected`` and ``ended`` for its wrap-up; one the
number never answered is withdrawn with what it came to (``outcome``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallDisposed,
    CallEnded,
    CallHeld,
    CallOffered,
    CallOfferFailed,
    CallResumed,
    ConsultEnded,
    ConsultStarted,
)
from agent_desktop.events import CustomerMatched
from bus.events import DomainEvent
from outbound.dial_events import ManualCallAnswered, ManualCallDisposed, ManualCallEnded, ManualCallPlaced
from outbound.manual_calls import ANSWERED

Message = dict[str, Any]
Delivery = tuple[str, Message]
DEFAULT_DISPOSITIONS: tuple[str, ...] = ("resolved", "follow_up", "escalated", "wrong_number", "no_action")
MAX_ACTIVE_POPS_PER_AGENT = 16


@dataclasses.dataclass(slots=True)
class Consult:
    """A consultation the pop's agent holds about its call: the colleague's side is the call ``consult_id``,
    asked of ``target_agent`` or ``target_queue`` and offered to ``colleague`` once the ACD picks one."""

    consult_id: str
    target_agent: str | None
    target_queue: str | None
    since: float
    state: str = "ringing"  # ringing -> talking
    colleague: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Consultation:
    """What the colleague's pop is until completed: a consultation from ``agent_id`` about call ``call_id``."""

    call_id: str
    agent_id: str | None


@dataclasses.dataclass(slots=True)
class ActivePop:
    """A call offered to an agent and not yet disposed; ``message`` is None until the card is looked up."""

    call_id: str
    agent_id: str
    queue: str
    customer_id: str | None
    offered_at: float
    status: str = "offered"  # offered (dialling, placed by hand) -> connected -> ended (wrap-up) -> gone once disposed
    message: Message | None = None
    held_since: float | None = None  # the caller is on hold since then
    consult: Consult | None = None
    consultation: Consultation | None = None
    campaign_lead: tuple[int, int] | None = None  # (campaign id, lead id) of a campaign's call
    manual: bool = False  # a call the agent placed by hand
    wrap_up_until: float | None = None  # when the wrap-up time of an answered call placed by hand runs out


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
        agent_names: Mapping[str, str] | None = None,
    ) -> None:
        self._dispositions = {q: tuple(d) for q, d in (dispositions or {}).items()}
        self._default_dispositions = tuple(default_dispositions)
        self._names = dict(agent_names or {})
        self._agents: dict[str, _Agent] = {}
        self._calls: dict[str, ActivePop] = {}
        self._consulting: dict[str, ActivePop] = {}  # consult_id -> the consulting agent's pop
        self.seq = 0

    def set_dispositions(self, queue: str, codes: Sequence[str]) -> None:
        """A queue's changed wrap-up codes (the admin console's), for the calls offered from now on; none:
        the default ones."""
        self._dispositions[queue] = tuple(codes)

    def dispositions_for(self, queue: str) -> tuple[str, ...]:
        return self._dispositions.get(queue) or self._default_dispositions

    def set_name(self, agent_id: str, name: str) -> None:
        """An agent's display name, e.g. added or changed in the admin console."""
        self._names[agent_id] = name

    def name_of(self, agent_id: str) -> str:
        """The agent's display name (its id when none is configured)."""
        return self._names.get(agent_id, agent_id)

    def ready_agents(self) -> list[str]:
        """Agents whose last known state is ready."""
        return [agent_id for agent_id, agent in self._agents.items() if agent.state["state"] == "ready"]

    def apply(self, event: DomainEvent) -> list[Delivery]:
        """Fold one event; returns the messages to push now (pops wait for :meth:`complete_pop`)."""
        if isinstance(event, AgentStateChanged):
            state = self._next({
                "type": "agent.state", "agent_id": event.agent_id, "state": event.state,
                "reason": event.reason, "since": event.at, "call_id": event.call_id, "until": event.until,
            })
            self._agent(event.agent_id).state = state
            return [(event.agent_id, state)]
        if isinstance(event, CallOffered):
            pop = self._add(ActivePop(event.call_id, event.agent_id, event.queue, event.caller.customer_id, event.at,
                                      campaign_lead=event.caller.campaign_lead()))
            if event.consult_of is not None:
                pop.consultation = Consultation(event.consult_of, self._consulting_agent(event))
            return self._consult_moved(event.call_id, "ringing", event.agent_id)
        if isinstance(event, ManualCallPlaced):
            self._add(ActivePop(event.call_id, event.agent_id, "", event.customer_id, event.at, status="dialling",
                                manual=True))
            return []
        if isinstance(event, ManualCallAnswered):
            return self._update(event.call_id, "connected", event.agent_id)
        if isinstance(event, ManualCallEnded):
            if event.outcome == ANSWERED:
                ended = self.pop_for(event.agent_id, event.call_id)
                if ended is not None:  # kept for a pop whose card comes after the call's end, and for reloads
                    ended.wrap_up_until = event.wrap_up_until
                return self._update(event.call_id, "ended", event.agent_id, wrap_up_until=event.wrap_up_until)
            return self._update(event.call_id, "withdrawn", event.agent_id, outcome=event.outcome)
        if isinstance(event, ManualCallDisposed):
            return self._update(event.call_id, "disposed", event.agent_id)
        if isinstance(event, CallConnected):
            return [*self._update(event.call_id, "connected"),
                    *self._consult_moved(event.call_id, "talking", event.agent_id)]
        if isinstance(event, CallEnded):
            return self._update(event.call_id, "ended", event.agent_id)
        if isinstance(event, CallOfferFailed):  # a consultation with a queue may ring somebody else next
            return [*self._withdraw_offer(event.call_id), *self._consult_moved(event.call_id, "ringing", None)]
        if isinstance(event, CallAbandoned):
            return self._withdraw_offer(event.call_id)
        if isinstance(event, CallHeld | CallResumed):
            return self._hold(event)
        if isinstance(event, ConsultStarted):
            return self._start_consult(event)
        if isinstance(event, ConsultEnded):
            return self._end_consult(event)
        if isinstance(event, CallDisposed):
            return self._update(event.call_id, "disposed", event.agent_id)
        if isinstance(event, CustomerMatched):
            matched = self._calls.get(event.call_id)
            if matched is not None and matched.agent_id == event.agent_id:
                # At once, so the agent may read the new card before the pop shows it.
                matched.customer_id = event.customer_id
        return []

    def complete_pop(self, event: CallOffered | ManualCallPlaced,
                     customer: Mapping[str, Any] | None) -> Delivery | None:
        """Build the pop once the customer card is known; None if the offer (or call) is already over."""
        pop = self._calls.get(event.call_id)
        if pop is None or pop.agent_id != event.agent_id or pop.message is not None:
            return None
        customer_card = dict(customer) if customer else None
        if isinstance(event, ManualCallPlaced):
            caller: Message = {"ani": event.number, "customer_code": (customer or {}).get("code"),
                               "tier": (customer or {}).get("tier"), "intent": None, "ivr_data": [],
                               "wait_seconds": 0.0, "manual": True}
        else:
            c = event.caller
            caller = {"ani": c.ani, "customer_code": c.customer_code, "tier": (customer or {}).get("tier") or c.tier,
                      "intent": c.intent, "ivr_data": [list(pair) for pair in c.ivr_data],
                      "wait_seconds": event.wait_seconds, "manual": False}
        pop.message = self._next({
            "type": "call.offered", "call_id": event.call_id, "queue": pop.queue, "agent_id": event.agent_id,
            **caller, "customer": customer_card, "dispositions": list(self.dispositions_for(pop.queue)),
            "offered_at": event.at, "status": pop.status, **self._talk_state(pop),
        })
        return event.agent_id, pop.message

    def complete_match(self, event: CustomerMatched, customer: Mapping[str, Any] | None) -> Delivery | None:
        """Put the matched customer's card on the shown pop; None if the card could not be read, or the
        pop is gone, not yet shown, or matched to somebody else since."""
        return self.complete_card(event.call_id, event.customer_id, event.customer_code, customer,
                                  created=event.created)

    def complete_card(self, call_id: str, customer_id: str, customer_code: str | None,
                      customer: Mapping[str, Any] | None, *, created: bool = False) -> Delivery | None:
        """Put ``customer_id``'s card on the shown pop of ``call_id`` (one matched at the desk, or one the CRM
        answered after the pop went without it); None if there is no card, or the pop is gone, not yet
        shown, or shows somebody else now."""
        pop = self._calls.get(call_id)
        if customer is None or pop is None or pop.message is None or pop.customer_id != customer_id:
            return None
        tier = customer.get("tier") or pop.message["tier"]
        update = self._next({
            "type": "call.customer", "call_id": call_id, "customer_code": customer_code,
            "tier": tier, "customer": dict(customer), "created": created,
        })
        pop.message.update(customer_code=customer_code, tier=tier, customer=update["customer"])
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

    def _add(self, pop: ActivePop) -> ActivePop:
        agent = self._agent(pop.agent_id)
        if len(agent.pops) >= MAX_ACTIVE_POPS_PER_AGENT:
            self._drop(next(iter(agent.pops.values())))
        agent.pops[pop.call_id] = pop
        self._calls[pop.call_id] = pop
        return pop

    def _update(self, call_id: str, status: str, agent_id: str | None = None, **news: Any) -> list[Delivery]:
        """Move the call's latest pop, or ``agent_id``'s pop of it (a transferred call has one per agent);
        ``news`` ride on the update (what a call placed by hand came to, its wrap-up's end)."""
        pop = self._calls.get(call_id) if agent_id is None else self.pop_for(agent_id, call_id)
        if pop is None:
            return []
        pop.status = status
        if status != "connected":  # the talk is over: nobody holds the caller or consults about it here
            pop.held_since = None
            self._forget_consult(pop)
        if status in ("withdrawn", "disposed"):
            self._drop(pop)
        if pop.message is None:
            return []  # never shown: nothing to update on screen
        pop.message.update(status=status, **self._talk_state(pop))
        update = self._next({"type": "call.update", "call_id": call_id, "status": status, **news})
        return [(pop.agent_id, update)]

    def _withdraw_offer(self, call_id: str) -> list[Delivery]:
        offered = self._calls.get(call_id)
        return self._update(call_id, "withdrawn") if offered is not None and offered.status == "offered" else []

    def _hold(self, event: CallHeld | CallResumed) -> list[Delivery]:
        pop = self.pop_for(event.agent_id, event.call_id)
        if pop is None:
            return []
        held_seconds: float | None = None
        if isinstance(event, CallResumed):
            pop.held_since, held_seconds = None, event.held_seconds
        else:
            pop.held_since = event.at
        return self._restate(pop, {
            "type": "call.hold", "call_id": event.call_id, "held_since": pop.held_since, "held_seconds": held_seconds,
        })

    def _start_consult(self, event: ConsultStarted) -> list[Delivery]:
        pop = self.pop_for(event.agent_id, event.call_id)
        if pop is None:
            return []
        self._forget_consult(pop)
        pop.consult = Consult(event.consult_id, event.target_agent, event.target_queue, event.at)
        self._consulting[event.consult_id] = pop
        colleague = self._calls.get(event.consult_id)  # offered before this event arrived
        if colleague is not None and colleague.consultation is not None:
            pop.consult.colleague = colleague.agent_id
            if colleague.status == "connected":
                pop.consult.state = "talking"
        return self._consult_message(pop, None)

    def _consult_moved(self, consult_id: str, state: str, colleague: str | None) -> list[Delivery]:
        """The colleague's side of a consultation was offered, answered or not answered."""
        pop = self._consulting.get(consult_id)
        if pop is None or pop.consult is None:
            return []
        pop.consult.state, pop.consult.colleague = state, colleague
        return self._consult_message(pop, None)

    def _end_consult(self, event: ConsultEnded) -> list[Delivery]:
        deliveries: list[Delivery] = []
        pop = self.pop_for(event.agent_id, event.call_id)
        # The pop may know no consult: a completed one ends the call first, and a restart forgets. Still say how it
        # went, unless the talk is over and the outcome (the agent back with the caller) cannot be true.
        if (pop is not None and (pop.consult is None or pop.consult.consult_id == event.consult_id)
                and (event.outcome == "completed" or pop.status == "connected")):
            self._forget_consult(pop)
            deliveries += self._consult_message(pop, event.outcome)
        colleague = self._calls.get(event.consult_id)
        if colleague is None or colleague.consultation is None:
            return deliveries
        if event.outcome != "completed":  # called off: there is nothing left for the colleague to do
            return [*deliveries, *self._update(event.consult_id, "withdrawn", colleague.agent_id)]
        colleague.consultation = None  # the colleague now has the caller, as an ordinary call
        return [*deliveries, *self._restate(colleague, {
            "type": "call.consultation", "call_id": event.consult_id, "consultation": None,
            "outcome": event.outcome,
        })]

    def _consulting_agent(self, event: CallOffered) -> str | None:
        consulting = self._consulting.get(event.call_id)
        if consulting is not None:
            return consulting.agent_id
        about = self._calls.get(event.consult_of or "")  # the offer came before ConsultStarted
        return about.agent_id if about is not None else None

    def _forget_consult(self, pop: ActivePop) -> None:
        if pop.consult is not None:
            if self._consulting.get(pop.consult.consult_id) is pop:
                del self._consulting[pop.consult.consult_id]
            pop.consult = None

    def _consult_message(self, pop: ActivePop, outcome: str | None) -> list[Delivery]:
        return self._restate(pop, {
            "type": "call.consult", "call_id": pop.call_id, "consult": self._consult_json(pop.consult),
            "outcome": outcome,
        })

    def _restate(self, pop: ActivePop, message: Message) -> list[Delivery]:
        """Push ``message`` about the shown pop and keep the pop itself up to date for a resync."""
        if pop.message is None:
            return []  # not shown yet: the pop, when built, carries the state
        update = self._next(message)
        pop.message.update(self._talk_state(pop))
        pop.message["seq"] = update["seq"]  # a client that missed the update gets the whole pop again
        return [(pop.agent_id, update)]

    def _talk_state(self, pop: ActivePop) -> Message:
        consultation = pop.consultation
        return {
            "held_since": pop.held_since,
            "wrap_up_until": pop.wrap_up_until,
            "consult": self._consult_json(pop.consult),
            "consultation": None if consultation is None else {
                "call_id": consultation.call_id, "agent_id": consultation.agent_id,
                "agent_name": self.name_of(consultation.agent_id) if consultation.agent_id else None,
            },
        }

    def _consult_json(self, consult: Consult | None) -> Message | None:
        if consult is None:
            return None
        return {
            "consult_id": consult.consult_id, "target_agent": consult.target_agent,
            "target_queue": consult.target_queue, "state": consult.state, "since": consult.since,
            "target_name": self.name_of(consult.target_agent) if consult.target_agent else consult.target_queue,
            "colleague": consult.colleague,
            "colleague_name": self.name_of(consult.colleague) if consult.colleague else None,
        }

    def _drop(self, pop: ActivePop) -> None:
        self._forget_consult(pop)
        if self._calls.get(pop.call_id) is pop:
            del self._calls[pop.call_id]
        self._agent(pop.agent_id).pops.pop(pop.call_id, None)

    def _next(self, message: Message) -> Message:
        self.seq += 1
        message["seq"] = self.seq
        return message
