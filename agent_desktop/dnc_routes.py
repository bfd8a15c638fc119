"""Do-not-call lists and a number's story for campaign managers: the pages and their API.

A number put on a list here stops dialling at once on this node, and on the others within their polling
interval; taking one off needs a reason and is audited with the user and their role.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from agent_desktop.handling import (
    OUTBOUND,
    BadRequest,
    Conflict,
    Handler,
    NotFound,
    account_of,
    json_body,
    render,
)
from agent_desktop.text_input import DIAL_NUMBER, DNC_REASON, NUMBER_LOOKUP, InvalidText
from agent_desktop.ui_text import UiText
from outbound.campaign_store import CampaignNotFound
from outbound.dnc import DncError
from outbound.dnc_store import StoredChange
from outbound.numbers import NumberError

LATEST = 100
NO_SUCH_CAMPAIGN = UiText("no such campaign")


def _campaign_id(body: dict[str, Any]) -> int | None:
    value = body.get("campaign_id")
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 10**12:
        raise BadRequest(UiText("campaign_id: a campaign's number, or none for the internal list"))
    return value


def _change(change: StoredChange) -> dict[str, Any]:
    return dataclasses.asdict(change)


async def _entry(request: web.Request) -> tuple[str, str, int | None]:
    body = await json_body(request)
    return DIAL_NUMBER.read(body), DNC_REASON.read(body), _campaign_id(body)


async def dnc_add(request: web.Request) -> web.StreamResponse:
    number, reason, campaign_id = await _entry(request)
    try:
        change = await request.app[OUTBOUND].dnc_add(number, campaign_id=campaign_id, reason=reason,
                                                     actor=account_of(request).id)
    except NumberError as exc:
        raise BadRequest(UiText.as_is(str(exc))) from None
    except CampaignNotFound:
        raise NotFound(NO_SUCH_CAMPAIGN) from None
    return web.json_response(_change(change), status=201)


async def dnc_remove(request: web.Request) -> web.StreamResponse:
    number, reason, campaign_id = await _entry(request)
    account = account_of(request)
    try:
        change = await request.app[OUTBOUND].dnc_remove(number, campaign_id=campaign_id, reason=reason,
                                                        actor=account.id, role=account.role)
    except NumberError as exc:
        raise BadRequest(UiText.as_is(str(exc))) from None
    except CampaignNotFound:
        raise NotFound(NO_SUCH_CAMPAIGN) from None
    except DncError as exc:  # not on that list (the route admits only those who may remove)
        raise Conflict(UiText.as_is(str(exc))) from None
    return web.json_response(_change(change))


async def _lists(request: web.Request) -> dict[str, Any]:
    service = request.app[OUTBOUND]
    total, entries = await service.dnc_listings(limit=LATEST, offset=0)
    registry = await service.registry()
    return {
        "total": total, "entries": [dataclasses.asdict(entry) for entry in entries],
        "changes": [_change(change) for change in await service.dnc_changes(limit=LATEST)],
        "registry": None if registry is None else {
            "source_name": registry.source_name, "numbers": registry.numbers,
            "imported_at": registry.imported_at, "imported_by": registry.imported_by},
    }


async def dnc_lists(request: web.Request) -> web.StreamResponse:
    return web.json_response(await _lists(request))


async def dnc_page(request: web.Request) -> web.StreamResponse:
    campaigns = [view.campaign for view in await request.app[OUTBOUND].campaigns()]
    return render(request, "dnc.html", {**await _lists(request), "campaigns": campaigns,
                                        "names": {c.id: c.name for c in campaigns}})


async def number_story(request: web.Request) -> web.StreamResponse:
    number = DIAL_NUMBER.read(request.query)
    try:
        story = await request.app[OUTBOUND].story(number)
    except NumberError as exc:
        raise BadRequest(UiText.as_is(str(exc))) from None
    return web.json_response(story.to_json())


async def number_page(request: web.Request) -> web.StreamResponse:
    story, problem = None, None
    try:
        number = NUMBER_LOOKUP.read(request.query, "")
    except InvalidText as exc:  # said on the page, next to the box to type it again
        number, problem = "", exc.text
    if number:
        try:
            story = await request.app[OUTBOUND].story(number)
        except NumberError as exc:
            problem = UiText.as_is(str(exc))
    return render(request, "number.html", {"number": number, "story": story, "problem": problem})


HANDLERS: dict[str, Handler] = {
    "dnc_page": dnc_page, "number_page": number_page, "dnc_lists": dnc_lists, "dnc_add": dnc_add,
    "dnc_remove": dnc_remove, "number_story": number_story,
}
