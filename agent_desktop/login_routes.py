"""Logging in and out: the login form and its limits per user and per address, fresh sessions, and who
is logged in (``/api/me``) in which language.
"""

from __future__ import annotations

import asyncio
import math

from aiohttp import web

from agent_desktop.accounts import Account
from agent_desktop.client_address import client_address
from agent_desktop.handling import (
    ACCOUNT,
    ACCOUNTS,
    AGENT_CONTROL,
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
    pause_reasons_of,
    render,
    session_of,
)
from agent_desktop.security import SESSION_COOKIE, Session
from agent_desktop.services import AgentControlRefused
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
    notice = _SIGNED_OUT.get(request.query.get("signed_out", ""))
    response = render(request, "login.html", {"error": None, "username": "", "notice": notice})
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
    # argon2 is slow on purpose: verify in a worker thread so the event loop keeps serving everyone else.
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


# What the login page says after a sign-out, by the ``signed_out`` value the sign-out redirects with.
_SIGNED_OUT = {
    "queues": UiText("You are signed out and out of the queues: no call will be offered to you."),
    "after_call": UiText("You are signed out. Once the call in progress ends you will be not ready: "
                         "no new call will be offered to you."),
}


async def _leave_queues(request: web.Request, agent_id: str) -> str:
    """Take the agent who signed out of their last session out of the queues (or, during a call, make them
    not ready once it ends), so that no call rings at an empty desk; the ``signed_out`` word for the page."""
    control = request.app[AGENT_CONTROL]
    try:
        await control.logout(agent_id)
        return "queues"
    except AgentControlRefused:  # talking: the ACD cannot log out an agent on a call
        await control.set_not_ready(agent_id, pause_reasons_of(request)[0])
        return "after_call"


async def logout(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    account: Account | None = request[ACCOUNT]
    sessions = request.app[SESSIONS]
    sessions.delete(session.id)
    await request.app[HUB].close_session(session.id)
    target = "/login"
    if account is not None and account.agent_id is not None and not sessions.has_live(account.id):
        target += "?signed_out=" + await _leave_queues(request, account.agent_id)
    response = web.HTTPSeeOther(target)
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
