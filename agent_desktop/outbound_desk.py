"""The agent's outbound dialling over the outbound service: preview cards and click-to-dial.

:class:`CampaignDesk` is the :class:`agent_desktop.services.OutboundDesk` the desktop uses. It decides with the
outbound service's rules (do-not-call lists, calling windows: :meth:`OutboundService.manual_decision` for a
number dialled by hand, :meth:`OutboundService.confirm` for a preview lead) and places every call through one
:class:`CallPlacer`, so the dialer edge can take that over. A supervisor's (or admin's) override of a refusal
is written to the audit trail (``entity_type`` ``dial_override``: who, for which agent, which rule, why), as is
every preview an agent skips (``preview_skip``, with the reason).

A preview campaign (mode ``preview``) whose queue the agent serves holds one lead for the agent at a time
(taken from its hopper), until the agent dials or skips it; a skipped lead goes back to the hopper.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol

from agent_desktop.services import (
    DialFailed,
    DialRefused,
    ManualWrapUp,
    NoManualCall,
    PlacedCall,
    PreviewGone,
    PreviewLead,
)
from crm_core.audit import record_setting_change
from crm_core.db import session_scope
from ivr.caller import CAMPAIGN_ID_KEY, LEAD_ID_KEY
from outbound.campaign_store import StoredCampaign
from outbound.campaigns import PREVIEW, RUNNING
from outbound.dialer import PreviewError
from outbound.hopper import HopperError
from outbound.numbers import NumberError
from outbound.rules import RULE_DNC, RULE_WINDOW
from outbound.service import OutboundService

log = logging.getLogger(__name__)
#: The channel variables a placed call carries for the dialplan and the events it causes.
MANUAL_VARIABLE = "CC_MANUAL_DIAL"
CUSTOMER_VARIABLE = "CC_CUSTOMER_ID"
OVERRIDE_ENTITY, SKIP_ENTITY = "dial_override", "preview_skip"
#: A refusal's rule as the desktop reports it: the do-not-call lists, the calling window, or anything else
#: that keeps a number from being dialled by hand.
REFUSAL_RULES = (RULE_DNC, RULE_WINDOW, "number")


class CallPlacer(ManualWrapUp, Protocol):
    """Places a call for an agent: rings the agent's phone and dials ``e164``. Returns the PBX's reference of
    the attempt; :class:`DialFailed` when it cannot. Keeps the agent's wrap-up of a call it placed."""

    async def place_call(self, agent_id: str, e164: str, *, caller_id: str | None,
                         variables: Mapping[str, str]) -> str: ...


class PreviewDialer(Protocol):
    """The dialer edge's dialling of a preview lead (:meth:`outbound.dialer.Dialer.preview_dial`): holds the
    agent in the ACD, confirms the lead and dials it; the answered person is put through to that agent.
    Raises :class:`outbound.dialer.PreviewError` when it cannot."""

    async def preview_dial(self, campaign_id: int, agent_id: str, lead_id: int | None = None) -> str: ...


class NoPbx:
    """The placer of a desktop without a PBX link: every call fails, saying so."""

    async def place_call(self, agent_id: str, e164: str, *, caller_id: str | None,
                         variables: Mapping[str, str]) -> str:
        raise DialFailed("no PBX link to place the call")

    async def wrap_up(self, call_id: str, agent_id: str, disposition: str, notes: str) -> None:
        raise NoManualCall(f"no call {call_id} was placed here")


@dataclasses.dataclass(frozen=True, slots=True)
class _Held:
    campaign: StoredCampaign
    preview: PreviewLead


