"""What every desktop handler stands on: the application's and the request's keys, the logged-in account
and session, JSON bodies, pages rendered from templates, and the errors the guard answers (400, 404, 409).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from agent_desktop.accounts import Account, AccountStore
from agent_desktop.config import DesktopConfig
from agent_desktop.hub import DesktopHub
from agent_desktop.json_input import InvalidJson, parse_json
from agent_desktop.security import LoginRateLimiter, RequestRateLimiter, Session, SessionStore
from agent_desktop.services import AgentControl, CustomerLookup
from agent_desktop.supervision import SupervisorActions
from agent_desktop.text_input import PAUSE_REASON, InvalidText, TextField

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HUB = web.AppKey("hub", DesktopHub)
SESSIONS = web.AppKey("sessions", SessionStore)
ACCOUNTS = web.AppKey("accounts", AccountStore)
LIMITER = web.AppKey("limiter", LoginRateLimiter)
LOGIN_TRAFFIC = web.AppKey("login_traffic", RequestRateLimiter)
AGENT_CONTROL = web.AppKey("agent_control", AgentControl)
CUSTOMERS = web.AppKey("customer_lookup", CustomerLookup)
SUPERVISION = web.AppKey("supervisor_actions", SupervisorActions)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
CONFIG = web.AppKey("config", DesktopConfig)
SESSION: web.RequestKey[Session | None] = web.RequestKey("session")
ACCOUNT: web.RequestKey[Account | None] = web.RequestKey("account")


class BadRequest(ValueError):
    """A request body that does not fit its schema; answered 400 with the message."""


class NotFound(LookupError):
    """The call or customer a request names does not exist for this user; answered 404."""


class CallStateConflict(Exception):
    """The request does not fit the call's state as the desktop sees it; answered 409 with the reason."""


def load_templates() -> jinja2.Environment:
    """The page templates."""
    # autoescape for every template: customer data is shown inert whatever it contains.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def json_error(status: int, message: str) -> web.Response:
    """An API error: ``{"error": message}`` with ``status``."""
    return web.json_response({"error": message}, status=status)


def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """A page from ``template``, which always knows the account and the CSRF token."""
    env = request.app[TEMPLATES]
    session: Session | None = request.get(SESSION)
    account: Account | None = request.get(ACCOUNT)
    body = env.get_template(template).render(
        account=account, csrf_token=session.csrf_token if session else "", **context
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def account_of(request: web.Request) -> Account:
    """The logged-in account of a request the guard let through to a non-public route."""
    account: Account | None = request[ACCOUNT]
    assert account is not None, "guard lets only logged-in requests reach this handler"
    return account


def session_of(request: web.Request) -> Session:
    """The session of a request the guard let through with one."""
    session = request[SESSION]
    assert session is not None, "guard lets only requests with a session reach this handler"
    return session


def agent_id_of(request: web.Request) -> str:
    """The ACD agent the logged-in account is (400 when it is none)."""
    agent_id = account_of(request).agent_id
    if agent_id is None:
        raise BadRequest("this account is not linked to an ACD agent")
    return agent_id


def path_segment(request: web.Request, field: TextField, missing: str) -> str:
    """The path's ``field``; text its rule refuses names nothing, so 404 with ``missing``."""
    try:
        return field.check(request.match_info[field.name])
    except InvalidText:
        raise NotFound(missing) from None


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def form_fields(request: web.Request) -> dict[str, str]:
    """The text fields of a posted form (uploaded files are ignored); 400 when the form cannot be read."""
    try:
        form = await request.post()
    except (ValueError, LookupError) as exc:  # no or wrong multipart boundary, unknown charset, not UTF-8
        raise BadRequest(f"the form cannot be read: {exc}") from None
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (or form fields); 400 when it is neither."""
    if request.content_type in FORM_TYPES:
        return await form_fields(request)
    if not request.can_read_body:
        return {}
    try:
        body = parse_json(await request.read())
    except InvalidJson as exc:
        raise BadRequest(str(exc)) from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def pause_reason(request: web.Request, body: dict[str, Any]) -> str:
    """The body's ``reason``, one of the configured pause reasons (else 400)."""
    reason = PAUSE_REASON.read(body, "")
    allowed = request.app[CONFIG].pause_reasons
    if reason not in allowed:
        raise BadRequest(f"reason must be one of: {', '.join(allowed)}")
    return reason


def accepted() -> web.Response:
    """202: the request went to the ACD, whose events tell how it ended."""
    return web.json_response({"ok": True}, status=202)
