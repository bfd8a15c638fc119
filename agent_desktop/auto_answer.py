"""Auto-answer, per agent: the agent's choice, kept in the CRM database (each change in the admin audit trail
with the agent's account as actor) and handed to the ACD, which then dials the agent's phone asking it to
answer by itself after the delay. The phone picking up is the one answer path there is: the ACD sees it as it
sees a hand on the handset, so an auto-answered call is connected, timed and wrapped up like any other."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bus.clock import Clock
from crm_core.audit import record_setting_change
from crm_core.db import session_scope
from crm_core.models import AgentPreference

DELAYS = (0, 2, 5, 10)  # seconds the phone rings first; what the desktop offers
ENTITY = "auto_answer"


class AutoAnswerChoices:
    """The agents' auto-answer delays in the CRM database ``sessions``."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock = time.time) -> None:
        self._sessions = sessions
        self._clock = clock

    async def of(self, agent_id: str) -> int | None:
        """The agent's delay, None when it answers itself."""
        def run() -> int | None:
            with self._sessions() as session:
                found = session.get(AgentPreference, agent_id)
                return None if found is None else found.auto_answer_seconds
        return await asyncio.to_thread(run)

    async def everyone(self) -> dict[str, int]:
        """Every agent with auto-answer on, and its delay."""
        def run() -> dict[str, int]:
            with self._sessions() as session:
                rows = session.execute(select(AgentPreference.agent_id, AgentPreference.auto_answer_seconds)
                                       .where(AgentPreference.auto_answer_seconds.is_not(None)))
                return {agent_id: seconds for agent_id, seconds in rows if seconds is not None}
        return await asyncio.to_thread(run)

    async def choose(self, agent_id: str, seconds: int | None, actor: str) -> None:
        """Store the agent's choice; a change is audited."""
        def run() -> None:
            with session_scope(self._sessions) as session:
                found = session.get(AgentPreference, agent_id)
                old = None if found is None else found.auto_answer_seconds
                if found is not None and old == seconds:
                    return
                now = self._clock()
                if found is None:
                    session.add(AgentPreference(agent_id=agent_id, auto_answer_seconds=seconds, updated_at=now))
                else:
                    found.auto_answer_seconds, found.updated_at = seconds, now
                record_setting_change(session, at=now, actor=actor, entity_type=ENTITY, entity_key=agent_id,
                                      action="update", changes={"seconds": (old, seconds)})
        await asyncio.to_thread(run)
