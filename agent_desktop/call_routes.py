"""What an agent (or a floor manager) does to a call: wrap-up, transfer, hold, consultation.

An agent reaches only its own calls, a floor manager any; a request that does not fit the call's state
is refused before it reaches the ACD (``call_controls``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from agent_desktop.agent_feed import ActivePop
from agent_desktop.call_controls import CallAction, refusal
from agent_desktop.catalogue import AGENT
from agent_desktop.handling import (
    AGENT_CONTROL,
    CONFIG,
    HUB,
    MANUAL_CALLS,
    BadRequest,
    CallStateConflict,
    Handler,
    NotFound,
    accepted,
    account_of,
    agent_id_of,
    json_body,
    json_error,
    path_segment,
)
from agent_desktop.services import AgentControl, NoManualCall
from agent_desktop.text_input import CALL_ID, DISPOSITION, NOTES, QUEUE, TARGET_AGENT
from agent_desktop.ui_text import CodeWord, UiText

NO_SUCH_CALL = UiText("no such active call of yours")
TalkCommand = Callable[[str, str | None], Awaitable[None]]  # (call id, acting agent or None)


def path_call_id(request: web.Request) -> str:
    return path_segment(request, CALL_ID, NO_SUCH_CALL)


def call_in_reach(request: web.Request) -> ActivePop:
    """The active call in the path if this user may act on it: an agent only its own, floor managers any."""
    call_id = path_call_id(request)
    feeds = request.app[HUB].feeds
    pop = feeds.pop_for(agent_id_of(request), call_id) if account_of(request).role == AGENT else (
        feeds.active_call(call_id))
    if pop is None:
        raise NotFound(NO_SUCH_CALL)  # 404: do not confirm somebody else's call exists
    return pop


def _acting_agent(request: web.Request) -> str | None:
    """Who asks the ACD to act on a call: the agent itself, or None for a supervisor or admin."""
    return agent_id_of(request) if account_of(request).role == AGENT else None


def _call_for(request: web.Request, action: CallAction) -> ActivePop:
    """The call in the path, if in this user's reach and in a state that allows ``action``."""
    pop = call_in_reach(request)
    why_not = refusal(pop, action)
    if why_not is not None:
        raise CallStateConflict(why_not)
    return pop


@dataclasses.dataclass(frozen=True, slots=True)
class CallTarget:
    """Where a transfer or consultation goes: a queue or one agent, never both."""

    queue: str | None = None
    agent: str | None = None


def _call_target(body: dict[str, Any], pop: ActivePop) -> CallTarget:
    if (QUEUE.name in body) == (TARGET_AGENT.name in body):
        raise BadRequest(UiText("give exactly one of queue or agent"))
    if QUEUE.name in body:
        return CallTarget(queue=QUEUE.read(body))
    agent = TARGET_AGENT.read(body)
    if agent == pop.agent_id:
        raise BadRequest(UiText("agent: the call is already with this agent"))
    return CallTarget(agent=agent)


async def call_disposition(request: web.Request) -> web.StreamResponse:
    agent_id = agent_id_of(request)
    call_id = path_call_id(request)
    body = await json_body(request)
    pop = request.app[HUB].feeds.pop_for(agent_id, call_id)
    if pop is None:
        return json_error(request, 404, NO_SUCH_CALL)
    if pop.status not in ("connected", "ended"):
        return json_error(request, 409, UiText("the call is %(status)s; wrap-up comes after the answer",
                                               status=CodeWord("call status", pop.status)))
    if pop.consultation is not None:
        return json_error(request, 409, UiText(
            "a consultation is not wrapped up; once completed it is your caller's call"))
    disposition = DISPOSITION.read(body, "")
    allowed = request.app[HUB].feeds.dispositions_for(pop.queue)
    if disposition not in allowed:
        raise BadRequest(UiText("disposition must be one of: %(dispositions)s", dispositions=", ".join(allowed)))
    notes = NOTES.read(body, "")
    if not pop.manual:
        await request.app[AGENT_CONTROL].dispose(call_id, agent_id, disposition, notes)
        return accepted()
    try:  # a call the agent placed by hand: its placer keeps the wrap-up, not the ACD
        await request.app[MANUAL_CALLS].wrap_up(call_id, agent_id, disposition, notes)
    except NoManualCall:
        return json_error(request, 404, NO_SUCH_CALL)
    return accepted()


async def call_transfer(request: web.Request) -> web.StreamResponse:
    pop = _call_for(request, CallAction.TRANSFER)
    target = _call_target(await json_body(request), pop)
    control, agent_id = request.app[AGENT_CONTROL], _acting_agent(request)
    if target.queue is not None:
        await control.transfer_to_queue(pop.call_id, agent_id, target.queue)
    elif target.agent is not None:
        await control.transfer_to_agent(pop.call_id, agent_id, target.agent)
    return accepted()


def _talk_command(action: CallAction, command: Callable[[AgentControl], TalkCommand]) -> Handler:
    """A route that asks the ACD to do ``action`` to a talking call, with nothing but the call to say."""

    async def handle(request: web.Request) -> web.StreamResponse:
        pop = _call_for(request, action)
        await command(request.app[AGENT_CONTROL])(pop.call_id, _acting_agent(request))
        return accepted()

    return handle


call_hold = _talk_command(CallAction.HOLD, lambda control: control.hold)
call_resume = _talk_command(CallAction.RESUME, lambda control: control.resume)
call_consult_complete = _talk_command(CallAction.COMPLETE_CONSULT, lambda control: control.complete_consult)
call_consult_cancel = _talk_command(CallAction.CANCEL_CONSULT, lambda control: control.cancel_consult)


async def call_consult(request: web.Request) -> web.StreamResponse:
    pop = _call_for(request, CallAction.CONSULT)
    target = _call_target(await json_body(request), pop)
    await request.app[AGENT_CONTROL].consult(
        pop.call_id, _acting_agent(request), target_agent=target.agent, queue=target.queue
    )
    return accepted()


async def transfer_targets(request: web.Request) -> web.StreamResponse:
    own = account_of(request).agent_id
    feeds = request.app[HUB].feeds
    agents = sorted(
        ({"agent_id": a, "name": feeds.name_of(a)} for a in feeds.ready_agents() if a != own),
        key=lambda agent: (agent["name"].casefold(), agent["agent_id"]),
    )
    return web.json_response({"queues": list(request.app[CONFIG].queues), "agents": agents})


HANDLERS: dict[str, Handler] = {
    "call_disposition": call_disposition, "call_transfer": call_transfer, "call_hold": call_hold,
    "call_resume": call_resume, "call_consult": call_consult, "call_consult_complete": call_consult_complete,
    "call_consult_cancel": call_consult_cancel, "transfer_targets": transfer_targets,
}
