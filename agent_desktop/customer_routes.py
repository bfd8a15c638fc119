"""Customers on a call: the card, searching the CRM, matching the caller to a customer or creating one."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from agent_desktop.agent_feed import ActivePop
from agent_desktop.call_routes import call_in_reach
from agent_desktop.catalogue import AGENT
from agent_desktop.events import CustomerMatched
from agent_desktop.handling import (
    CUSTOMERS,
    HUB,
    BadRequest,
    Handler,
    NotFound,
    account_of,
    agent_id_of,
    catalogue_of,
    json_body,
    json_error,
    path_segment,
)
from agent_desktop.services import CustomerRejected, CustomerSummary, NewCustomer, PossibleDuplicates
from agent_desktop.text_input import COMPANY, CUSTOMER_ID, CUSTOMER_NAME, EMAIL, PHONE, SEARCH_TEXT
from agent_desktop.ui_text import UiText

SEARCH_LIMIT = 10
NO_SUCH_CUSTOMER = UiText("no such customer")


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
        customer_code=customer.code, created=created, actor=account_of(request).id, at=hub.clock(),
    ))


async def customer_card(request: web.Request) -> web.StreamResponse:
    account = account_of(request)
    customer_id = path_segment(request, CUSTOMER_ID, UiText("no such customer"))
    feeds = request.app[HUB].feeds
    if account.role == AGENT and not feeds.agent_sees_customer(agent_id_of(request), customer_id):
        return json_error(request, 404, UiText("no such customer on your calls"))  # 404: do not confirm it exists
    card = await request.app[CUSTOMERS].customer_card(customer_id)
    if card is None:
        return json_error(request, 404, NO_SUCH_CUSTOMER)
    return web.json_response(dataclasses.asdict(card))


async def call_customer_search(request: web.Request) -> web.StreamResponse:
    call_in_reach(request)
    text = SEARCH_TEXT.read(request.query)
    found = await request.app[CUSTOMERS].search_customers(text, limit=SEARCH_LIMIT)
    return web.json_response({"customers": [_summary_json(c) for c in found]})


async def call_customer_match(request: web.Request) -> web.StreamResponse:
    pop = call_in_reach(request)
    customer_id = CUSTOMER_ID.read(await json_body(request))
    card = await request.app[CUSTOMERS].customer_card(customer_id)
    if card is None:
        raise NotFound(NO_SUCH_CUSTOMER)
    customer = CustomerSummary(customer_id=card.customer_id, code=card.code, name=card.name,
                               company=card.company, phones=card.phones, email=card.email)
    _publish_match(request, pop, customer, created=False)
    return web.json_response({"customer": _summary_json(customer)})


async def call_customer_create(request: web.Request) -> web.StreamResponse:
    pop = call_in_reach(request)
    body = await json_body(request)
    draft = NewCustomer(
        name=CUSTOMER_NAME.read(body), company=COMPANY.read(body, ""), phone=PHONE.read(body, ""),
        email=EMAIL.read(body, ""),
    )
    allow_duplicates = body.get("allow_duplicates", False)
    if not isinstance(allow_duplicates, bool):
        raise BadRequest(UiText("allow_duplicates: true or false"))
    try:
        customer = await request.app[CUSTOMERS].create_customer(
            draft, actor=account_of(request).id, allow_duplicates=allow_duplicates
        )
    except CustomerRejected as exc:
        raise BadRequest(UiText.as_is(str(exc))) from None  # the CRM's reason, in English
    except PossibleDuplicates as exc:
        return web.json_response(
            {"error": catalogue_of(request).text(UiText(
                "%(count)s stored customer(s) look like this one", count=len(exc.duplicates))), "duplicates": [
                {"customer": _summary_json(d.customer), "reason": d.reason} for d in exc.duplicates
            ]},
            status=409,
        )
    _publish_match(request, pop, customer, created=True)
    return web.json_response({"customer": _summary_json(customer)}, status=201)


HANDLERS: dict[str, Handler] = {
    "customer_card": customer_card, "call_customer_search": call_customer_search,
    "call_customer_match": call_customer_match, "call_customer_create": call_customer_create,
}
