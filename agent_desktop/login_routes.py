"""Logging in and out: the login form and its limits per user and per address, fresh sessions, and who
is logged in (``/api/me``) in which language.
"""

from __future__ import annotations

import asyncio
import math

from aiohttp import web

from agent_desktop.client_address import client_address
from agent_desktop.handling import (
    ACCOUNT,
    ACCOUNTS,
    CONFIG,
    HUB,
    LANGUAGE,
    LIMITER,
    LOGIN_TRAFFIC,
    SESSION,
    SESSIONS,
    Handler,
    account_of,
    catalogue_of,
    cookie_secure,
    form_fields,
    render,
    session_of,
)
from agent_desktop.security import SESSION_COOKIE, Session
from agent_desktop.text_input import PASSWORD, USERNAME, InvalidText
from agent_desktop.ui_text import UiText


def _set_session_cookie(request: web.Request, response: web.StreamResponse, session: Session) -> None:
    response.set_cookie(SESSION_COOKIE, session.id, httponly=True, samesite="Strict", secure=cookie_secure(request),
                        path="/")


def _too_many(request: web.Request, wait: float, why: UiText, username: str) -> web.Response:
    seconds = max(1, math.ceil(wait))
    error = UiText("%(why)s Try again in %(seconds)s s.", why=why,
                   seconds=catalogue_of(request).format_number(seconds))
    response = render(request, "login.html", {"error": error, "username": username}, status=429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _client(request: web.Request) -> str:
    """The address the login limits count this request against (the client's, even behind a proxy)."""
    return client_address(request.remote, request.headers.get("X-Forwarded-For"),
                          request.app[CONFIG].trusted_proxies)


def _login_throttled(request: web.Request) -> web.Response | None:
    """429 when the client's address asks for the login form or posts it too often (every load of the
    form costs an anonymous session, every post a password hash)."""
    wait = request.app[LOGIN_TRAFFIC].admit(_client(request))
    return None if wait is None else _too_many(request, wait, UiText("Too many requests from your address."), "")


async def login_page(request: web.Request) -> web.StreamResponse:
    throttled = _login_throttled(request)
    if throttled is not None:
        return throttled
    if request[ACCOUNT] is not None:
        raise web.HTTPFound("/")
    session: Session | None = request[SESSION]
    if session is None:
        session = request.app[SESSIONS].create()
        request[SESSION] = session
    response = render(request, "login.html", {"error": None, "username": ""})
    _set_session_cookie(request, response, session)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    throttled = _login_throttled(request)
    if throttled is not None:
        return throttled
    form = await form_fields(request)
    try:
        username, password = USERNAME.read(form, ""), PASSWORD.read(form, "")
    except InvalidText as exc:
        return render(request, "login.html", {"error": str(exc), "username": ""}, status=400)
    ip = _client(request)
    limiter = request.app[LIMITER]
    wait = limiter.retry_after(username, ip)
    if wait is not None:
        return _too_many(request, wait, UiText("Too many failed logins."), username)
    # An argon2 check costs tens of milliseconds of CPU by design: in a worker thread, the event loop (calls,
    # other requests) runs on meanwhile.
    account = await asyncio.to_thread(request.app[ACCOUNTS].authenticate, username, password)
    if account is None:
        limiter.record_failure(username, ip)
        return render(
            request, "login.html", {"error": UiText("Wrong user name or password."), "username": username}, status=401
        )
    limiter.record_success(username, ip)
    sessions = request.app[SESSIONS]
    old = session_of(request)
    sessions.delete(old.id)
    session = sessions.create(account.id)  # new id after login: a planted id is worthless
    response = web.HTTPSeeOther("/")
    _set_session_cookie(request, response, session)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    request.app[SESSIONS].delete(session.id)
    await request.app[HUB].close_session(session.id)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def me(request: web.Request) -> web.StreamResponse:
    account = account_of(request)
    session = session_of(request)
    return web.json_response({
        "id": account.id, "name": account.name, "role": account.role,
        "agent_id": account.agent_id, "csrf_token": session.csrf_token, "language": request[LANGUAGE].tag,
    })


HANDLERS: dict[str, Handler] = {"login_page": login_page, "login": login, "logout": logout, "me": me}
