"""Supervisor actions on the floor, as the wall asks for them: listen to, whisper to or barge into an
agent's call, and force an agent to not ready or out of the queues.

The wall is given an object satisfying :class:`SupervisorActions`; the node wires it to the ACD and the
PBX link (``callcenter.supervisor_actions``).
"""

from __future__ import annotations

import enum
from typing import Protocol

from agent_desktop.services import AgentControlRefused


class SpyMode(enum.StrEnum):
    """How the supervisor joins the call."""

    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


class SupervisorActionRefused(AgentControlRefused):
    """The action does not fit the agent's situation (no call to spy on, already logged out...)."""


class SupervisorActionFailed(Exception):
    """The PBX did not carry the action out (AMI link down, Originate refused)."""


class SupervisorActions(Protocol):
    """What the wall asks of the floor; every method raises :class:`SupervisorActionRefused` when the
    request does not fit, :class:`SupervisorActionFailed` when the PBX fails to carry it out."""

    async def spy(self, agent_id: str, supervisor_phone: str, mode: SpyMode) -> None: ...

    async def force_not_ready(self, agent_id: str, reason: str) -> None: ...

    async def force_ready(self, agent_id: str) -> None: ...

    async def force_logout(self, agent_id: str) -> None: ...
