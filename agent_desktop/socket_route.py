"""The WebSocket endpoint: each browser tab's live connection to the hub."""

from __future__ import annotations

from aiohttp import WSMsgType, web

from agent_desktop.catalogue import MAX_SOCKETS_PER_SESSION
from agent_desktop.handling import HUB, Handler, account_of, json_error, session_of
from agent_desktop.hub import Connection
from agent_desktop.ui_text import UiText


async def websocket(request: web.Request) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    # Browsers always send Origin; a foreign one is a cross-site WebSocket hijack attempt.
    if origin is not None and origin not in (f"http://{request.host}", f"https://{request.host}"):
        return json_error(request, 403, UiText("cross-origin WebSocket refused"))
    account = account_of(request)
    session = session_of(request)
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=64 * 1024)
    if not ws.can_prepare(request).ok:
        return json_error(request, 400, UiText("expected a WebSocket handshake"))
    hub = request.app[HUB]
    # The extra page is refused before the upgrade rather than an open page closed: a refused handshake
    # never opens, so that page backs off to its longest retry delay, while closing the oldest page would
    # make it reconnect and close the next one, round and round, and could cut an agent's working desktop.
    if not hub.claim_slot(session.id):
        return json_error(request, 429, UiText("too many open pages for this session (at most %(most)s); close one",
                                               most=MAX_SOCKETS_PER_SESSION))
    conn = Connection(ws, account.id, account.role, account.agent_id, session_id=session.id)
    try:
        await ws.prepare(request)
        hub.attach(conn)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                hub.handle(conn, msg.data)
            elif msg.type in (WSMsgType.BINARY,):
                await ws.close(code=1003, message=b"text frames only")
    finally:
        hub.release_slot(session.id)
        await hub.detach(conn)
    return ws


HANDLERS: dict[str, Handler] = {"ws": websocket}
