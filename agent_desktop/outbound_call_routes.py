"""An agent's outbound work over HTTP: a campaign call's lead and dispositions on the pop, the preview card of
preview campaigns, and click-to-dial from a customer's number.

A campaign's call is one whose caller data carries ``campaign_id`` and ``lead_id`` (:data:`ivr.caller.
CAMPAIGN_ID_KEY`). Its wrap-up uses the campaign's dispositions: the outbound service takes the outcome (a
call-back at the time chosen, for the agent or anyone; do-not-call onto the internal list, naming the agent),
then the ACD ends the wrap-up as for any call.

Click-to-dial (``POST /api/agent/dial``) is refused with the reason when the number is on a do-not-call list
or outside its calling window; a supervisor or admin may dial it for an agent past that refusal with a reason,
which the audit trail keeps.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from agent_desktop.call_routes import NO_SUCH_CALL, path_call_id
from agent_desktop.catalogue import AGENT
from agent_desktop.handling import (
    AGENT_CONTROL,
    CUSTOMERS,
    HUB,
    OUTBOUND,
    BadRequest,
    CallStateConflict,
    Handler,
    NotFound,
    RequestRefused,
    account_of,
    agent_id_of,
    catalogue_of,
    json_body,
    path_segment,
)
from agent_desktop.outbound_desk import CampaignDesk
from agent_desktop.services import DialFailed, DialRefused, PlacedCall, PreviewGone, PreviewLead
from agent_desktop.text_input import (
    CALLBACK_TO,
    CUSTOMER_ID,
    DIAL_NUMBER,
    DISPOSITION,
    NOTES,
    OVERRIDE_REASON,
    RECORD_ID,
    SKIP_REASON,
    TARGET_AGENT,
    TextField,
)
from agent_desktop.ui_text import UiText
from outbound.campaign_store import CampaignNotFound
from outbound.campaigns import CALLBACK, CampaignError
from outbound.hopper import HopperError
from outbound.service import DispositionError

OUTBOUND_DESK = web.AppKey("outbound_desk", CampaignDesk)
NOT_A_CAMPAIGN_CALL = UiText("this call is not a campaign's call")
NO_SUCH_PREVIEW = UiText("this lead is no longer your preview; ask for the next one")
CALLBACK_TARGETS = ("me", "anyone")
MAX_CALLBACK_DAYS = 366


class DialNotPlaced(RequestRefused):
    """The PBX could not place the call; answered 502."""

    status = 502


def _refusal_text(refused: DialRefused) -> UiText:
    if refused.rule == "dnc":
        return UiText("not dialled: the number is on a do-not-call list (%(detail)s)", detail=refused.detail)
    if refused.rule == "window":
        return UiText("not dialled: it is outside the number's calling window (%(detail)s)", detail=refused.detail)
    if refused.rule == "number":
        return UiText("not dialled: this is not a number that can be dialled (%(detail)s)", detail=refused.detail)
    return UiText("not dialled: the rules do not allow this call now (%(detail)s)", detail=refused.detail)


def _refused(request: web.Request, refused: DialRefused) -> web.Response:
    """409 with the reason in the reader's language and the rule (``dnc``, ``window``, ...) for the page."""
    return web.json_response({"error": catalogue_of(request).text(_refusal_text(refused)), "rule": refused.rule,
                              "next_at": refused.next_at}, status=409)


def _placed(call: PlacedCall) -> web.Response:
    return web.json_response({"e164": call.e164, "reference": call.reference, "overridden": call.overridden},
                             status=202)


def _preview_json(preview: PreviewLead | None) -> dict[str, Any]:
    if preview is None:
        return {"lead": None}
    return {"lead": {"campaign_id": preview.campaign_id, "campaign_name": preview.campaign_name,
                     "lead_id": preview.lead_id, "name": preview.name, "number": preview.number,
                     "fields": [list(pair) for pair in preview.fields], "customer_id": preview.customer_id,
                     "attempts": preview.attempts, "auto_dial_seconds": preview.auto_dial_seconds}}


# --- a campaign's call on the pop ---------------------------------------------------------------------


def _campaign_call(request: web.Request) -> tuple[str, str, int, int]:
    """(agent, call, campaign id, lead id) of the agent's own campaign call in the path."""
    agent_id = agent_id_of(request)
    call_id = path_call_id(request)
    pop = request.app[HUB].feeds.pop_for(agent_id, call_id)
    if pop is None:
        raise NotFound(NO_SUCH_CALL)
    if pop.campaign_lead is None:
        raise CallStateConflict(NOT_A_CAMPAIGN_CALL)
    return agent_id, call_id, *pop.campaign_lead


async def campaign_call(request: web.Request) -> web.StreamResponse:
    _, _, campaign_id, lead_id = _campaign_call(request)
    service = request.app[OUTBOUND]
    try:
        campaign = await service.campaign(campaign_id)
    except CampaignNotFound:
        raise NotFound(UiText("no such campaign")) from None
    lead = await service.lead_card(lead_id)
    if lead is None or lead.campaign_id != campaign_id:
        raise NotFound(UiText("no such lead in this campaign"))
    return web.json_response({
        "campaign_id": campaign.id, "campaign_name": campaign.name, "mode": campaign.settings.mode,
        "dispositions": [{"name": d.name, "kind": d.kind} for d in campaign.settings.dispositions],
        "lead": {"lead_id": lead.lead_id, "name": lead.name, "number": lead.e164,
                 "fields": [list(pair) for pair in lead.fields], "attempts": lead.attempts,
                 "last_outcome": lead.last_outcome,
                 "customer_id": str(lead.customer_id) if lead.customer_id is not None else None},
    })


