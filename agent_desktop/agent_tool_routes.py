"""An agent's everyday tools outside a call: searching customers, the customer card, opening and changing
tickets from it, and the agent's own day. See ``catalogue.CUSTOMER_VISIBILITY`` for who reads what."""

from __future__ import annotations

from aiohttp import web

from agent_desktop.crm_desk import CrmDesk, TicketChange, TicketMoveRefused, TicketRefused
from agent_desktop.handling import (
    BadRequest,
    Conflict,
    Handler,
    NotFound,
    account_of,
    agent_id_of,
    json_body,
    path_segment,
)
from agent_desktop.my_day import MyDay
from agent_desktop.text_input import (
    CUSTOMER_ID,
    PAGE_NUMBER,
    SEARCH_TEXT,
    TICKET_DESCRIPTION,
    TICKET_ID,
    TICKET_NOTE,
    TICKET_PRIORITY,
    TICKET_STATUS,
    TICKET_SUBJECT,
)
from agent_desktop.ui_text import UiText

CRM_DESK = web.AppKey("crm_desk", CrmDesk)
MY_DAY = web.AppKey("my_day", MyDay)
NO_SUCH_CUSTOMER = UiText("no such customer")
NO_SUCH_TICKET = UiText("no such ticket")
MAX_PAGE = 500


def _page(request: web.Request) -> int:
    text = PAGE_NUMBER.read(request.query, "0") or "0"
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_PAGE:
        raise BadRequest(UiText("page: a whole number from 0 to %(limit)s", limit=MAX_PAGE))
    return int(text)


async def crm_customer_search(request: web.Request) -> web.StreamResponse:
    text = SEARCH_TEXT.read(request.query)
    return web.json_response(await request.app[CRM_DESK].search(text, _page(request)))


async def crm_customer_card(request: web.Request) -> web.StreamResponse:
    customer_id = path_segment(request, CUSTOMER_ID, NO_SUCH_CUSTOMER)
    card = await request.app[CRM_DESK].card(customer_id, account_of(request).id)
    if card is None:
        raise NotFound(NO_SUCH_CUSTOMER)
    return web.json_response(card)


async def ticket_create(request: web.Request) -> web.StreamResponse:
    customer_id = path_segment(request, CUSTOMER_ID, NO_SUCH_CUSTOMER)
    body = await json_body(request)
    try:
        ticket = await request.app[CRM_DESK].open_ticket(
            customer_id, account_of(request).id, TICKET_SUBJECT.read(body), TICKET_DESCRIPTION.read(body, ""),
            TICKET_PRIORITY.read(body, "normal"))
    except TicketRefused as exc:
        raise BadRequest(UiText.as_is(str(exc))) from None  # the CRM's reason, in English
    if ticket is None:
        raise NotFound(NO_SUCH_CUSTOMER)
    return web.json_response({"ticket": ticket}, status=201)




async def ticket_update(request: web.Request) -> web.StreamResponse:
    ticket_id = path_segment(request, TICKET_ID, NO_SUCH_TICKET)
    body = await json_body(request)
    change = TicketChange(
        subject=TICKET_SUBJECT.check(body["subject"]) if body.get("subject") is not None else None,
        description=TICKET_DESCRIPTION.check(body["description"]) if body.get("description") is not None else None,
        status=TICKET_STATUS.check(body["status"]) if body.get("status") is not None else None,
        note=TICKET_NOTE.read(body, ""),
    )
    try:
        ticket = await request.app[CRM_DESK].change_ticket(ticket_id, account_of(request).id, change)
    except TicketMoveRefused as exc:
        raise Conflict(UiText.as_is(str(exc))) from None
    except TicketRefused as exc:
        raise BadRequest(UiText.as_is(str(exc))) from None
    if ticket is None:
        raise NotFound(NO_SUCH_TICKET)
    return web.json_response({"ticket": ticket})


async def agent_my_day(request: web.Request) -> web.StreamResponse:
    return web.json_response(await request.app[MY_DAY].of(agent_id_of(request)))


HANDLERS: dict[str, Handler] = {
    "crm_customer_search": crm_customer_search, "crm_customer_card": crm_customer_card,
    "ticket_create": ticket_create, "ticket_update": ticket_update, "agent_my_day": agent_my_day,
}
