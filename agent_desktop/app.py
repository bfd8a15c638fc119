"""The aiohttp application: pages, REST API, WebSocket endpoint, with access decided by the route table.

One middleware enforces ``catalogue.HTTP_ROUTES`` for every request (a route missing from the
table is refused), checks the CSRF token on every state-changing request, and adds security
headers. Handlers only ever see requests that passed it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import WSMsgType, web

from agent_desktop.accounts import Account, AccountStore
from agent_desktop.agent_feed import ActivePop, AgentFeeds
from agent_desktop.call_controls import CallAction, refusal
from agent_desktop.catalogue import (
    ADMIN,
    AGENT,
    CUSTOMER_VISIBILITY,
    HTTP_ROUTES,
    SUPERVISOR,
    WS_EVENTS,
    WS_MESSAGES,
    HttpRoute,
    route_for,
)
from agent_desktop.client_address import client_address, forwarded_https
from agent_desktop.config import DesktopConfig
from agent_desktop.events import CustomerMatched
from agent_desktop.hub import Connection, DesktopHub
from agent_desktop.openapi import build_openapi
from agent_desktop.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    LoginRateLimiter,
    RequestRateLimiter,
    Session,
    SessionStore,
)
from agent_desktop.services import (
    AgentControl,
    AgentControlRefused,
    CustomerLookup,
    CustomerRejected,
    CustomerSummary,
    NewCustomer,
    PossibleDuplicates,
)
from agent_desktop.supervision import SpyMode, SupervisorActionFailed, SupervisorActions
from agent_desktop.wall import WallProjection
from bus.clock import Clock
from bus.eventbus import EventBus

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TalkCommand = Callable[[str, str | None], Awaitable[None]]  # (call id, acting agent or None)

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

HOME_BY_ROLE = {AGENT: "/desktop", SUPERVISOR: "/wall", ADMIN: "/wall"}
_STATIC_NAME = re.compile(r"^[a-z0-9_-]+\.(js|css)$")
_STATIC_TYPES = {"js": "text/javascript", "css": "text/css"}
MAX_NOTES = 4000
MAX_CUSTOMER_FIELD = 200
MAX_SEARCH_TEXT = 100
MAX_QUEUE_NAME = 64
MAX_AGENT_ID = 64
SEARCH_LIMIT = 10


class BadRequest(ValueError):
    """A request body that does not fit its schema; answered 400 with the message."""


class NotFound(LookupError):
    """The call or customer a request names does not exist for this user; answered 404."""


class CallStateConflict(Exception):
    """The request does not fit the call's state as the desktop sees it; answered 409 with the reason."""


def _templates() -> jinja2.Environment:
    # autoescape for every template: customer data is shown inert whatever it contains.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


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


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _refuse(request: web.Request, route: HttpRoute, status: int, message: str) -> web.StreamResponse:
    if route.kind == "page" and status == 401:
        raise web.HTTPFound("/login")
    if route.kind == "page":
        return _render(request, "error.html", {"status": status, "message": message}, status=status)
    return _json_error(status, message)