def _callback_at(body: dict[str, Any], now: float) -> float:
    value = body.get("callback_at")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(UiText("callback_at: the time to call back (epoch seconds)"))
    if not now < value <= now + MAX_CALLBACK_DAYS * 86400:
        raise BadRequest(UiText("callback_at: a time in the coming year"))
    return float(value)


async def campaign_disposition(request: web.Request) -> web.StreamResponse:
    agent_id, call_id, campaign_id, lead_id = _campaign_call(request)
    pop = request.app[HUB].feeds.pop_for(agent_id, call_id)
    if pop is None or pop.status not in ("connected", "ended"):
        raise CallStateConflict(UiText("the wrap-up comes after the answer"))
    body = await json_body(request)
    disposition = DISPOSITION.read(body)
    notes = NOTES.read(body, "")
    service = request.app[OUTBOUND]
    campaign = await service.campaign(campaign_id)
    found = campaign.settings.disposition(disposition)
    if found is None:
        raise BadRequest(UiText("disposition must be one of: %(dispositions)s",
                                dispositions=", ".join(d.name for d in campaign.settings.dispositions)))
    callback_at, callback_agent = None, None
    if found.kind == CALLBACK:
        callback_at = _callback_at(body, service.clock())
        to = CALLBACK_TO.read(body, "anyone")
        if to not in CALLBACK_TARGETS:
            raise BadRequest(UiText("callback_to: me or anyone"))
        callback_agent = agent_id if to == "me" else None
    try:
        await service.dispose(campaign_id, lead_id, disposition, by=agent_id, callback_at=callback_at,
                              callback_agent=callback_agent)
    except DispositionError as exc:
        raise BadRequest(UiText.as_is(str(exc))) from None
    except (HopperError, CampaignError) as exc:
        raise CallStateConflict(UiText("the campaign cannot take this disposition now: %(reason)s",
                                       reason=str(exc))) from None
    await request.app[AGENT_CONTROL].dispose(call_id, agent_id, disposition, notes)
    return web.json_response({"ok": True}, status=202)


# --- preview ------------------------------------------------------------------------------------------


def _lead_id(request: web.Request) -> int:
    text = path_segment(request, TextField("lead_id", RECORD_ID.max_length, min_length=1), NO_SUCH_PREVIEW)
    if not text.isascii() or not text.isdigit():
        raise NotFound(NO_SUCH_PREVIEW)
    return int(text)


async def agent_preview(request: web.Request) -> web.StreamResponse:
    """The held lead with its customer's card: the agent may read it, as for a caller on its pop."""
    preview = await request.app[OUTBOUND_DESK].preview(agent_id_of(request))
    card = await request.app[CUSTOMERS].customer_card(preview.customer_id) if preview and preview.customer_id \
        else None
    return web.json_response({**_preview_json(preview), "customer": dataclasses.asdict(card) if card else None})


async def preview_dial(request: web.Request) -> web.StreamResponse:
    agent_id, lead_id = agent_id_of(request), _lead_id(request)
    try:
        return _placed(await request.app[OUTBOUND_DESK].dial_preview(agent_id, lead_id))
    except PreviewGone:
        raise NotFound(NO_SUCH_PREVIEW) from None
    except DialRefused as refused:
        return _refused(request, refused)
    except DialFailed as exc:
        raise DialNotPlaced(UiText("the call was not placed: %(reason)s", reason=str(exc))) from None


async def preview_skip(request: web.Request) -> web.StreamResponse:
    agent_id, lead_id = agent_id_of(request), _lead_id(request)
    reason = SKIP_REASON.read(await json_body(request))
    try:
        await request.app[OUTBOUND_DESK].skip_preview(agent_id, lead_id, reason)
    except PreviewGone:
        raise NotFound(NO_SUCH_PREVIEW) from None
    return web.json_response({"ok": True})


# --- click-to-dial ------------------------------------------------------------------------------------


async def agent_dial(request: web.Request) -> web.StreamResponse:
    """An agent dials for itself under the rules; a supervisor or admin names the agent and may override."""
    body = await json_body(request)
    number = DIAL_NUMBER.read(body)
    customer_id = CUSTOMER_ID.read(body, "") or None
    account = account_of(request)
    override_by, why = None, ""
    if account.role == AGENT:
        if TARGET_AGENT.name in body or OVERRIDE_REASON.name in body:
            raise BadRequest(UiText("only a supervisor may dial for another agent or past a refusal"))
        agent_id = agent_id_of(request)
    else:
        agent_id = TARGET_AGENT.read(body)
        why = OVERRIDE_REASON.read(body, "")
        override_by = account.id if why else None
    try:
        placed = await request.app[OUTBOUND_DESK].click_to_dial(agent_id, number, customer_id=customer_id,
                                                               override_by=override_by, override_reason=why)
    except DialRefused as refused:
        return _refused(request, refused)
    except DialFailed as exc:
        raise DialNotPlaced(UiText("the call was not placed: %(reason)s", reason=str(exc))) from None
    return _placed(placed)


HANDLERS: dict[str, Handler] = {
    "campaign_call": campaign_call, "campaign_disposition": campaign_disposition, "agent_preview": agent_preview,
    "preview_dial": preview_dial, "preview_skip": preview_skip, "agent_dial": agent_dial,
}
