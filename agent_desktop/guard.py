"""The one middleware every request passes: it authenticates, authorises by ``catalogue.HTTP_ROUTES`` (a
route missing from the table is refused), checks the CSRF token on every state-changing request, turns
the handlers' errors into answers and adds security headers. Handlers only ever see requests that passed it.
"""

from __future__ import annotations

import logging

from aiohttp import web

from agent_desktop.catalogue import HttpRoute, route_for
from agent_desktop.handling import (
    ACCOUNT,
    ACCOUNTS,
    FORM_TYPES,
    SESSION,
    SESSIONS,
    BadRequest,
    CallStateConflict,
    Handler,
    NotFound,
    form_fields,
    json_error,
    render,
)
from agent_desktop.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE
from agent_desktop.services import AgentControlRefused
from agent_desktop.supervision import SupervisorActionFailed
from agent_desktop.text_input import InvalidText

log = logging.getLogger(__name__)


def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    host = request.host
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' ws://{host} wss://{host}; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'; object-src 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cache-Control", "no-store")


def _refuse(request: web.Request, route: HttpRoute, status: int, message: str) -> web.StreamResponse:
    if route.kind == "page" and status == 401:
        raise web.HTTPFound("/login")
    if route.kind == "page":
        return render(request, "error.html", {"status": status, "message": message}, status=status)
    return json_error(status, message)


async def _csrf_token_of(request: web.Request) -> str | None:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    if request.content_type in FORM_TYPES:
        return (await form_fields(request)).get(CSRF_FIELD)
    return None


async def _answer(request: web.Request, route: HttpRoute, handler: Handler) -> web.StreamResponse:
    """The handler's answer, with its errors turned into answers (a page's as a page)."""
    try:
        if route.changes_state:
            session = request[SESSION]
            if session is None or not session.csrf_matches(await _csrf_token_of(request)):
                return _refuse(request, route, 403, "missing or wrong CSRF token; reload the page")
        return await handler(request)
    except (BadRequest, InvalidText) as exc:
        return _refuse(request, route, 400, str(exc))
    except NotFound as exc:
        return _refuse(request, route, 404, str(exc))
    except (CallStateConflict, AgentControlRefused) as exc:
        return _refuse(request, route, 409, str(exc))
    except SupervisorActionFailed as exc:
        return _refuse(request, route, 502, str(exc))
    except web.HTTPException:
        raise
    except Exception:  # the safety net: a bug answers a plain 500, logged with its request
        log.exception("%s %s failed", request.method, request.path)
        return _refuse(request, route, 500, "internal error; it has been logged")


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate, authorise by the route table, check CSRF, add security headers."""
    match = request.match_info
    if match.http_exception is not None:
        raise match.http_exception
    route = route_for(request.method, match.route.resource.canonical if match.route.resource else "")
    session = request.app[SESSIONS].get(request.cookies.get(SESSION_COOKIE))
    account = request.app[ACCOUNTS].get(session.account_id) if session and session.account_id else None
    request[SESSION] = session
    request[ACCOUNT] = account
    if route is None:  # fail closed: a handler without a table entry is unreachable
        response: web.StreamResponse = json_error(403, "route not in the access table")
    elif not route.public and account is None:
        response = _refuse(request, route, 401, "log in first")
    elif not route.allows(account.role if account else None):
        response = _refuse(request, route, 403, "your role may not use this")
    else:
        response = await _answer(request, route, handler)
    if not response.prepared:
        _security_headers(request, response)
    return response
