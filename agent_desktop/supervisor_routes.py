"""The floor managers' routes: the wall's snapshot, screen-pop statistics, forcing an agent's state, and
listening in on a call.
"""

from __future__ import annotations

from aiohttp import web

from agent_desktop.handling import (
    HUB,
    SUPERVISION,
    BadRequest,
    Handler,
    accepted,
    account_of,
    json_body,
    json_error,
    path_segment,
    pause_reason,
)
from agent_desktop.supervision import SpyMode
from agent_desktop.text_input import AGENT_ID, SPY_MODE
from agent_desktop.ui_text import UiText


def _path_agent_id(request: web.Request) -> str:
    return path_segment(request, AGENT_ID, UiText("no such agent"))


async def wall_snapshot(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[HUB].wall.snapshot().to_dict())


async def pop_stats(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    return web.json_response({
        "connections": hub.connections,
        "offer_to_send": hub.pop_send_latency.summary(),
        "offer_to_ack": hub.pop_ack_latency.summary(),
    })


async def force_not_ready(request: web.Request) -> web.StreamResponse:
    reason = pause_reason(request, await json_body(request))
    await request.app[SUPERVISION].force_not_ready(_path_agent_id(request), reason)
    return accepted()


async def force_ready(request: web.Request) -> web.StreamResponse:
    await request.app[SUPERVISION].force_ready(_path_agent_id(request))
    return accepted()


async def force_logout(request: web.Request) -> web.StreamResponse:
    await request.app[SUPERVISION].force_logout(_path_agent_id(request))
    return accepted()


async def spy_on_call(request: web.Request) -> web.StreamResponse:
    mode = SPY_MODE.read(await json_body(request), "")
    if mode not in tuple(SpyMode):
        raise BadRequest(UiText("mode must be one of: %(modes)s", modes=", ".join(SpyMode)))
    phone = account_of(request).phone
    if phone is None:
        return json_error(request, 409, UiText(
            "your account has no phone to listen on; set phone in its [[users]] entry"))
    await request.app[SUPERVISION].spy(_path_agent_id(request), phone, SpyMode(mode))
    return accepted()


HANDLERS: dict[str, Handler] = {
    "wall_snapshot": wall_snapshot, "pop_stats": pop_stats, "force_not_ready": force_not_ready,
    "force_ready": force_ready,
    "force_logout": force_logout, "spy_on_call": spy_on_call,
}
