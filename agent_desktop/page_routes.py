"""The pages (home, desktop, wall, API docs), the OpenAPI document, static files and the health check."""

from __future__ import annotations

import re
from importlib import resources

from aiohttp import web

from agent_desktop.catalogue import (
    ADMIN,
    AGENT,
    CAMPAIGN_MANAGER,
    CUSTOMER_VISIBILITY,
    HTTP_ROUTES,
    STATIC_FILE_NAME,
    SUPERVISOR,
    VENDOR_PACKAGE,
    WS_EVENTS,
    WS_MESSAGES,
)
from agent_desktop.handling import CONFIG, Handler, NotFound, account_of, agent_id_of, pause_reasons_of, render
from agent_desktop.openapi import build_openapi
from agent_desktop.ui_text import UiText
from agent_desktop.wall import AGENT_STATES

HOME_BY_ROLE = {AGENT: "/desktop", SUPERVISOR: "/wall", ADMIN: "/wall", CAMPAIGN_MANAGER: "/campaigns"}
_STATIC_NAME = re.compile(STATIC_FILE_NAME)
_VENDOR_PACKAGE = re.compile(VENDOR_PACKAGE)
_STATIC_TYPES = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(HOME_BY_ROLE.get(account_of(request).role, "/api/docs"))


async def desktop(request: web.Request) -> web.StreamResponse:
    return render(request, "desktop.html", {
        "agent_id": agent_id_of(request), "pause_reasons": pause_reasons_of(request),
        "queues": request.app[CONFIG].queues,
    })


async def wall_page(request: web.Request) -> web.StreamResponse:
    return render(request, "wall.html", {"pause_reasons": pause_reasons_of(request),
                                         "agent_states": AGENT_STATES})


async def api_docs(request: web.Request) -> web.StreamResponse:
    return render(
        request, "docs.html", {"routes": HTTP_ROUTES, "ws_messages": WS_MESSAGES, "ws_events": WS_EVENTS,
                               "customer_visibility": CUSTOMER_VISIBILITY},
    )


def _static_file(*parts: str) -> web.StreamResponse:
    """One file under static/: every part checked against its pattern first, so no path leaves the folder."""
    match = _STATIC_NAME.match(parts[-1])
    resource = resources.files("agent_desktop").joinpath("static", *parts)
    if match is None or not resource.is_file():
        raise NotFound(UiText("no such file"))
    return web.Response(
        body=resource.read_bytes(), content_type=_STATIC_TYPES[match.group(1)], charset="utf-8"
    )


async def static(request: web.Request) -> web.StreamResponse:
    return _static_file(request.match_info["filename"])


async def vendor_static(request: web.Request) -> web.StreamResponse:
    package = request.match_info["package"]
    if _VENDOR_PACKAGE.match(package) is None:
        raise NotFound(UiText("no such file"))
    return _static_file("vendor", package, request.match_info["filename"])


async def healthz(request: web.Request) -> web.StreamResponse:
    return web.json_response({"ok": True})



async def openapi(request: web.Request) -> web.StreamResponse:
    return web.json_response(build_openapi(pause_reasons_of(request)))


HANDLERS: dict[str, Handler] = {
    "healthz": healthz, "static": static, "vendor_static": vendor_static, "home": home, "desktop": desktop,
    "wall": wall_page, "api_docs": api_docs, "openapi": openapi,
}
