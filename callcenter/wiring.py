"""Adapters that connect the packages for ``serve``: the CRM as the IVR's customer directory and
the web app's customer-card source, and the web app itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from acd.agents import IllegalTransition
from acd.core import Acd, AcdError
from acd.decisions import Effects
from acd.events import CallDisposed
from agent_desktop.accounts import load_accounts
from agent_desktop.app import create_app
from agent_desktop.config import desktop_config_from_raw
from agent_desktop.services import (
    AgentControl,
    AgentControlRefused,
    CustomerCard,
    InteractionSummary,
    TicketSummary,
)
from callcenter.bus import EventBus
from crm_core import lookup
from crm_core.interactions import recent_interactions
from crm_core.models import Customer
from crm_core.tickets import active_tickets
from ivr.directory import CustomerRecord, TicketStatus

if TYPE_CHECKING:
    from callcenter.node import Node


def _record(customer: Customer) -> CustomerRecord:
    return CustomerRecord(
        id=str(customer.id), code=customer.code, name=customer.name, tier=customer.tier, language=customer.language
    )


class CrmDirectory:
    """The IVR's :class:`ivr.directory.CustomerDirectory` over the CRM (one indexed query per look-up)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def find_by_code(self, code: str) -> CustomerRecord | None:
        with self._sessions() as session:
            customer = lookup.by_code(session, code)
            return None if customer is None else _record(customer)

    def find_by_ani(self, ani: str) -> CustomerRecord | None:
        with self._sessions() as session:
            matches = lookup.by_ani(session, ani)
            # An ambiguous number identifies nobody.
            return _record(matches[0]) if len(matches) == 1 else None

    def open_ticket_status(self, customer_id: str) -> TicketStatus | None:
        with self._sessions() as session:
            tickets = active_tickets(session, int(customer_id))
            if not tickets:
                return None
            ticket = tickets[0]
            return TicketStatus(ticket_id=str(ticket.id), status=ticket.status, subject=ticket.subject)


def crm_directory(sessions: sessionmaker[Session]) -> CrmDirectory:
    return CrmDirectory(sessions)


class CrmCustomerCards:
    """The web app's :class:`agent_desktop.services.CustomerLookup` over the CRM."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    async def customer_card(self, customer_id: str) -> CustomerCard | None:
        return await asyncio.to_thread(self._card, customer_id)

    def _card(self, customer_id: str) -> CustomerCard | None:
        if not customer_id.isdigit():
            return None
        with self._sessions() as session:
            customer = session.get(Customer, int(customer_id))
            if customer is None:
                return None
            return CustomerCard(
                customer_id=str(customer.id),
                code=customer.code,
                name=customer.name,
                company=customer.company or "",
                tier=customer.tier,
                phones=tuple(p.number for p in customer.phones),
                email=customer.email or "",
                language=customer.language,
                notes=customer.notes,
                custom_fields=tuple((str(k), str(v)) for k, v in (customer.custom_fields or {}).items()),
                last_interactions=tuple(
                    InteractionSummary(
                        at=i.enter_at,
                        direction=i.direction,
                        queue=i.queue,
                        agent_id=i.agent_id,
                        outcome=i.outcome,
                        disposition=i.disposition,
                        notes=i.notes,
                    )
                    for i in recent_interactions(session, customer.id, limit=5)
                ),
                open_tickets=tuple(
                    TicketSummary(ticket_id=str(t.id), subject=t.subject, status=t.status, opened_at=t.created_at)
                    for t in active_tickets(session, customer.id)
                ),
            )


def desktop_app(node: Node) -> web.Application:
    """The agent desktop / supervisor wall for ``node``; prints the demo logins."""
    assert node.sessions is not None
    settings = node.settings
    accounts, credentials = load_accounts(settings.raw, demo=settings.demo)
    for cred in credentials:
        node.say(f"  demo login ({cred.role}): {cred.username} / {cred.password}")
    control: AgentControl = node.agent_control()
    return create_app(
        bus=node.bus,
        accounts=accounts,
        agent_control=control,
        customer_lookup=CrmCustomerCards(node.sessions),
        config=desktop_config_from_raw(settings.raw),
    )


class CoreAgentControl:
    """The web app's :class:`AgentControl` over the ACD core: agent state moves, published on the bus.

    It carries out no call decisions; the ACD service that drives calls through Asterisk takes its
    place once it runs on the node.
    """

    def __init__(self, acd: Acd, bus: EventBus) -> None:
        self._acd = acd
        self._bus = bus

    def _publish(self, run: Callable[[], Effects]) -> None:
        try:
            effects = run()
        except (AcdError, IllegalTransition) as exc:
            raise AgentControlRefused(str(exc)) from exc
        for event in effects.events:
            self._bus.publish(event)

    async def set_ready(self, agent_id: str) -> None:
        state = self._acd.agent(agent_id).state if self._known(agent_id) else None
        if state == "logged_out":
            self._publish(lambda: self._acd.login(agent_id, ready=True))
        else:
            self._publish(lambda: self._acd.ready(agent_id))

    async def set_not_ready(self, agent_id: str, reason: str) -> None:
        if self._known(agent_id) and self._acd.agent(agent_id).state == "logged_out":
            self._publish(lambda: self._acd.login(agent_id, ready=False, reason=reason))
        else:
            self._publish(lambda: self._acd.pause(agent_id, reason))

    async def logout(self, agent_id: str) -> None:
        self._publish(lambda: self._acd.logout(agent_id))

    async def dispose(self, call_id: str, agent_id: str, disposition: str, notes: str) -> None:
        self._bus.publish(CallDisposed(call_id=call_id, agent_id=agent_id, disposition=disposition, notes=notes))

    def _known(self, agent_id: str) -> bool:
        try:
            self._acd.agent(agent_id)
        except AcdError:
            return False
        return True
