"""Choosing the language of the pages: remembered in a cookie for the browser and, once somebody is logged
in, for their account (so another browser of theirs speaks it too)."""

from __future__ import annotations

from aiohttp import web

from agent_desktop.handling import (
    ACCOUNT,
    FORM_TYPES,
    LANGUAGE_CHOICES,
    BadRequest,
    Handler,
    cookie_secure,
    json_body,
)
from agent_desktop.languages import LANGUAGE_COOKIE, LANGUAGES, Language, language_by_tag
from agent_desktop.text_input import LANGUAGE_TAG, NEXT_PATH, InvalidText
from agent_desktop.ui_text import UiText

COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie
_FORMS = FORM_TYPES


def local_path(path: object) -> str:
    """Where the switcher sends the browser back to: a path of this site, else the start page."""
    if not isinstance(path, str) or not path.startswith("/") or path.startswith(("//", "/\\")):
        return "/"
    if len(path) > 2000 or any(ord(c) < 0x20 or c == "\x7f" for c in path):
        return "/"
    return path


async def choose_language(request: web.Request) -> web.StreamResponse:
    body = await json_body(request)
    language = language_by_tag(LANGUAGE_TAG.read(body))
    if language is None:
        raise BadRequest(UiText("language must be one of: %(languages)s",
                                languages=", ".join(known.tag for known in LANGUAGES)))
    account = request[ACCOUNT]
    if account is not None:
        request.app[LANGUAGE_CHOICES][account.id] = language.tag
    if request.content_type in _FORMS:  # the switcher on a page: back to that page, now in this language
        try:
            back = NEXT_PATH.read(body, "/")
        except InvalidText:  # a broken target sends the switcher home rather than to an error
            back = "/"
        redirect = web.HTTPSeeOther(local_path(back))
        _remember(request, redirect, language)
        raise redirect
    answer = web.json_response({"language": language.tag})
    _remember(request, answer, language)
    return answer


def _remember(request: web.Request, response: web.StreamResponse, language: Language) -> None:
    response.set_cookie(LANGUAGE_COOKIE, language.tag, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                        secure=cookie_secure(request), path="/")

HANDLERS: dict[str, Handler] = {"choose_language": choose_language}