class CampaignDesk:
    """See the module doc; ``agent_queues`` gives the queues an agent serves."""

    def __init__(self, service: OutboundService, placer: CallPlacer, *,
                 agent_queues: Callable[[str], Collection[str]], dialer: PreviewDialer | None = None) -> None:
        self.service = service
        self.placer = placer
        self.dialer = dialer
        self.agent_queues = agent_queues
        self._held: dict[str, _Held] = {}

    # ---- preview ----------------------------------------------------------------------------------

    async def preview(self, agent_id: str) -> PreviewLead | None:
        held = self._held.get(agent_id)
        if held is not None:
            return held.preview
        queues = set(self.agent_queues(agent_id))
        for view in await self.service.campaigns():
            campaign = view.campaign
            if campaign.status != RUNNING or campaign.settings.mode != PREVIEW or campaign.settings.queue not in queues:
                continue
            lead = self.service.next_lead(campaign.id)
            if lead is None:
                continue
            card = await self.service.lead_card(lead.id)
            preview = PreviewLead(
                campaign_id=campaign.id, campaign_name=campaign.name, lead_id=lead.id,
                name=card.name if card else "", number=lead.number.e164, fields=card.fields if card else (),
                customer_id=str(card.customer_id) if card and card.customer_id is not None else None,
                attempts=card.attempts if card else 0,
                auto_dial_seconds=campaign.settings.preview_dial_seconds)
            self._held[agent_id] = _Held(campaign, preview)
            return preview
        return None

    def _take(self, agent_id: str, lead_id: int) -> _Held:
        held = self._held.get(agent_id)
        if held is None or held.preview.lead_id != lead_id:
            raise PreviewGone(f"lead {lead_id} is not held for {agent_id}")
        del self._held[agent_id]
        return held

    async def dial_preview(self, agent_id: str, lead_id: int) -> PlacedCall:
        """Through the dialer edge when there is one (it holds the agent in the ACD and connects the answered
        person); else the lead is confirmed here and placed from the agent's phone."""
        held = self._take(agent_id, lead_id)
        campaign = held.campaign
        if self.dialer is not None:
            try:
                attempt = await self.dialer.preview_dial(campaign.id, agent_id, lead_id)
            except PreviewError as exc:
                raise DialRefused("preview", str(exc)) from None
            except (HopperError, ValueError) as exc:
                raise PreviewGone(str(exc)) from None
            return PlacedCall(held.preview.number, attempt)
        try:
            decision = self.service.confirm(campaign.id, lead_id)  # the lists and window again, just before
        except (HopperError, ValueError) as exc:
            raise PreviewGone(str(exc)) from None
        if not decision.released:
            raise DialRefused(decision.rule, decision.reason, decision.next_at)
        reference = await self.placer.place_call(
            agent_id, decision.e164, caller_id=campaign.settings.caller_id,
            variables={CAMPAIGN_ID_KEY: str(campaign.id), LEAD_ID_KEY: str(lead_id)})
        return PlacedCall(decision.e164, reference)

    async def skip_preview(self, agent_id: str, lead_id: int, reason: str) -> None:
        held = self._take(agent_id, lead_id)
        try:
            self.service.put_back(held.campaign.id, lead_id)
        except (HopperError, ValueError):
            log.info("preview lead %s skipped by %s was no longer out", lead_id, agent_id)
        await self._audit(agent_id, SKIP_ENTITY, str(lead_id), "skip", {
            "campaign": held.campaign.name, "reason": reason})

    # ---- click-to-dial ----------------------------------------------------------------------------

    async def click_to_dial(self, agent_id: str, number: str, *, customer_id: str | None = None,
                            override_by: str | None = None, override_reason: str = "") -> PlacedCall:
        try:
            decision = self.service.manual_decision(number)
        except NumberError as exc:
            raise DialRefused("number", str(exc)) from None
        overridden = None
        if not decision.released:
            if override_by is None:
                raise DialRefused(decision.rule, decision.reason, decision.next_at)
            overridden = decision.rule
            await self._audit(override_by, OVERRIDE_ENTITY, decision.e164, "override", {
                "agent": agent_id, "rule": decision.rule, "refusal": decision.reason, "reason": override_reason,
                "customer_id": customer_id})
        variables = {MANUAL_VARIABLE: "1", **({CUSTOMER_VARIABLE: customer_id} if customer_id else {})}
        reference = await self.placer.place_call(agent_id, decision.e164, caller_id=None, variables=variables)
        return PlacedCall(decision.e164, reference, overridden)

    async def _audit(self, actor: str, entity_type: str, key: str, action: str, fields: Mapping[str, Any]) -> None:
        at = self.service.clock()

        def write() -> None:
            with session_scope(self.service.sessions) as session:
                record_setting_change(session, at=at, actor=actor, entity_type=entity_type, entity_key=key,
                                      action=action, changes={k: (None, v) for k, v in fields.items()})

        await asyncio.to_thread(write)
