"""What every desktop handler stands on: the application's and the request's keys, the logged-in account
and session and the language of the answer, JSON bodies, pages rendered from templates in that language,
and the errors the guard answers (400, 404, 409), each a :class:`UiText` translated for the reader.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from agent_desktop.accounts import Account, AccountStore
from agent_desktop.campaign_tiles import CampaignWall
from agent_desktop.catalogues import Catalogue
from agent_desktop.client_address import forwarded_https
from agent_desktop.config import DesktopConfig
from agent_desktop.hub import DesktopHub
from agent_desktop.json_input import InvalidJson, parse_json
from agent_desktop.languages import LANGUAGES, Language
from agent_desktop.security import LoginRateLimiter, RequestRateLimiter, Session, SessionStore
from agent_desktop.services import AgentControl, CustomerLookup, ManualWrapUp
from agent_desktop.supervision import SupervisorActions
from agent_desktop.text_input import PAUSE_REASON, InvalidText, TextField
from agent_desktop.ui_text import UiText
from outbound.service import OutboundService

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HUB = web.AppKey("hub", DesktopHub)
SESSIONS = web.AppKey("sessions", SessionStore)
ACCOUNTS = web.AppKey("accounts", AccountStore)
LIMITER = web.AppKey("limiter", LoginRateLimiter)
LOGIN_TRAFFIC = web.AppKey("login_traffic", RequestRateLimiter)
AGENT_CONTROL = web.AppKey("agent_control", AgentControl)
MANUAL_CALLS = web.AppKey("manual_calls", ManualWrapUp)  # the wrap-ups of calls agents place by hand
CUSTOMERS = web.AppKey("customer_lookup", CustomerLookup)
SUPERVISION = web.AppKey("supervisor_actions", SupervisorActions)
CATALOGUES = web.AppKey("catalogues", Mapping[str, Catalogue])
TEMPLATES = web.AppKey("templates", Mapping[str, jinja2.Environment])
# The language each account chose, by account id; in memory, like the accounts themselves.
LANGUAGE_CHOICES = web.AppKey("language_choices", dict[str, str])
CONFIG = web.AppKey("config", DesktopConfig)


@dataclasses.dataclass(slots=True)
class PauseReasons:
    """The not-ready reasons people may pick now: the settings' at start, the admin console's since."""

    names: tuple[str, ...]


PAUSE_REASONS = web.AppKey("pause_reasons", PauseReasons)
OUTBOUND = web.AppKey("outbound", OutboundService)
CAMPAIGN_WALL = web.AppKey("campaign_wall", CampaignWall)
SESSION: web.RequestKey[Session | None] = web.RequestKey("session")
ACCOUNT: web.RequestKey[Account | None] = web.RequestKey("account")
LANGUAGE: web.RequestKey[Language] = web.RequestKey("language")


class RequestRefused(Exception):
    """A handler's refusal, which the guard answers with ``status`` and the text in the reader's language."""

    status = 400

    def __init__(self, text: UiText) -> None:
        super().__init__(str(text))
        self.text = text


class BadRequest(RequestRefused, ValueError):
    """A request body that does not fit its schema; answered 400 with the text."""


class NotFound(RequestRefused, LookupError):
    """The call or customer a request names does not exist for this user; answered 404."""

    status = 404


class CallStateConflict(RequestRefused):
    """The request does not fit the call's state as the desktop sees it; answered 409 with the reason."""

    status = 409


class Conflict(RequestRefused):
    """The request does not fit the state of what it names (a campaign's status, a list); answered 409."""

    status = 409


def load_templates(catalogues: Mapping[str, Catalogue]) -> dict[str, jinja2.Environment]:
    """The page templates, in each language (by tag)."""
    return {tag: _environment(catalogue) for tag, catalogue in catalogues.items()}


def _environment(catalogue: Catalogue) -> jinja2.Environment:
    # autoescape for every template: customer data is shown inert whatever it contains; new-style gettext
    # escapes the values put into a translated text too.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks read as one line, as extracted
    env.install_gettext_translations(catalogue.translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters["label"] = catalogue.label
    env.globals.update(
        format_datetime=catalogue.format_datetime, format_number=catalogue.format_number,
        format_percent=catalogue.format_percent,
    )
    return env


def catalogue_of(request: web.Request) -> Catalogue:
    """The catalogue of the request's language (chosen by the guard)."""
    return request.app[CATALOGUES][request[LANGUAGE].tag]


def json_error(request: web.Request, status: int, text: UiText) -> web.Response:
    """An API error: ``{"error": text}`` in the request's language, with ``status``."""
    return web.json_response({"error": catalogue_of(request).text(text)}, status=status)


def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """A page from ``template`` in the request's language (a :class:`UiText` in ``context`` is translated),
    which always knows the account, the CSRF token, the languages to switch to and the messages its
    scripts need."""
    language = request[LANGUAGE]
    session: Session | None = request.get(SESSION)
    account: Account | None = request.get(ACCOUNT)
    catalogue = catalogue_of(request)
    body = request.app[TEMPLATES][language.tag].get_template(template).render(
        account=account, csrf_token=session.csrf_token if session else "", language=language,
        languages=LANGUAGES, here=request.path_qs,
        script_text={"language": language.tag, "messages": catalogue.script_messages},
        **{key: catalogue.text(value) if isinstance(value, UiText) else value for key, value in context.items()},
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def cookie_secure(request: web.Request) -> bool:
    """Whether cookies set on this answer must be Secure ([web] secure_cookies)."""
    config = request.app[CONFIG]
    return config.secure_cookies == "always" or (config.secure_cookies == "auto" and (
        request.secure or forwarded_https(request.remote, request.headers.get("X-Forwarded-Proto"),
                                          config.trusted_proxies)))


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
        raise BadRequest(UiText("this account is not linked to an ACD agent"))
    return agent_id


def path_segment(request: web.Request, field: TextField, missing: UiText) -> str:
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
        raise BadRequest(UiText("the form cannot be read: %(reason)s", reason=str(exc))) from None
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
        raise BadRequest(exc.text) from None
    if not isinstance(body, dict):
        raise BadRequest(UiText("body must be a JSON object"))
    return body


def pause_reasons_of(request: web.Request) -> tuple[str, ...]:
    """The not-ready reasons a person may pick now."""
    return request.app[PAUSE_REASONS].names


def pause_reason(request: web.Request, body: dict[str, Any]) -> str:
    """The body's ``reason``, one of the configured pause reasons (else 400)."""
    reason = PAUSE_REASON.read(body, "")
    allowed = pause_reasons_of(request)
    if reason not in allowed:
        raise BadRequest(UiText("reason must be one of: %(reasons)s", reasons=", ".join(allowed)))
    return reason


def accepted() -> web.Response:
    """202: the request went to the ACD, whose events tell how it ended."""
    return web.json_response({"ok": True}, status=202)
