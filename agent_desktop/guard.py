"""The one middleware every request passes: it authenticates, chooses the answer's language, authorises by
``catalogue.HTTP_ROUTES`` (a route missing from the table is refused), checks the CSRF token on every
state-changing request, turns the handlers' errors into answers in that language and adds security
headers. Handlers only ever see requests that passed it.
"""

from __future__ import annotations

import logging

from aiohttp import hdrs, web

from agent_desktop.accounts import Account
from agent_desktop.catalogue import route_for
from agent_desktop.handling import (
    ACCOUNT,
    ACCOUNTS,
    FORM_TYPES,
    LANGUAGE,
    LANGUAGE_CHOICES,
    SESSION,
    SESSIONS,
    Handler,
    RequestRefused,
    form_fields,
    json_error,
    render,
)
from agent_desktop.languages import LANGUAGE_COOKIE, Language, choose_language
from agent_desktop.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE
from agent_desktop.services import AgentControlRefused
from agent_desktop.supervision import SupervisorActionFailed
from agent_desktop.text_input import InvalidText
from agent_desktop.ui_text import UiText

log = logging.getLogger(__name__)

NO_SUCH_PAGE = UiText("There is no such page.")


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


def _refuse(request: web.Request, page: bool, status: int, text: UiText) -> web.StreamResponse:
    if page and status == 401:
        raise web.HTTPFound("/login")
    if page:
        return render(request, "error.html", {"status": status, "message": text}, status=status)
    return json_error(request, status, text)


def _language(request: web.Request, account: Account | None) -> Language:
    return choose_language(
        account_choice=request.app[LANGUAGE_CHOICES].get(account.id) if account else None,
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get(hdrs.ACCEPT_LANGUAGE),
    )


async def _csrf_token_of(request: web.Request) -> str | None:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    if request.content_type in FORM_TYPES:
        return (await form_fields(request)).get(CSRF_FIELD)
    return None


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate, choose the language, authorise by the route table, check CSRF, add security headers."""
    session = request.app[SESSIONS].get(request.cookies.get(SESSION_COOKIE))
    account = request.app[ACCOUNTS].get(session.account_id) if session and session.account_id else None
    request[SESSION] = session
    request[ACCOUNT] = account
    request[LANGUAGE] = _language(request, account)
    response = await _answer(request, handler)
    if not response.prepared:
        _security_headers(request, response)
    return response


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    match = request.match_info
    if match.http_exception is not None:
        if match.http_exception.status != 404:
            raise match.http_exception
        return _refuse(request, not request.path.startswith("/api/"), 404, NO_SUCH_PAGE)
    route = route_for(request.method, match.route.resource.canonical if match.route.resource else "")
    session, account = request[SESSION], request[ACCOUNT]
    if route is None:  # fail closed: a handler without a table entry is unreachable
        return json_error(request, 403, UiText("route not in the access table"))
    page = route.kind == "page"
    if not route.public and account is None:
        return _refuse(request, page, 401, UiText("log in first"))
    if not route.allows(account.role if account else None):
        return _refuse(request, page, 403, UiText("your role may not use this"))
    if route.changes_state:
        try:
            token = await _csrf_token_of(request)
        except RequestRefused as exc:  # a form that cannot be read (no multipart boundary...)
            return _refuse(request, page, exc.status, exc.text)
        if session is None or not session.csrf_matches(token):
            return _refuse(request, page, 403, UiText("missing or wrong CSRF token; reload the page"))
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return _refuse(request, page, 404, NO_SUCH_PAGE)
    except RequestRefused as exc:
        return _refuse(request, page, exc.status, exc.text)
    except InvalidText as exc:
        return _refuse(request, page, 400, exc.text)
    except AgentControlRefused as exc:  # the ACD's reasons come in English
        return _refuse(request, page, 409, UiText.as_is(str(exc)))
    except SupervisorActionFailed as exc:
        return _refuse(request, page, 502, UiText.as_is(str(exc)))
    except web.HTTPException:
        raise
    except Exception:  # the safety net: a bug answers a plain 500, logged with its request
        log.exception("%s %s failed", request.method, request.path)
        return _refuse(request, page, 500, UiText("internal error; it has been logged"))
