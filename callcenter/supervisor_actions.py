"""The wall's supervisor actions carried out on the ACD service and the PBX link.

Spying is Asterisk's ``ChanSpy`` run on the supervisor's own phone: an AMI ``Originate`` rings that
phone and, once it answers, ChanSpy attaches to the agent's channel (``q`` quiet, ``qw`` whisper so
only the agent hears the supervisor, ``qB`` barge so both parties do). The agent's channel is found
by prefix: ``<agent phone>-`` matches Asterisk's ``PJSIP/1001-0000000a`` and ``Local/1001@x-0001;1``
but not the phone of agent 10010.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from acd.agents import AgentState
from acd.errors import AcdError
from acd.service import AcdService
from agent_desktop.supervision import SpyMode, SupervisorActionFailed, SupervisorActionRefused
from cti.ami.client import AmiError

SPY_RING_TIMEOUT_MS = 30_000
CHANSPY_OPTIONS = {SpyMode.LISTEN: "q", SpyMode.WHISPER: "qw", SpyMode.BARGE: "qB"}


class Originator(Protocol):
    """The part of :class:`cti.ami.client.AmiClient` spying needs."""

    async def originate(
        self,
        channel: str,
        *,
        application: str | None = None,
        data: str | None = None,
        caller_id: str | None = None,
        timeout_ms: int | None = None,
        variables: Mapping[str, str] | None = None,
        channel_id: str | None = None,
    ) -> str: ...


class AcdSupervisor:
    """:class:`SupervisorActions` over the AMI link and the ACD service."""

    def __init__(self, ami: Originator, acd_service: AcdService) -> None:
        self._ami = ami
        self._service = acd_service

    def _state(self, agent_id: str) -> tuple[AgentState, str | None]:
        try:
            view = self._service.acd.agent(agent_id)
        except AcdError as exc:
            raise SupervisorActionRefused(str(exc)) from exc
        return view.state, view.call_id

    async def spy(self, agent_id: str, supervisor_phone: str, mode: SpyMode) -> None:
        state, call_id = self._state(agent_id)
        if state is not AgentState.ON_CALL:
            raise SupervisorActionRefused(f"agent {agent_id} is {state.value}, not on a call")
        # Asked each time: the admin console adds agents and changes their phones while the node runs.
        phone = next((a.phone for a in self._service.acd.agent_configs() if a.id == agent_id), "")
        if not phone:
            raise SupervisorActionRefused(f"agent {agent_id} has no phone configured")
        try:
            await self._ami.originate(
                supervisor_phone,
                application="ChanSpy",
                data=f"{phone}-,{CHANSPY_OPTIONS[mode]}",
                caller_id=f"{mode.value} {agent_id} <{agent_id}>",
                timeout_ms=SPY_RING_TIMEOUT_MS,
                variables={"CC_SPY_AGENT": agent_id, "CC_SPY_CALL": call_id or ""},
            )
        except (AmiError, ValueError) as exc:  # ValueError: a value the AMI layer refuses to send
            raise SupervisorActionFailed(f"the PBX did not start the {mode.value}: {exc}") from exc

    async def force_not_ready(self, agent_id: str, reason: str) -> None:
        state, _ = self._state(agent_id)
        # The agent's own "not ready" logs a logged-out agent in; a supervisor must not do that.
        if state is AgentState.LOGGED_OUT:
            raise SupervisorActionRefused(f"agent {agent_id} is logged out")
        await self._service.set_not_ready(agent_id, reason)

    async def force_ready(self, agent_id: str) -> None:
        state, _ = self._state(agent_id)
        # Only a paused agent: a supervisor neither logs anybody in nor cuts a call or its wrap-up short.
        if state is not AgentState.NOT_READY:
            raise SupervisorActionRefused(f"agent {agent_id} is {state.value}, not paused")
        await self._service.set_ready(agent_id)

    async def force_logout(self, agent_id: str) -> None:
        state, _ = self._state(agent_id)
        if state is AgentState.LOGGED_OUT:
            raise SupervisorActionRefused(f"agent {agent_id} is already logged out")
        await self._service.logout(agent_id)
