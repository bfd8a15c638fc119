"""Calls agents place by hand (click-to-dial, a preview lead), carried out on the PBX over AMI.

The agent's own phone rings first (an AMI ``Originate`` of the agent's dial string, whose channel gets the
call id as its ``Uniqueid``); once the agent answers, Asterisk dials the number through the site's outbound
route, the dial string of call-backs (``[acd] callback_dial``, ``Local/{number}@callcenter-outbound`` by
default). The channel variables the desk gives (the campaign and lead of a preview call, the customer of a
click-to-dial) ride on the call.

This is the one :class:`agent_desktop.outbound_desk.CallPlacer` of a node. It follows each call it placed
(:class:`outbound.manual_calls.ManualCalls`) and publishes its start, answer and end, which the interaction
history keeps as a ``manual`` leg with the agent, the number, the customer dialled from and what the call came
to. A ready agent is paused (:data:`acd.agents.MANUAL_CALL_PAUSE`) before their phone rings, so no queue offers
them a call while they dial by hand. After a call the number answered, the agent wraps it up as any call: the
pause lasts until they save a disposition (:meth:`AmiCallPlacer.wrap_up`, published as ``ManualCallDisposed``
for the history) or ``wrap_up_seconds`` run out; a wrap-up saved during the talk is kept until it ends. Then
they are ready again (unless they paused themselves meanwhile); after a call nobody answered, at once. When the
call cannot be placed, the agent is ready again at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
from collections.abc import Mapping

from acd.agents import MANUAL_CALL_PAUSE, AgentState
from acd.control import AgentControlRefused
from acd.service import AcdService
from agent_desktop.outbound_desk import CUSTOMER_VARIABLE
from agent_desktop.services import DialFailed, NoManualCall
from bus.events import DomainEvent
from bus.tasks import TaskSet
from callcenter.settings import MANUAL_WRAP_UP_SECONDS
from callcenter.supervisor_actions import Originator
from cti.ami.client import AmiError
from cti.ami.events import ChannelHungUp, DialEnded, OriginateResult
from outbound.dial_events import ManualCallAnswered, ManualCallDisposed, ManualCallEnded
from outbound.manual_calls import ANSWERED, ManualCalls

log = logging.getLogger(__name__)

AGENT_RING_TIMEOUT_MS = 30_000
#: Calls whose wrap-up time ran out kept for a late disposition (the oldest are let go beyond).
LATE_WRAP_UPS = 1000


class AmiCallPlacer:
    """:class:`CallPlacer` over the AMI link: the agent's phone, then the number; each call followed to its end."""

    def __init__(self, ami: Originator, acd_service: AcdService, *,
                 wrap_up_seconds: float = MANUAL_WRAP_UP_SECONDS) -> None:
        self._ami = ami
        self._service = acd_service
        self._calls = ManualCalls()
        self._paused: set[str] = set()  # calls whose agent this placer paused
        self.wrap_up_seconds = wrap_up_seconds
        self._talking: dict[str, str] = {}  # answered calls not over yet: call id -> agent
        self._saved_early: dict[str, tuple[str, str]] = {}  # call id -> (disposition, notes) saved while talking
        self._wrapping: dict[str, tuple[str, asyncio.TimerHandle | None]] = {}  # call id -> (agent, its timer)
        self._tasks = TaskSet("manual calls", log)
        acd_service.bus.add_listener(self._on_event, OriginateResult, DialEnded, ChannelHungUp)

    async def place_call(self, agent_id: str, e164: str, *, caller_id: str | None,
                         variables: Mapping[str, str]) -> str:
        phone = next((a.phone for a in self._service.acd.config.agents if a.id == agent_id), None)
        if not phone:
            raise DialFailed(f"agent {agent_id} has no phone configured")
        call_id = f"manual-{secrets.token_hex(8)}"
        if await self._pause_if_ready(agent_id):
            self._paused.add(call_id)
        self._service.bus.publish(self._calls.placed(call_id, agent_id, e164, at=self._service.clock(),
                                                     customer_id=variables.get(CUSTOMER_VARIABLE)))
        try:
            action_id = await self._ami.originate(
                phone, application="Dial", data=self._service.settings.callback_dial.format(number=e164),
                caller_id=caller_id or e164, timeout_ms=AGENT_RING_TIMEOUT_MS, variables=dict(variables),
                channel_id=call_id)
        except (AmiError, ValueError) as exc:  # ValueError: a value the AMI layer refuses to send
            await self._ready_again(self._close(self._calls.not_placed(call_id, self._service.clock())))
            raise DialFailed(f"the PBX did not place the call: {exc}") from exc
        await self._ready_again(self._close(self._calls.originated(call_id, action_id)))
        return call_id

    async def _pause_if_ready(self, agent_id: str) -> bool:
        """Pause a ready agent for the call; whether they were (one on a call or paused already is left as is)."""
        try:
            if self._service.acd.agent(agent_id).state is not AgentState.READY:
                return False
            await self._service.set_not_ready(agent_id, MANUAL_CALL_PAUSE)
        except AgentControlRefused:  # the agent moved meanwhile (offered a call, say): left as the ACD has them
            return False
        return True

    async def wrap_up(self, call_id: str, agent_id: str, disposition: str, notes: str) -> None:
        """Save the agent's wrap-up of their answered call ``call_id``: at once when it is over (then they are
        ready again), else when it ends. :class:`NoManualCall` when they have no such call to wrap up."""
        if self._talking.get(call_id) == agent_id:
            self._saved_early[call_id] = (disposition, notes)
            return
        wrapping = self._wrapping.get(call_id)
        if wrapping is None or wrapping[0] != agent_id:
            raise NoManualCall(f"agent {agent_id} has no call {call_id} to wrap up")
        self._dispose(call_id, disposition, notes)

    def _dispose(self, call_id: str, disposition: str, notes: str) -> None:
        agent_id, timer = self._wrapping.pop(call_id)
        if timer is not None:
            timer.cancel()
        self._service.bus.publish(ManualCallDisposed(at=self._service.clock(), call_id=call_id, agent_id=agent_id,
                                                     disposition=disposition, notes=notes))
        self._after_wrap_up(call_id, agent_id)

    def _wrap_up_over(self, call_id: str) -> None:
        """The wrap-up time ran out before a disposition: the agent may still save it, but is ready again."""
        wrapping = self._wrapping.get(call_id)
        if wrapping is not None:
            self._wrapping[call_id] = (wrapping[0], None)
            self._after_wrap_up(call_id, wrapping[0])
        late = [c for c, (_, timer) in self._wrapping.items() if timer is None]
        for forgotten in late[:max(0, len(late) - LATE_WRAP_UPS)]:
            del self._wrapping[forgotten]

    def _after_wrap_up(self, call_id: str, agent_id: str) -> None:
        if call_id in self._paused:
            self._paused.discard(call_id)
            self._tasks.spawn(self._ready_again(agent_id), name=f"ready-after-call-{agent_id}")

    def _on_event(self, event: DomainEvent) -> None:
        followed = self._calls.observe(event)
        if isinstance(followed, ManualCallAnswered):
            self._talking[followed.call_id] = followed.agent_id
            self._service.bus.publish(followed)
            return
        agent_id = self._close(followed)
        if agent_id is not None:
            self._tasks.spawn(self._ready_again(agent_id), name=f"ready-after-call-{agent_id}")

    def _close(self, ended: ManualCallEnded | None) -> str | None:
        """Publish a call's end; the agent this placer paused for it, to make ready again now (an answered call
        is wrapped up first: its agent is ready again after that)."""
        if ended is None:
            return None
        if ended.outcome == ANSWERED and ended.call_id in self._paused:  # the page counts down to ready again
            ended = dataclasses.replace(ended, wrap_up_until=self._service.clock() + self.wrap_up_seconds)
        self._service.bus.publish(ended)
        self._talking.pop(ended.call_id, None)
        if ended.outcome == ANSWERED:
            loop = asyncio.get_running_loop()
            timer = loop.call_later(self.wrap_up_seconds, self._wrap_up_over, ended.call_id)
            self._wrapping[ended.call_id] = (ended.agent_id, timer)
            early = self._saved_early.pop(ended.call_id, None)
            if early is not None:
                self._dispose(ended.call_id, *early)
            return None
        if ended.call_id not in self._paused:
            return None
        self._paused.discard(ended.call_id)
        return ended.agent_id

    async def _ready_again(self, agent_id: str | None) -> None:
        """Ready again after the call, unless the agent chose another state meanwhile."""
        if agent_id is None:
            return
        view = self._service.acd.agent(agent_id)
        if view.state is AgentState.NOT_READY and view.reason == MANUAL_CALL_PAUSE:
            try:
                await self._service.set_ready(agent_id)
            except AgentControlRefused:
                log.info("agent %s could not be made ready after their call by hand", agent_id)
