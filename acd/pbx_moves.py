"""The ACD service's moves on the PBX: the dialplan contexts it sends channels to, and redirects, hang-ups
and interruptions run in the background, so that a decision never waits on the PBX.

A move that fails is logged and dropped: mostly the channel is gone (its hang-up reaches the service as
an event of its own) or the PBX link is down.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Coroutine

from acd.readopt import AGENT_LINE_VARIABLE
from bus.tasks import TaskSet
from cti.agi import AgiError, AgiSession
from cti.ami.client import AmiClient, AmiError

CONNECT_CONTEXT = "callcenter-connect"
CALLBACK_CONTEXT = "callcenter-callback"
RESUME_CONTEXT = "callcenter-resume"
TRANSFER_CONTEXT = "callcenter-transfer"
TALK_CONTEXT = "callcenter-talk"
HELD_CONTEXT = "callcenter-held"
CONSULT_CONTEXT = "callcenter-consult"
AUTO_ANSWER_CONTEXT = "callcenter-auto-answer"  # a pre-dial handler: asks the agent's phone to answer by itself
CONSULT_OFFERED = "consult-offered"  # interruption of a consultation's wait: an agent was offered it
AGENT_VARIABLE = "CC_AGENT"


class PbxMoves:
    """Moves of channels over AMI, each run as a background task of the service's (logged to ``log``)."""

    def __init__(self, ami: AmiClient, log: logging.Logger) -> None:
        self.ami = ami
        self._log = log
        self._tasks = TaskSet("ACD", log)
        self.stopped = False

    def spawn(self, coro: Coroutine[object, object, None]) -> None:
        """Run ``coro`` in the background, unless the service stopped deciding."""
        if self.stopped:
            coro.close()
            return
        self._tasks.spawn(coro)

    def stop(self) -> None:
        """The service stops deciding: later moves are dropped."""
        self.stopped = True

    async def cancel_all(self) -> None:
        await self._tasks.cancel_all()

    async def redirect(self, channel: str, context: str, exten: str) -> None:
        try:
            await self.ami.redirect(channel, context, exten, 1)
        except AmiError as exc:
            self._log.warning("could not redirect %s to %s/%s: %s", channel, context, exten, exc)

    async def hang_up(self, channel: str, *, maybe_gone: bool = False) -> None:
        try:
            await self.ami.hangup(channel)
        except AmiError as exc:
            self._log.log(logging.INFO if maybe_gone else logging.WARNING, "could not hang up %s: %s", channel, exc)

    async def interrupt(self, session: AgiSession, agent_id: str) -> None:
        """Break the session's running command so its channel can ring ``agent_id``."""
        try:
            await session.interrupt(agent_id)
        except (AgiError, AmiError) as exc:
            self._log.warning("could not redirect %s to agent %s: %s", session.channel, agent_id, exc)

    async def note_agent_line(self, caller: str, line: str) -> None:
        """Write the agent's line on the caller's channel, for a service that re-adopts the talk."""
        try:
            await self.ami.setvar(AGENT_LINE_VARIABLE, line, channel=caller)
        except AmiError as exc:
            self._log.warning("could not note the agent's line on %s: %s", caller, exc)


async def turn_away(session: AgiSession, log: logging.Logger, why: str, *args: object) -> None:
    """A session the service has nothing for: say why (``why % args``) in the log and hang its channel up."""
    log.warning(f"{why}; hanging up", *args)
    with contextlib.suppress(AgiError):
        await session.hangup()
