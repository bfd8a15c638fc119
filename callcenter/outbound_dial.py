"""Calls agents place by hand (click-to-dial, a preview lead), carried out on the PBX over AMI.

The agent's own phone rings first (an AMI ``Originate`` of the agent's dial string, whose channel gets the
call id as its ``Uniqueid``); once the agent answers, Asterisk dials the number through the site's outbound
route, the dial string of call-backs (``[acd] callback_dial``, ``Local/{number}@callcenter-outbound`` by
default). The channel variables the desk gives (the campaign and lead of a preview call, the customer of a
click-to-dial) ride on the call.

This is the one :class:`agent_desktop.outbound_desk.CallPlacer` of a node. It follows each call it placed
(:class:`outbound.manual_calls.ManualCalls`) and publishes its start and end, which the interaction history
keeps as a ``manual`` leg with the agent, the number, the customer dialled from and what the call came to. A
ready agent is paused (:data:`acd.agents.MANUAL_CALL_PAUSE`) before their phone rings, so no queue offers them
a call while they dial by hand, and made ready again when the call is over (unless they paused themselves
meanwhile). When the call cannot be placed, the agent is ready again at once.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping

from acd.agents import MANUAL_CALL_PAUSE, AgentState
from acd.control import AgentControlRefused
from acd.service import AcdService
from agent_desktop.outbound_desk import CUSTOMER_VARIABLE
from agent_desktop.services import DialFailed
from bus.events import DomainEvent
from bus.tasks import TaskSet
from callcenter.supervisor_actions import Originator
from cti.ami.client import AmiError
from cti.ami.events import ChannelHungUp, DialEnded, OriginateResult
from outbound.dial_events import ManualCallEnded
from outbound.manual_calls import ManualCalls

log = logging.getLogger(__name__)

AGENT_RING_TIMEOUT_MS = 30_000


class AmiCallPlacer:
    """:class:`CallPlacer` over the AMI link: the agent's phone, then the number; each call followed to its end."""

    def __init__(self, ami: Originator, acd_service: AcdService) -> None:
        self._ami = ami
        self._service = acd_service
        self._calls = ManualCalls()
        self._paused: set[str] = set()  # calls whose agent this placer paused
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

    def _on_event(self, event: DomainEvent) -> None:
        agent_id = self._close(self._calls.observe(event))
        if agent_id is not None:
            self._tasks.spawn(self._ready_again(agent_id), name=f"ready-after-call-{agent_id}")

    def _close(self, ended: ManualCallEnded | None) -> str | None:
        """Publish a call's end; the agent this placer paused for it, to make ready again."""
        if ended is None:
            return None
        self._service.bus.publish(ended)
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
