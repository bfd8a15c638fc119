"""The ACD core: queues, agents and the router, driven by plain method calls, with no I/O.

Every public method takes the time from the injected clock, updates state and returns
:class:`~acd.decisions.Effects` (decisions for the service to carry out, domain events to publish).
Which agent gets which call is the :class:`~acd.routing.Router`'s to find; the core moves agents and
calls through their states, keeps the clock's deadlines (escalations, ends of wrap-up) and takes a
snapshot of it all for a restarted service.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from acd.agents import SYSTEM_PAUSE_REASONS, AgentState, AgentView, IllegalTransition
from acd.calls import Call, CallStatus, requirement_of
from acd.config import AcdConfig, AgentConfig, QueueConfig
from acd.deadlines import Deadlines
from acd.decisions import Effects, Offer, OriginateCallback, Refused
from acd.errors import (
    AcdError,
    DuplicateCall,
    UnknownAgent,
    UnknownCall,
    UnknownPauseReason,
    UnknownQueue,
    WrongAgentState,
    WrongCallState,
)
from acd.estimate import HandleTimeEstimate
from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallbackRequested,
    CallConnected,
    CallEnded,
    CallHeld,
    CallOfferFailed,
    CallResumed,
)
from acd.routing import RoutedAgent, Router
from acd.snapshot import Snapshot
from bus.clock import Clock
from ivr.caller import CallerData

#: What one "more time" of an agent in wrap-up adds (never past the queue's wrap-up limit).
WRAP_UP_EXTENSION_SECONDS = 30.0
OFFER_FAILURES = {"no_answer": "missed", "busy": "busy", "failed": "failed"}
_NO_CALLER = CallerData()  # frozen: one value serves every call queued without the caller's data


class Acd:
    """The ACD decision-maker for one tenant."""

    def __init__(self, config: AcdConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._queues: dict[str, QueueConfig] = {q.name: q for q in config.queues}
        self._router = Router(self._queues, config.weights)
        self._agents: dict[str, RoutedAgent] = {}
        self._calls: dict[str, Call] = {}
        self._handle = {q.name: HandleTimeEstimate(q.expected_handle_seconds) for q in config.queues}
        self._deadlines = Deadlines()
        self._seq = 0
        for agent in config.agents:
            self.add_agent(agent)

    # ----------------------------------------------------------------- agents

    def add_agent(self, config: AgentConfig) -> None:
        """Declare an agent (logged out) at run time, e.g. one created in the admin pages."""
        if config.id in self._agents:
            raise AcdError(f"agent {config.id!r} already exists")
        self._check_queues(config.queues)
        agent = RoutedAgent(config)
        self._agents[config.id] = agent
        self._router.add_agent(agent)

    def update_agent(self, config: AgentConfig) -> None:
        """Change a logged-out agent's name, phone, skills and queues (e.g. in the admin pages); its next
        login routes with them."""
        old = self._agent(config.id)
        if old.status.state is not AgentState.LOGGED_OUT:
            raise AcdError(f"agent {config.id!r} must be logged out to change")
        self._check_queues(config.queues)
        self._router.remove_agent(old)
        agent = RoutedAgent(config)
        agent.status = old.status
        self._agents[config.id] = agent
        self._router.add_agent(agent)

    def update_queue(self, config: QueueConfig) -> Effects:
        """Change a declared queue's settings at run time (service level, wrap-up, hours, escalation,
        dispositions): new calls follow them, and its waiting calls escalate by the new steps at once."""
        self._check_queues((config.name,))
        self._queues[config.name] = config  # the router reads the same mapping
        self.config = dataclasses.replace(self.config, queues=tuple(self._queues.values()))
        fx, now = Effects(), self.clock()
        for call in list(self._router.queued[config.name].values()):
            self._router.unplace(call)
            call.escalations = 0  # the steps due by now are counted again, from the new list
            self._place(call, now, fx)
        return fx

    def set_names(self, skills: Iterable[str], pause_reasons: Iterable[str]) -> None:
        """Replace the declared skills and the pause reasons a person may pick (the ACD's own stay)."""
        self.config = dataclasses.replace(self.config, skills=tuple(skills),
                                          pause_reasons=frozenset(pause_reasons) | SYSTEM_PAUSE_REASONS)

    def agent_configs(self) -> list[AgentConfig]:
        """Every agent as declared (from the settings or added since), in the order they were added."""
        return [agent.config for agent in self._agents.values()]

    def login(self, agent_id: str, *, ready: bool = False, reason: str | None = None) -> Effects:
        """Log an agent in, ready for calls or not ready (with an optional pause reason)."""
        agent = self._agent(agent_id)
        fx = Effects()
        if ready:
            self._free(agent, fx)
        else:
            self._check_reason(reason, allow_none=True)
            self._move(agent, AgentState.NOT_READY, fx, reason)
        return fx

    def ready(self, agent_id: str) -> Effects:
        """The agent is ready (from not ready, or ending wrap-up early); it may be offered a call at once."""
        agent = self._agent(agent_id)
        if agent.status.state not in (AgentState.NOT_READY, AgentState.WRAP_UP):
            raise IllegalTransition(agent_id, agent.status.state, AgentState.READY)
        agent.status.pending_pause = None
        fx = Effects()
        self._free(agent, fx)
        return fx

    def pause(self, agent_id: str, reason: str) -> Effects:
        """Not ready with ``reason``; while ringing or talking the pause waits for the call (and wrap-up) to end."""
        self._check_reason(reason)
        agent = self._agent(agent_id)
        fx = Effects()
        if agent.status.state is AgentState.LOGGED_OUT:
            raise IllegalTransition(agent_id, agent.status.state, AgentState.NOT_READY)
        if agent.status.state in (AgentState.RESERVED, AgentState.ON_CALL):
            agent.status.pending_pause = reason
        else:
            self._move(agent, AgentState.NOT_READY, fx, reason)
        return fx

    def logout(self, agent_id: str) -> Effects:
        """Log the agent out; a call ringing its phone goes back to the head of its queue."""
        agent = self._agent(agent_id)
        fx = Effects()
        call = self._calls.get(agent.status.call_id or "")
        self._move(agent, AgentState.LOGGED_OUT, fx)
        agent.status.pending_pause = None
        if call is not None:
            self._return_offer(call, agent, "logged_out", fx)
        return fx

    def make_ready(self, agent_id: str) -> Effects:
        """The agent asks for calls: logged in ready when logged out, else as :meth:`ready`."""
        if self._agent(agent_id).status.state is AgentState.LOGGED_OUT:
            return self.login(agent_id, ready=True)
        return self.ready(agent_id)

    def make_not_ready(self, agent_id: str, reason: str) -> Effects:
        """The agent asks for a pause: logged in not ready when logged out, else as :meth:`pause`."""
        if self._agent(agent_id).status.state is AgentState.LOGGED_OUT:
            return self.login(agent_id, reason=reason)
        return self.pause(agent_id, reason)

    def extend_wrap_up(self, agent_id: str) -> Effects:
        """Give the agent :data:`WRAP_UP_EXTENSION_SECONDS` more of wrap-up, up to the queue's limit."""
        agent = self._agent(agent_id)
        s = agent.status
        if s.state is not AgentState.WRAP_UP or s.wrap_up_until is None or s.wrap_up_limit is None:
            raise WrongAgentState(f"agent {agent_id} is not wrapping up")
        if s.wrap_up_until >= s.wrap_up_limit:
            raise WrongAgentState(f"agent {agent_id} has reached the queue's wrap-up limit")
        s.wrap_up_until = min(s.wrap_up_limit, s.wrap_up_until + WRAP_UP_EXTENSION_SECONDS)
        self._deadlines.end_wrap_up_at(s.wrap_up_until, agent_id)
        # The same state again, with its new end: what the desktop's countdown shows.
        return Effects(events=[AgentStateChanged(at=self.clock(), agent_id=agent_id, state=s.state.value,
                                                 previous=s.state.value, call_id=s.call_id, until=s.wrap_up_until)])

    def end_wrap_up(self, agent_id: str) -> Effects:
        """The agent is done wrapping up before the time runs out: not ready with the pause chosen during
        the call, if any, else ready (and maybe offered a call at once)."""
        agent = self._agent(agent_id)
        if agent.status.state is not AgentState.WRAP_UP:
            wanted = AgentState.READY if agent.status.pending_pause is None else AgentState.NOT_READY
            raise IllegalTransition(agent_id, agent.status.state, wanted)
        fx = Effects()
        self._end_wrap_up(agent, fx)
        return fx

    def agent(self, agent_id: str) -> AgentView:
        s = self._agent(agent_id).status
        return AgentView(s.agent_id, s.state, s.reason, s.since, s.call_id, s.pending_pause)

    def agents(self) -> list[AgentView]:
        return [self.agent(a) for a in self._agents]

    # ------------------------------------------------------------------ calls

    def enqueue(
        self,
        call_id: str,
        queue: str,
        *,
        priority: int = 0,
        skills: Mapping[str, int] | None = None,
        caller: CallerData | None = None,
        enter_time: float | None = None,
        adopting: bool = False,
        agent_id: str | None = None,
        consult_of: str | None = None,
    ) -> Effects:
        """A call asks for an agent. ``skills`` (name -> minimum level) default to the queue's; ``caller``
        (who calls and why) travels with the call, its IVR data sorted by name.

        Refused (decision, no event) when the queue is closed or full, unless ``adopting`` (a call
        re-adopted after a restart, with its original ``enter_time``), which is always taken.

        ``agent_id`` pins the call to that agent (a transfer or consultation to a named colleague, or an outbound
        call's customer, :meth:`reserve`): offered to them at once whatever their queues and skills, or refused
        (``agent_unavailable``) when they are neither ready nor held for ``call_id``; queue hours and length do
        not apply. ``consult_of`` marks a consultation: an agent talking on that call asks a colleague about it;
        its "caller" is the consulting agent.
        """
        q = self._queues.get(queue)
        if q is None:
            raise UnknownQueue(queue)
        if call_id in self._calls:
            raise DuplicateCall(call_id)
        now = self.clock()
        fx = Effects()
        target = None if agent_id is None else self._agent(agent_id)
        if target is not None:
            if target.status.state is not AgentState.READY and not self._holds(target, call_id):
                fx.decisions.append(Refused(call_id, queue, "agent_unavailable"))
                return fx
        elif not adopting:
            if not q.hours.is_open(now):
                fx.decisions.append(Refused(call_id, queue, "closed"))
                return fx
            if q.max_length is not None and len(self._router.queued[queue]) >= q.max_length:
                fx.decisions.append(Refused(call_id, queue, "queue_full"))
                return fx
        required = q.skills if skills is None else requirement_of(skills)
        self._seq += 1
        if caller is None:
            caller = _NO_CALLER
        elif caller.ivr_data:
            caller = dataclasses.replace(caller, ivr_data=tuple(sorted(dict(caller.ivr_data).items())))
        call = Call(
            call_id=call_id, queue=queue, priority=priority, skills=required,
            enter_time=now if enter_time is None else enter_time, seq=self._seq, caller=caller,
            pinned=agent_id, consult_of=consult_of,
        )
        self._calls[call_id] = call
        fx.events.append(call.queued(now))
        if target is not None:
            self._escalate(call, now)
            self._offer(call, target, now, fx)
        else:
            self._place(call, now, fx)
        return fx

    def answered(self, call_id: str) -> Effects:
        """The offered agent (and, for a call-back, the customer) answered: they are talking."""
        call = self._call(call_id, CallStatus.OFFERED)
        agent = self._agents[call.agent_id or ""]
        now = self.clock()
        fx = Effects()
        self._move(agent, AgentState.ON_CALL, fx, call_id=call_id)
        call.status = CallStatus.CONNECTED
        call.connected_at = now
        fx.events.append(CallConnected(at=now, call_id=call_id, queue=call.queue, agent_id=agent.config.id,
                                       wait_seconds=now - call.enter_time))
        return fx

    def offer_failed(self, call_id: str, reason: str) -> Effects:
        """The agent did not take the offer (``no_answer``, ``busy``, ``failed``): the agent goes not ready
        with reason missed/busy/failed and the call returns to its place with its original enter time.

        A call pinned to that agent waits in its queue for anyone instead, except a consultation pinned
        to them, which ends there (the consulting agent goes back to their caller)."""
        if reason not in OFFER_FAILURES:
            raise ValueError(f"offer failure reason must be one of {sorted(OFFER_FAILURES)}, got {reason!r}")
        call = self._call(call_id, CallStatus.OFFERED)
        agent = self._agents[call.agent_id or ""]
        fx = Effects()
        self._move(agent, AgentState.NOT_READY, fx, OFFER_FAILURES[reason])
        self._return_offer(call, agent, reason, fx)
        return fx

    def hangup(self, call_id: str) -> Effects:
        """The call's channel is gone, at any step: waiting (abandoned), ringing an agent (abandoned; the
        agent is free again) or talking (ended; wrap-up follows). A waiting call-back entry no longer has
        a caller channel, so its hang-up changes nothing; an offered call-back whose customer leg is gone
        ends as ``callback_failed``. Unknown ids are ignored (hang-ups may arrive twice)."""
        call = self._calls.get(call_id)
        fx = Effects()
        if call is None:
            return fx
        now = self.clock()
        if call.status is CallStatus.WAITING:
            if call.callback_number is None:
                position = self.position(call_id)
                self._forget(call)
                fx.events.append(CallAbandoned(at=now, call_id=call_id, queue=call.queue,
                                               wait_seconds=now - call.enter_time, position=position))
            return fx
        agent = self._agents[call.agent_id or ""]
        del self._calls[call_id]
        if call.status is CallStatus.OFFERED:
            if call.callback_number is None:
                fx.events.append(CallAbandoned(at=now, call_id=call_id, queue=call.queue,
                                               wait_seconds=now - call.enter_time))
            else:
                fx.events.append(CallEnded(at=now, call_id=call_id, queue=call.queue,
                                           agent_id=agent.config.id, talk_seconds=0.0,
                                           outcome="callback_failed"))
            agent.status.call_id = None
            self._after_call(agent, wrap_up=0.0, fx=fx)
            return fx
        self._end_talk(call, agent, "answered", fx)
        return fx

    def transfer_out(self, call_id: str) -> Effects:
        """A talking call leaves its agent by a blind transfer: the agent's part ends (``CallEnded`` with
        outcome ``transferred``, wrap-up follows); whoever transfers queues the caller again."""
        call = self._call(call_id, CallStatus.CONNECTED)
        fx = Effects()
        del self._calls[call_id]
        self._end_talk(call, self._agents[call.agent_id or ""], "transferred", fx)
        return fx

    def end_consult(self, call_id: str) -> Effects:
        """A consultation ends without the caller being handed over (called off, not answered, or the
        colleague hung up): still waiting or ringing it is dropped (``CallAbandoned``); talked, it ends as
        ``consulted`` and the colleague is free at once, with nothing to wrap up. A consultation that was
        handed over is the caller's call now: :meth:`hangup` ends it. Unknown ids are ignored."""
        call = self._calls.get(call_id)
        fx = Effects()
        if call is None:
            return fx
        if call.consult_of is None:
            raise WrongCallState(f"call {call_id} is not a consultation")
        if call.status is not CallStatus.CONNECTED:
            return self.hangup(call_id)
        agent = self._agents[call.agent_id or ""]
        del self._calls[call_id]
        now = self.clock()
        fx.events.append(CallEnded(at=now, call_id=call_id, queue=call.queue, agent_id=agent.config.id,
                                   talk_seconds=now - (call.connected_at or now), outcome="consulted"))
        agent.status.call_id = None
        self._after_call(agent, wrap_up=0.0, fx=fx)
        return fx

    def hold(self, call_id: str) -> Effects:
        """The agent put the talking caller on hold (it stays the agent's call, time on hold counts)."""
        call = self._call(call_id, CallStatus.CONNECTED)
        if call.held_since is not None:
            raise WrongCallState(f"call {call_id} is on hold already")
        call.held_since = self.clock()
        return Effects(events=[CallHeld(at=call.held_since, call_id=call_id, queue=call.queue,
                                        agent_id=call.agent_id or "")])

    def resume(self, call_id: str) -> Effects:
        """The caller on hold is back with the agent."""
        call = self._call(call_id, CallStatus.CONNECTED)
        if call.held_since is None:
            raise WrongCallState(f"call {call_id} is not on hold")
        now = self.clock()
        held = now - call.held_since
        call.held_seconds += held
        call.held_since = None
        return Effects(events=[CallResumed(at=now, call_id=call_id, queue=call.queue, agent_id=call.agent_id or "",
                                           held_seconds=held)])

    def _end_talk(self, call: Call, agent: RoutedAgent, outcome: str, fx: Effects) -> None:
        now = self.clock()
        talk = now - (call.connected_at or now)
        held = call.held_seconds + (0.0 if call.held_since is None else now - call.held_since)
        queue = self._queues[call.queue]
        self._handle[call.queue].observe(talk + queue.wrap_up_seconds)
        fx.events.append(CallEnded(at=now, call_id=call.call_id, queue=call.queue, agent_id=agent.config.id,
                                   talk_seconds=talk, outcome=outcome, held_seconds=held))
        agent.status.call_id = None
        self._after_call(agent, wrap_up=queue.wrap_up_seconds, limit=queue.wrap_up_limit_seconds, fx=fx)

    def request_callback(self, call_id: str, number: str) -> Effects:
        """A waiting caller asks to be called back at ``number``; the entry keeps its place in the queue."""
        call = self._call(call_id, CallStatus.WAITING)
        if not number:
            raise ValueError("a call-back needs a number")
        call.callback_number = number
        return Effects(events=[CallbackRequested(at=self.clock(), call_id=call_id, queue=call.queue,
                                                 number=number, enter_time=call.enter_time)])

    def reserve(self, reservation_id: str, queue: str, agent_id: str | None = None) -> tuple[str | None, Effects]:
        """Hold ``agent_id`` (else the member of ``queue`` ready longest) for the outbound call ``reservation_id``
        being dialled: no other call is offered to it until a pinned :meth:`enqueue` under the same id brings
        the answered customer, or :meth:`release`. None when nobody is ready."""
        self._check_queues([queue])
        if reservation_id in self._calls:
            raise DuplicateCall(reservation_id)
        members = self._router.members(queue) if agent_id is None else [self._agent(agent_id)]
        ready = [a for a in members if a.status.state is AgentState.READY]
        fx = Effects()
        if ready:
            agent = min(ready, key=lambda a: (a.status.since, a.config.id))
            self._move(agent, AgentState.RESERVED, fx, call_id=reservation_id)
        return (agent.config.id if ready else None), fx

    def release(self, agent_id: str, reservation_id: str) -> Effects:
        """The held agent's outbound call reached nobody: free again (or the pause chosen meanwhile)."""
        agent, fx = self._agent(agent_id), Effects()
        if self._holds(agent, reservation_id):
            agent.status.call_id = None
            self._end_wrap_up(agent, fx)
        return fx

    def _holds(self, agent: RoutedAgent, reservation_id: str) -> bool:
        s = agent.status
        return s.state is AgentState.RESERVED and s.call_id == reservation_id and reservation_id not in self._calls

    # ------------------------------------------------------------------- time

    def tick(self) -> Effects:
        """Apply what the clock has made due: escalation steps and ends of wrap-up."""
        now = self.clock()
        fx = Effects()
        for until, agent_id in self._deadlines.due_wrap_ups(now):
            if self._wrap_up_live(until, agent_id):
                self._end_wrap_up(self._agents[agent_id], fx)
        for step, call in self._deadlines.due_escalations(now):
            # An offered or talking call's step waits until (if ever) the call returns to the queue.
            if self._escalation_live(step, call):
                self._router.unplace(call)
                self._place(call, now, fx)
        return fx

    def next_deadline(self) -> float | None:
        """When :meth:`tick` next has something to do (None: nothing scheduled)."""
        return self._deadlines.next(self._escalation_live, self._wrap_up_live)

    def _escalation_live(self, step: int, call: Call) -> bool:
        return self._calls.get(call.call_id) is call and call.escalations == step \
            and call.status is CallStatus.WAITING

    def _wrap_up_live(self, until: float, agent_id: str) -> bool:
        status = self._agents[agent_id].status
        return status.state is AgentState.WRAP_UP and status.wrap_up_until == until

    # ---------------------------------------------------------------- queries

    def waiting(self, queue: str) -> int:
        """How many calls wait in ``queue`` (call-backs included, overflowed-in calls not)."""
        if queue not in self._router.queued:
            raise UnknownQueue(queue)
        return len(self._router.queued[queue])

    def waiting_calls(self, queue: str) -> list[Call]:
        """The waiting calls of ``queue`` in the order they would be served (by the aging score now)."""
        if queue not in self._router.queued:
            raise UnknownQueue(queue)
        return self._router.in_order(queue)

    def position(self, call_id: str) -> int:
        """1-based place of a waiting call in its home queue by the routing score (1 = next)."""
        return self._router.position(self._call(call_id, CallStatus.WAITING))

    def estimated_wait(self, call_id: str) -> float | None:
        """Seconds until this waiting call reaches an agent, from the live handle time and staffing."""
        call = self._call(call_id, CallStatus.WAITING)
        return self._handle[call.queue].wait_for_position(self.position(call_id), self._staffed(call.queue))

    def estimated_wait_new(self, queue: str) -> float | None:
        """Expected wait of a caller joining ``queue`` now at the back."""
        if queue not in self._queues:
            raise UnknownQueue(queue)
        return self._handle[queue].wait_for_position(len(self._router.queued[queue]) + 1, self._staffed(queue))

    def call(self, call_id: str) -> Call:
        found = self._calls.get(call_id)
        if found is None:
            raise UnknownCall(call_id)
        return found

    # --------------------------------------------------------------- snapshot

    def snapshot(self) -> dict[str, Any]:
        """All state a restarted service needs, as a JSON-able dict (see :class:`~acd.snapshot.Snapshot`)."""
        return Snapshot(
            seq=self._seq,
            calls=tuple(sorted(self._calls.values(), key=lambda c: c.seq)),
            agents=tuple(a.status for a in self._agents.values()),
            handle_seconds={q: h.mean_seconds for q, h in self._handle.items()},
        ).to_record()

    def restore(self, snapshot: Mapping[str, Any]) -> Effects:
        """Load a :meth:`snapshot` into this fresh core and route what can be routed.

        Waiting calls keep their order. An offer in flight died with the old process: its call waits
        again at its place and the agent is ready. Talking calls and wrap-ups carry on.
        """
        saved = Snapshot.from_record(snapshot)
        if self._calls:
            raise AcdError("restore needs a core without calls")
        self._check_queues(call.queue for call in saved.calls)
        now = self.clock()
        fx = Effects()
        self._seq = saved.seq
        for queue, seconds in saved.handle_seconds.items():
            if queue in self._handle:
                self._handle[queue].mean_seconds = seconds
        for call in saved.calls:
            self._calls[call.call_id] = call
            if call.status is CallStatus.WAITING:
                self._place(call, now, fx)  # no agent is ready yet, so this only queues
        freeing = []
        for status in saved.agents:
            agent = self._agent(status.agent_id)
            if agent.status.resume(status, self._calls):
                freeing.append(agent)
            elif agent.status.state is AgentState.WRAP_UP and agent.status.wrap_up_until is not None:
                self._deadlines.end_wrap_up_at(agent.status.wrap_up_until, agent.config.id)
        for agent in sorted(freeing, key=lambda a: (a.status.since, a.config.id)):
            agent.status.reason = None
            self._free(agent, fx)
        return fx

    # -------------------------------------------------------------- internals

    def _agent(self, agent_id: str) -> RoutedAgent:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        return agent

    def _call(self, call_id: str, status: CallStatus) -> Call:
        call = self.call(call_id)
        if call.status is not status:
            raise WrongCallState(f"call {call_id} is {call.status}, not {status}")
        return call

    def _check_queues(self, queues: Iterable[str]) -> None:
        for queue in queues:
            if queue not in self._queues:
                raise UnknownQueue(queue)

    def _check_reason(self, reason: str | None, *, allow_none: bool = False) -> None:
        if reason is None and allow_none:
            return
        if reason not in self.config.pause_reasons and reason not in SYSTEM_PAUSE_REASONS:  # the ACD's own always
            raise UnknownPauseReason(f"{reason!r} is not a pause reason ({sorted(self.config.pause_reasons)})")

    def _staffed(self, queue: str) -> int:
        busy_or_free = (AgentState.READY, AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP)
        return sum(1 for a in self._router.members(queue) if a.status.state in busy_or_free)

    def _move(self, agent: RoutedAgent, to: AgentState, fx: Effects, reason: str | None = None,
              call_id: str | None = None) -> None:
        s = agent.status
        now = self.clock()
        previous = s.move(to, now, reason)
        if call_id is not None:
            s.call_id = call_id
        if agent.indexed:
            self._router.unindex(agent)
        fx.events.append(AgentStateChanged(at=now, agent_id=s.agent_id, state=to.value, previous=previous.value,
                                           reason=s.reason, call_id=s.call_id, until=s.wrap_up_until))

    def _escalate(self, call: Call, now: float) -> None:
        """Apply the call's escalation steps due by ``now`` and schedule its next one."""
        due = self._router.escalate(call, now)
        if due is not None:
            self._deadlines.escalate_at(due, call)

    def _place(self, call: Call, now: float, fx: Effects) -> None:
        """Give a call that needs an agent to the best ready eligible agent, or make it wait."""
        self._escalate(call, now)
        agent = self._router.place(call)
        if agent is not None:
            self._offer(call, agent, now, fx)

    def _forget(self, call: Call) -> None:
        self._router.unplace(call)
        del self._calls[call.call_id]

    def _free(self, agent: RoutedAgent, fx: Effects) -> None:
        """The agent is free: offer it the best call it is eligible for, or index it as ready."""
        if agent.status.state is not AgentState.READY:
            self._move(agent, AgentState.READY, fx)
        call = self._router.take_call(agent)
        if call is not None:
            self._offer(call, agent, self.clock(), fx)

    def _offer(self, call: Call, agent: RoutedAgent, now: float, fx: Effects) -> None:
        call.status = CallStatus.OFFERED
        call.agent_id = agent.config.id
        self._move(agent, AgentState.RESERVED, fx, call_id=call.call_id)
        interface = agent.config.phone
        if call.callback_number is not None:
            fx.decisions.append(OriginateCallback(call.call_id, call.queue, agent.config.id, interface,
                                                  call.callback_number))
        else:
            fx.decisions.append(Offer(call.call_id, call.queue, agent.config.id, interface,
                                      now - call.enter_time))
        fx.events.append(call.offered(agent.config.id, now))

    def _return_offer(self, call: Call, agent: RoutedAgent, reason: str, fx: Effects) -> None:
        """The offered agent will not take the call: it waits in its queue again, no longer pinned; a
        consultation pinned to that agent ends instead (the consulting agent goes back to their caller)."""
        now = self.clock()
        agent.status.call_id = None
        fx.events.append(CallOfferFailed(at=now, call_id=call.call_id, queue=call.queue,
                                         agent_id=agent.config.id, reason=reason))
        if call.pinned is not None and call.consult_of is not None:
            del self._calls[call.call_id]
            return
        call.pinned = None
        fx.events.append(call.queued(now))
        self._place(call, now, fx)

    def _after_call(self, agent: RoutedAgent, *, wrap_up: float, limit: float = 0.0, fx: Effects) -> None:
        if wrap_up > 0 and agent.status.state is AgentState.ON_CALL:
            now = self.clock()
            until = now + wrap_up
            agent.status.wrap_up_until, agent.status.wrap_up_limit = until, now + max(limit, wrap_up)
            self._move(agent, AgentState.WRAP_UP, fx)
            self._deadlines.end_wrap_up_at(until, agent.config.id)
        else:
            self._end_wrap_up(agent, fx)

    def _end_wrap_up(self, agent: RoutedAgent, fx: Effects) -> None:
        pending = agent.status.pending_pause
        agent.status.pending_pause = None
        if pending is not None:
            self._move(agent, AgentState.NOT_READY, fx, pending)
        else:
            self._free(agent, fx)

