"""An agent's own state: what the desktop shows after a reload, ready, not ready with a reason, log out."""

from __future__ import annotations

from aiohttp import web

from agent_desktop.auto_answer import DELAYS, AutoAnswerChoices
from agent_desktop.handling import (
    AGENT_CONTROL,
    HUB,
    BadRequest,
    Handler,
    accepted,
    account_of,
    agent_id_of,
    json_body,
    pause_reason,
)
from agent_desktop.ui_text import UiText

AUTO_ANSWER = web.AppKey("auto_answer", AutoAnswerChoices)


async def agent_state(request: web.Request) -> web.StreamResponse:
    agent_id = agent_id_of(request)
    feeds = request.app[HUB].feeds
    pops = [p.message for p in feeds.active_pops(agent_id) if p.message is not None]
    return web.json_response({"state": feeds.state_of(agent_id), "pops": pops})


async def agent_ready(request: web.Request) -> web.StreamResponse:
    await request.app[AGENT_CONTROL].set_ready(agent_id_of(request))
    return accepted()


async def agent_not_ready(request: web.Request) -> web.StreamResponse:
    reason = pause_reason(request, await json_body(request))
    await request.app[AGENT_CONTROL].set_not_ready(agent_id_of(request), reason)
    return accepted()


async def agent_logout(request: web.Request) -> web.StreamResponse:
    await request.app[AGENT_CONTROL].logout(agent_id_of(request))
    return accepted()


async def agent_extend_wrap_up(request: web.Request) -> web.StreamResponse:
    await request.app[AGENT_CONTROL].extend_wrap_up(agent_id_of(request))
    return accepted()


async def agent_auto_answer(request: web.Request) -> web.StreamResponse:
    return web.json_response({"seconds": await request.app[AUTO_ANSWER].of(agent_id_of(request)),
                              "choices": list(DELAYS)})


async def agent_set_auto_answer(request: web.Request) -> web.StreamResponse:
    agent_id = agent_id_of(request)
    seconds = (await json_body(request)).get("seconds")
    if seconds is not None and (isinstance(seconds, bool) or seconds not in DELAYS):
        raise BadRequest(UiText("seconds: one of %(choices)s, or null to answer yourself",
                                choices=", ".join(map(str, DELAYS))))
    # The ACD first: what it refuses is not stored either (the guard answers its refusal with 409).
    await request.app[AGENT_CONTROL].set_auto_answer(agent_id, seconds)
    await request.app[AUTO_ANSWER].choose(agent_id, seconds, account_of(request).id)
    return web.json_response({"seconds": seconds, "choices": list(DELAYS)})


HANDLERS: dict[str, Handler] = {
    "agent_auto_answer": agent_auto_answer, "agent_set_auto_answer": agent_set_auto_answer,
    "agent_state": agent_state, "agent_ready": agent_ready, "agent_not_ready": agent_not_ready,
    "agent_logout": agent_logout, "agent_extend_wrap_up": agent_extend_wrap_up,
}