def _render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    env = request.app[TEMPLATES]
    session: Session | None = request.get(SESSION)
    account: Account | None = request.get(ACCOUNT)
    body = env.get_template(template).render(
        account=account, csrf_token=session.csrf_token if session else "", **context
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


async def _csrf_token_of(request: web.Request) -> str | None:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        value = (await request.post()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


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
        response: web.StreamResponse = _json_error(403, "route not in the access table")
    elif not route.public and account is None:
        response = _refuse(request, route, 401, "log in first")
    elif not route.allows(account.role if account else None):
        response = _refuse(request, route, 403, "your role may not use this")
    elif route.changes_state and (session is None or not session.csrf_matches(await _csrf_token_of(request))):
        response = _refuse(request, route, 403, "missing or wrong CSRF token; reload the page")
    else:
        try:
            response = await handler(request)
        except BadRequest as exc:
            response = _json_error(400, str(exc))
        except NotFound as exc:
            response = _json_error(404, str(exc))
        except CallStateConflict as exc:
            response = _json_error(409, str(exc))
        except AgentControlRefused as exc:
            response = _json_error(409, str(exc))
        except SupervisorActionFailed as exc:
            response = _json_error(502, str(exc))
    if not response.prepared:
        _security_headers(request, response)
    return response


def _set_session_cookie(request: web.Request, response: web.StreamResponse, session: Session) -> None:
    config = request.app[CONFIG]
    secure = config.secure_cookies == "always" or (config.secure_cookies == "auto" and (
        request.secure or forwarded_https(request.remote, request.headers.get("X-Forwarded-Proto"),
                                          config.trusted_proxies)))
    response.set_cookie(SESSION_COOKIE, session.id, httponly=True, samesite="Strict", secure=secure, path="/")


def _account(request: web.Request) -> Account:
    account: Account | None = request[ACCOUNT]
    assert account is not None, "guard lets only logged-in requests reach this handler"
    return account


def _session(request: web.Request) -> Session:
    session = request[SESSION]
    assert session is not None, "guard lets only requests with a session reach this handler"
    return session


def _agent_id(request: web.Request) -> str:
    agent_id = _account(request).agent_id
    if agent_id is None:
        raise BadRequest("this account is not linked to an ACD agent")
    return agent_id


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def _reason(request: web.Request, body: dict[str, Any]) -> str:
    reason = body.get("reason")
    allowed = request.app[CONFIG].pause_reasons
    if reason not in allowed:
        raise BadRequest(f"reason must be one of: {', '.join(allowed)}")
    return str(reason)


def _call_in_reach(request: web.Request) -> ActivePop:
    """The active call in the path if this user may act on it: an agent only its own, floor managers any."""
    call_id = request.match_info["call_id"]
    feeds = request.app[HUB].feeds
    pop = feeds.pop_for(_agent_id(request), call_id) if _account(request).role == AGENT else (
        feeds.active_call(call_id))
    if pop is None:
        raise NotFound("no such active call of yours")  # 404: do not confirm somebody else's call exists
    return pop


def _acting_agent(request: web.Request) -> str | None:
    """Who asks the ACD to act on a call: the agent itself, or None for a supervisor or admin."""
    return _agent_id(request) if _account(request).role == AGENT else None


def _call_for(request: web.Request, action: CallAction) -> ActivePop:
    """The call in the path, if in this user's reach and in a state that allows ``action``."""
    pop = _call_in_reach(request)
    why_not = refusal(pop, action)
    if why_not is not None:
        raise CallStateConflict(why_not)
    return pop


@dataclasses.dataclass(frozen=True, slots=True)
class CallTarget:
    """Where a transfer or consultation goes: a queue or one agent, never both."""

    queue: str | None = None
    agent: str | None = None


def _call_target(body: dict[str, Any], pop: ActivePop) -> CallTarget:
    queue, agent = body.get("queue"), body.get("agent")
    if (queue is None) == (agent is None):
        raise BadRequest("give exactly one of queue or agent")
    if queue is not None:
        if not isinstance(queue, str) or not 0 < len(queue) <= MAX_QUEUE_NAME:
            raise BadRequest(f"queue: a queue name of 1-{MAX_QUEUE_NAME} characters")
        return CallTarget(queue=queue)
    if not isinstance(agent, str) or not 0 < len(agent) <= MAX_AGENT_ID:
        raise BadRequest(f"agent: an agent id of 1-{MAX_AGENT_ID} characters")
    if agent == pop.agent_id:
        raise BadRequest("agent: the call is already with this agent")
    return CallTarget(agent=agent)


def _accepted() -> web.Response:
    return web.json_response({"ok": True}, status=202)


def _text_field(body: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > MAX_CUSTOMER_FIELD:
        raise BadRequest(f"{name}: text of at most {MAX_CUSTOMER_FIELD} characters")
    if required and not value.strip():
        raise BadRequest(f"{name}: required")
    return value.strip()


def _summary_json(customer: CustomerSummary) -> dict[str, Any]:
    """Exactly the summary fields, whatever richer object the CRM handed back: a search must never
    show an agent more of a customer than is needed to pick it (see ``catalogue.CUSTOMER_VISIBILITY``)."""
    return {
        "customer_id": customer.customer_id, "code": customer.code, "name": customer.name,
        "company": customer.company, "phones": list(customer.phones), "email": customer.email,
    }


def _publish_match(request: web.Request, pop: ActivePop, customer: CustomerSummary, *, created: bool) -> None:
    hub = request.app[HUB]
    hub.bus.publish(CustomerMatched(
        call_id=pop.call_id, agent_id=pop.agent_id, customer_id=customer.customer_id,
        customer_code=customer.code, created=created, actor=_account(request).id, at=hub.clock(),
    ))


# --- pages -------------------------------------------------------------------------------------------


def _too_many(request: web.Request, wait: float, message: str, username: str) -> web.Response:
    seconds = max(1, math.ceil(wait))
    response = _render(
        request, "login.html", {"error": f"{message} Try again in {seconds} s.", "username": username}, status=429
    )
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
    return None if wait is None else _too_many(request, wait, "Too many requests from your address.", "")


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
    response = _render(request, "login.html", {"error": None, "username": ""})
    _set_session_cookie(request, response, session)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    throttled = _login_throttled(request)
    if throttled is not None:
        return throttled
    form = await request.post()
    username = str(form.get("username", ""))[:128]
    password = str(form.get("password", ""))[:1024]
    ip = _client(request)
    limiter = request.app[LIMITER]
    wait = limiter.retry_after(username, ip)
    if wait is not None:
        return _too_many(request, wait, "Too many failed logins.", username)
    account = request.app[ACCOUNTS].authenticate(username, password)
    if account is None:
        limiter.record_failure(username, ip)
        return _render(
            request, "login.html", {"error": "Wrong user name or password.", "username": username}, status=401
        )
    limiter.record_success(username, ip)
    sessions = request.app[SESSIONS]
    old = _session(request)
    sessions.delete(old.id)
    session = sessions.create(account.id)  # new id after login: a planted id is worthless
    response = web.HTTPSeeOther("/")
    _set_session_cookie(request, response, session)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    session = _session(request)
    request.app[SESSIONS].delete(session.id)
    await request.app[HUB].close_session(session.id)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(HOME_BY_ROLE.get(_account(request).role, "/api/docs"))


async def desktop(request: web.Request) -> web.StreamResponse:
    return _render(request, "desktop.html", {
        "agent_id": _agent_id(request), "pause_reasons": request.app[CONFIG].pause_reasons,
        "queues": request.app[CONFIG].queues,
    })


async def wall_page(request: web.Request) -> web.StreamResponse:
    return _render(request, "wall.html", {"pause_reasons": request.app[CONFIG].pause_reasons})


async def api_docs(request: web.Request) -> web.StreamResponse:
    return _render(
        request, "docs.html", {"routes": HTTP_ROUTES, "ws_messages": WS_MESSAGES, "ws_events": WS_EVENTS,
                               "customer_visibility": CUSTOMER_VISIBILITY},
    )


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["filename"]
    match = _STATIC_NAME.match(name)
    resource = resources.files("agent_desktop").joinpath("static", name)
    if match is None or not resource.is_file():
        raise web.HTTPNotFound()
    return web.Response(
        body=resource.read_bytes(), content_type=_STATIC_TYPES[match.group(1)], charset="utf-8"
    )


async def healthz(request: web.Request) -> web.StreamResponse:
    return web.json_response({"ok": True})


# --- API ---------------------------------------------------------------------------------------------


async def openapi(request: web.Request) -> web.StreamResponse:
    return web.json_response(build_openapi())


async def me(request: web.Request) -> web.StreamResponse:
    account = _account(request)
    session = _session(request)
    return web.json_response({
        "id": account.id, "name": account.name, "role": account.role,
        "agent_id": account.agent_id, "csrf_token": session.csrf_token,
    })


async def agent_state(request: web.Request) -> web.StreamResponse:
    agent_id = _agent_id(request)
    feeds = request.app[HUB].feeds
    pops = [p.message for p in feeds.active_pops(agent_id) if p.message is not None]
    return web.json_response({"state": feeds.state_of(agent_id), "pops": pops})


async def agent_ready(request: web.Request) -> web.StreamResponse:
    await request.app[AGENT_CONTROL].set_ready(_agent_id(request))
    return _accepted()


async def agent_not_ready(request: web.Request) -> web.StreamResponse:
    reason = _reason(request, await _json_body(request))
    await request.app[AGENT_CONTROL].set_not_ready(_agent_id(request), reason)
    return _accepted()


async def agent_logout(request: web.Request) -> web.StreamResponse:
    await request.app[AGENT_CONTROL].logout(_agent_id(request))
    return _accepted()


async def call_disposition(request: web.Request) -> web.StreamResponse:
    agent_id = _agent_id(request)
    call_id = request.match_info["call_id"]
    body = await _json_body(request)
    pop = request.app[HUB].feeds.pop_for(agent_id, call_id)
    if pop is None:
        return _json_error(404, "no such active call of yours")
    if pop.status not in ("connected", "ended"):
        return _json_error(409, f"the call is {pop.status}; wrap-up comes after the answer")
    if pop.consultation is not None:
        return _json_error(409, "a consultation is not wrapped up; once completed it is your caller's call")
    disposition = body.get("disposition")
    allowed = request.app[HUB].feeds.dispositions_for(pop.queue)
    if disposition not in allowed:
        raise BadRequest(f"disposition must be one of: {', '.join(allowed)}")
    notes = body.get("notes", "")
    if not isinstance(notes, str) or len(notes) > MAX_NOTES:
        raise BadRequest(f"notes: text of at most {MAX_NOTES} characters")
    await request.app[AGENT_CONTROL].dispose(call_id, agent_id, str(disposition), notes)
    return _accepted()


async def call_transfer(request: web.Request) -> web.StreamResponse:
    pop = _call_for(request, CallAction.TRANSFER)
    target = _call_target(await _json_body(request), pop)
    control, agent_id = request.app[AGENT_CONTROL], _acting_agent(request)
    if target.queue is not None:
        await control.transfer_to_queue(pop.call_id, agent_id, target.queue)
    elif target.agent is not None:
        await control.transfer_to_agent(pop.call_id, agent_id, target.agent)
    return _accepted()


def _talk_command(action: CallAction, command: Callable[[AgentControl], TalkCommand]) -> Handler:
    """A route that asks the ACD to do ``action`` to a talking call, with nothing but the call to say."""

    async def handle(request: web.Request) -> web.StreamResponse:
        pop = _call_for(request, action)
        await command(request.app[AGENT_CONTROL])(pop.call_id, _acting_agent(request))
        return _accepted()

    return handle


call_hold = _talk_command(CallAction.HOLD, lambda control: control.hold)
call_resume = _talk_command(CallAction.RESUME, lambda control: control.resume)
call_consult_complete = _talk_command(CallAction.COMPLETE_CONSULT, lambda control: control.complete_consult)
call_consult_cancel = _talk_command(CallAction.CANCEL_CONSULT, lambda control: control.cancel_consult)


async def call_consult(request: web.Request) -> web.StreamResponse:
    pop = _call_for(request, CallAction.CONSULT)
    target = _call_target(await _json_body(request), pop)
    await request.app[AGENT_CONTROL].consult(
        pop.call_id, _acting_agent(request), target_agent=target.agent, queue=target.queue
    )
    return _accepted()


async def transfer_targets(request: web.Request) -> web.StreamResponse:
    own = _account(request).agent_id
    feeds = request.app[HUB].feeds
    agents = sorted(
        ({"agent_id": a, "name": feeds.name_of(a)} for a in feeds.ready_agents() if a != own),
        key=lambda agent: (agent["name"].casefold(), agent["agent_id"]),
    )
    return web.json_response({"queues": list(request.app[CONFIG].queues), "agents": agents})


async def customer_card(request: web.Request) -> web.StreamResponse:
    account = _account(request)
    customer_id = request.match_info["customer_id"]
    feeds = request.app[HUB].feeds
    if account.role == AGENT and not feeds.agent_sees_customer(_agent_id(request), customer_id):
        return _json_error(404, "no such customer on your calls")  # 404: do not confirm it exists
    card = await request.app[CUSTOMERS].customer_card(customer_id)
    if card is None:
        return _json_error(404, "no such customer")
    return web.json_response(dataclasses.asdict(card))


async def call_customer_search(request: web.Request) -> web.StreamResponse:
    _call_in_reach(request)
    text = request.query.get("q", "").strip()
    if not text or len(text) > MAX_SEARCH_TEXT:
        raise BadRequest(f"q: 1-{MAX_SEARCH_TEXT} characters")
    found = await request.app[CUSTOMERS].search_customers(text, limit=SEARCH_LIMIT)
    return web.json_response({"customers": [_summary_json(c) for c in found]})


async def call_customer_match(request: web.Request) -> web.StreamResponse:
    pop = _call_in_reach(request)
    customer_id = (await _json_body(request)).get("customer_id")
    if not isinstance(customer_id, str) or not 0 < len(customer_id) <= 64:
        raise BadRequest("customer_id: a customer id")
    card = await request.app[CUSTOMERS].customer_card(customer_id)
    if card is None:
        raise NotFound("no such customer")
    customer = CustomerSummary(customer_id=card.customer_id, code=card.code, name=card.name,
                               company=card.company, phones=card.phones, email=card.email)
    _publish_match(request, pop, customer, created=False)
    return web.json_response({"customer": _summary_json(customer)})


async def call_customer_create(request: web.Request) -> web.StreamResponse:
    pop = _call_in_reach(request)
    body = await _json_body(request)
    draft = NewCustomer(
        name=_text_field(body, "name", required=True), company=_text_field(body, "company"),
        phone=_text_field(body, "phone"), email=_text_field(body, "email"),
    )
    allow_duplicates = body.get("allow_duplicates", False)
    if not isinstance(allow_duplicates, bool):
        raise BadRequest("allow_duplicates: true or false")
    try:
        customer = await request.app[CUSTOMERS].create_customer(
            draft, actor=_account(request).id, allow_duplicates=allow_duplicates
        )
    except CustomerRejected as exc:
        raise BadRequest(str(exc)) from None
    except PossibleDuplicates as exc:
        return web.json_response(
            {"error": str(exc), "duplicates": [
                {"customer": _summary_json(d.customer), "reason": d.reason} for d in exc.duplicates
            ]},
            status=409,
        )
    _publish_match(request, pop, customer, created=True)
    return web.json_response({"customer": _summary_json(customer)}, status=201)


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
    reason = _reason(request, await _json_body(request))
    await request.app[SUPERVISION].force_not_ready(request.match_info["agent_id"], reason)
    return _accepted()


async def force_logout(request: web.Request) -> web.StreamResponse:
    await request.app[SUPERVISION].force_logout(request.match_info["agent_id"])
    return _accepted()


async def spy_on_call(request: web.Request) -> web.StreamResponse:
    mode = (await _json_body(request)).get("mode")
    if mode not in tuple(SpyMode):
        raise BadRequest(f"mode must be one of: {', '.join(SpyMode)}")
    phone = _account(request).phone
    if phone is None:
        return _json_error(409, "your account has no phone to listen on; set phone in its [[users]] entry")
    await request.app[SUPERVISION].spy(request.match_info["agent_id"], phone, SpyMode(mode))
    return _accepted()


async def websocket(request: web.Request) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    # Browsers always send Origin; a foreign one is a cross-site WebSocket hijack attempt.
    if origin is not None and origin not in (f"http://{request.host}", f"https://{request.host}"):
        return _json_error(403, "cross-origin WebSocket refused")
    account = _account(request)
    session = _session(request)
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


HANDLERS: dict[str, Handler] = {
    "healthz": healthz, "static": static, "login_page": login_page, "login": login, "logout": logout,
    "home": home, "desktop": desktop, "wall": wall_page, "api_docs": api_docs, "openapi": openapi, "me": me,
    "agent_state": agent_state, "agent_ready": agent_ready, "agent_not_ready": agent_not_ready,
    "agent_logout": agent_logout, "call_disposition": call_disposition, "customer_card": customer_card,
    "call_customer_search": call_customer_search, "call_customer_match": call_customer_match,
    "call_customer_create": call_customer_create, "call_transfer": call_transfer, "call_hold": call_hold,
    "call_resume": call_resume, "call_consult": call_consult, "call_consult_complete": call_consult_complete,
    "call_consult_cancel": call_consult_cancel, "transfer_targets": transfer_targets,
    "wall_snapshot": wall_snapshot, "pop_stats": pop_stats, "force_not_ready": force_not_ready,
    "force_logout": force_logout, "spy_on_call": spy_on_call, "ws": websocket,
}


def create_app(
    *,
    bus: EventBus,
    accounts: AccountStore,
    agent_control: AgentControl,
    customer_lookup: CustomerLookup,
    supervisor_actions: SupervisorActions,
    clock: Clock = time.time,
    config: DesktopConfig | None = None,
    limiter: LoginRateLimiter | None = None,
    login_traffic: RequestRateLimiter | None = None,
    wall_min_interval: float = 0.25,
    wall_max_interval: float = 1.0,
) -> web.Application:
    """The desktop web application, driven by ``bus``, acting through ``agent_control`` for agents and
    ``supervisor_actions`` for the wall."""
    config = config or DesktopConfig()
    app = web.Application(middlewares=[guard], client_max_size=256 * 1024)
    # An agent the configuration does not list (a [[users]] agent account) goes by its account's name.
    agent_names = {a.agent_id: a.name for a in accounts if a.agent_id} | dict(config.agent_names)
    wall = WallProjection(
        clock=clock, queues=config.queues, targets=config.targets,
        memberships=config.memberships, agent_names=agent_names, tz=config.time_zone,
    )
    sessions = SessionStore(clock=clock)
    hub = DesktopHub(
        bus=bus, feeds=AgentFeeds(dispositions=config.dispositions, agent_names=agent_names), wall=wall,
        customer_lookup=customer_lookup, sessions=sessions, clock=clock,
        wall_min_interval=wall_min_interval, wall_max_interval=wall_max_interval,
    )
    app[HUB] = hub
    app[SESSIONS] = sessions
    app[ACCOUNTS] = accounts
    app[LIMITER] = limiter or LoginRateLimiter(clock=clock)
    app[LOGIN_TRAFFIC] = login_traffic or RequestRateLimiter(clock=clock, per_ip=config.login_requests_per_minute)
    app[AGENT_CONTROL] = agent_control
    app[CUSTOMERS] = customer_lookup
    app[SUPERVISION] = supervisor_actions
    app[TEMPLATES] = _templates()
    app[CONFIG] = config
    for route in HTTP_ROUTES:
        app.router.add_route(route.method, route.path, HANDLERS[route.name], name=route.name)

    async def start_hub(app: web.Application) -> None:
        hub.start()

    async def stop_hub(app: web.Application) -> None:
        await hub.stop()

    app.on_startup.append(start_hub)
    app.on_shutdown.append(stop_hub)
    return app
