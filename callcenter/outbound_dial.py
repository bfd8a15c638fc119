"""Calls an agent places by hand (click-to-dial, a preview lead), carried out on the PBX over AMI.

The agent's own phone rings first (an AMI ``Originate`` of the agent's dial string); once the agent answers,
Asterisk dials the number through the site's outbound route, the dial string of call-backs
(``[acd] callback_dial``, ``Local/{number}@callcenter-outbound`` by default). The channel variables the desk
gives (the campaign and lead of a preview call, the customer of a click-to-dial) ride on the call.

This is the one :class:`agent_desktop.outbound_desk.CallPlacer` of a node. A ready agent is paused
(:data:`acd.agents.MANUAL_CALL_PAUSE`) before their phone rings, so no queue offers them a call while they
dial by hand; they make themselves ready again afterwards, as after any pause (the call is not one the ACD
routes, so it cannot tell when it ends). When the call cannot be placed, the agent is ready again at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from acd.agents import MANUAL_CALL_PAUSE, AgentState
from acd.control import AgentControlRefused
from acd.service import AcdService
from agent_desktop.services import DialFailed
from callcenter.supervisor_actions import Originator
from cti.ami.client import AmiError

AGENT_RING_TIMEOUT_MS = 30_000


class AmiCallPlacer:
    """:class:`CallPlacer` over the AMI link: the agent's phone, then the number."""

    def __init__(self, ami: Originator, acd_service: AcdService) -> None:
        self._ami = ami
        self._service = acd_service

    async def place_call(self, agent_id: str, e164: str, *, caller_id: str | None,
                         variables: Mapping[str, str]) -> str:
        phone = next((a.phone for a in self._service.acd.config.agents if a.id == agent_id), None)
        if not phone:
            raise DialFailed(f"agent {agent_id} has no phone configured")
        paused = await self._pause_if_ready(agent_id)
        try:
            return await self._ami.originate(
                phone, application="Dial", data=self._service.settings.callback_dial.format(number=e164),
                caller_id=caller_id or e164, timeout_ms=AGENT_RING_TIMEOUT_MS, variables=dict(variables))
        except (AmiError, ValueError) as exc:  # ValueError: a value the AMI layer refuses to send
            if paused:
                await self._service.set_ready(agent_id)
            raise DialFailed(f"the PBX did not place the call: {exc}") from exc

    async def _pause_if_ready(self, agent_id: str) -> bool:
        """Pause a ready agent for the call; whether they were (one on a call or paused already is left as is)."""
        try:
            if self._service.acd.agent(agent_id).state is not AgentState.READY:
                return False
            await self._service.set_not_ready(agent_id, MANUAL_CALL_PAUSE)
        except AgentControlRefused:  # the agent moved meanwhile (offered a call, say): left as the ACD has them
            return False
        return True
