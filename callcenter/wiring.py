"""Adapters that connect the packages for ``serve``: the CRM as the IVR's customer directory and
the web app's customer-card source, and the web app itself."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.accounts import load_accounts
from agent_desktop.app import create_app
from agent_desktop.config import desktop_config_from_raw
from agent_desktop.services import (
    AgentControl,
    CustomerCard,
    InteractionSummary,
    TicketSummary,
)
from agent_desktop.supervision import AcdSupervisor
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
    assert node.ami is not None and node.acd_service is not None
    return create_app(
        bus=node.bus,
        accounts=accounts,
        agent_control=control,
        customer_lookup=CrmCustomerCards(node.sessions),
        supervisor_actions=AcdSupervisor(node.ami, node.acd_service),
        config=desktop_config_from_raw(settings.raw),
    )

