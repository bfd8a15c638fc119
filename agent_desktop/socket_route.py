"""The WebSocket endpoint: each browser tab's live connection to the hub."""

from __future__ import annotations

from aiohttp import WSMsgType, web

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
    await ws.prepare(request)
    hub = request.app[HUB]
    conn = Connection(ws, account.id, account.role, account.agent_id, session_id=session.id)
    hub.attach(conn)
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                hub.handle(conn, msg.data)
            elif msg.type in (WSMsgType.BINARY,):
                await ws.close(code=1003, message=b"text frames only")
    finally:
        await hub.detach(conn)
    return ws


HANDLERS: dict[str, Handler] = {"ws": websocket}
