"""The CRM as an agent uses it outside a call: a paged customer search, the customer card (details,
interaction history, tickets with their audit trail) and opening and changing tickets from the card.

Everything runs off the event loop on the CRM database the desktop already shares with the outbound
service; answers are plain JSON-ready dicts. Every card opened here leaves an audit row (action
``viewed``, the user as actor): outside a call there is no call to justify the look, so the trail does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bus.clock import Clock
from crm_core import audit
from crm_core.customer_search import search_page
from crm_core.db import session_scope
from crm_core.fields import InvalidField
from crm_core.interactions import recent_interactions
from crm_core.models import Customer, Ticket
from crm_core.tickets import PRIORITIES, TRANSITIONS, IllegalTicketTransition, InvalidTicket, TicketService, tickets_of

HISTORY_ROWS = 20
MAX_KEY = 2**31 - 1
Record = TypeVar("Record")
Result = TypeVar("Result")


class TicketRefused(ValueError):
    """A ticket change the CRM refuses; ``str()`` says why (in English, from the CRM)."""


class TicketMoveRefused(TicketRefused):
    """The ticket's status does not allow the move asked for."""


@dataclasses.dataclass(frozen=True, slots=True)
class TicketChange:
    """What an agent changes on a ticket; None leaves a field as it is."""

    subject: str | None = None
    description: str | None = None
    status: str | None = None
    note: str = ""


def record_key(text: str) -> int | None:
    """The database id a path segment names, or None (only ASCII digits that fit the column)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_KEY)):
        return None
    key = int(text)
    return key if key <= MAX_KEY else None


async def on_record(sessions: sessionmaker[Session], model: type[Record], record_id: str,
                    action: Callable[[Session, Record], Result]) -> Result | None:
    """``action`` on the row of ``model`` that ``record_id`` names, in one transaction off the event loop
    (an exception rolls it back); None when no row has that id."""
    key = record_key(record_id)
    if key is None:
        return None

    def run() -> Result | None:
        with session_scope(sessions) as session:
            found = session.get(model, key)
            return None if found is None else action(session, found)
    return await asyncio.to_thread(run)


def summary(customer: Customer) -> dict[str, Any]:
    """What a search result shows: enough to pick the customer, nothing more."""
    return {"customer_id": str(customer.id), "code": customer.code, "name": customer.name,
            "company": customer.company or "", "phones": list(customer.phone_numbers), "email": customer.email or ""}


def _decoded(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def ticket_json(session: Session, ticket: Ticket) -> dict[str, Any]:
    """A ticket with the statuses it may move to and its audit trail (who did what, when)."""
    return {
        "ticket_id": str(ticket.id), "subject": ticket.subject, "description": ticket.description,
        "status": ticket.status, "priority": ticket.priority, "created_at": ticket.created_at,
        "updated_at": ticket.updated_at, "next_statuses": sorted(TRANSITIONS.get(ticket.status, ())),
        "trail": [{"at": e.at, "actor": e.actor, "action": e.action, "field": e.field,
                   "old": _decoded(e.old_value), "new": _decoded(e.new_value)}
                  for e in audit.history(session, "ticket", ticket.id)],
    }


class CrmDesk:
    """Customer search, cards and tickets over the CRM database ``sessions``."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock = time.time) -> None:
        self._sessions = sessions
        self._clock = clock

    async def search(self, text: str, page: int) -> dict[str, Any]:
        """A page of customer summaries for ``text``."""
        def run() -> dict[str, Any]:
            with self._sessions() as session:
                found = search_page(session, text, page=page)
                return {"customers": [summary(c) for c in found.customers], "page": found.page, "more": found.more}
        return await asyncio.to_thread(run)

    async def card(self, customer_id: str, viewer: str) -> dict[str, Any] | None:
        """The full card, audited as viewed by ``viewer``; None when no such customer."""
        def view(session: Session, customer: Customer) -> dict[str, Any]:
            audit.record(session, at=self._clock(), actor=viewer, entity_type="customer", entity_id=customer.id,
                         action="viewed")
            return self._card(session, customer)
        return await on_record(self._sessions, Customer, customer_id, view)

    @staticmethod
    def _card(session: Session, customer: Customer) -> dict[str, Any]:
        return {
            **summary(customer), "tier": customer.tier, "language": customer.language, "notes": customer.notes,
            "interactions": [
                {"at": i.enter_at, "direction": i.direction, "queue": i.queue, "agent_id": i.agent_id,
                 "outcome": i.outcome, "disposition": i.disposition, "notes": i.notes,
                 "talk_seconds": i.talk_seconds}
                for i in recent_interactions(session, customer.id, limit=HISTORY_ROWS)],
            "tickets": [ticket_json(session, t) for t in tickets_of(session, customer.id)],
            "priorities": list(PRIORITIES),
        }

    async def open_ticket(self, customer_id: str, actor: str, subject: str, description: str,
                          priority: str) -> dict[str, Any] | None:
        """Open a ticket for the customer (audited); None when no such customer."""
        def open_one(session: Session, customer: Customer) -> dict[str, Any]:
            try:
                ticket = TicketService(session, actor, self._clock).open(
                    customer, subject, description=description, priority=priority)
            except (InvalidField, InvalidTicket) as exc:
                raise TicketRefused(str(exc)) from None
            return ticket_json(session, ticket)
        return await on_record(self._sessions, Customer, customer_id, open_one)

    async def change_ticket(self, ticket_id: str, actor: str, change: TicketChange) -> dict[str, Any] | None:
        """Apply ``change`` in one transaction (all of it or nothing); None when no such ticket."""
        def apply(session: Session, ticket: Ticket) -> dict[str, Any]:
            tickets = TicketService(session, actor, self._clock)
            try:
                tickets.edit(ticket, subject=change.subject, description=change.description)
                if change.status is not None and change.status != ticket.status:
                    tickets.move(ticket, change.status, note=change.note)
                if change.note.strip():
                    tickets.add_note(ticket, change.note)
            except IllegalTicketTransition as exc:
                raise TicketMoveRefused(str(exc)) from None
            except (InvalidField, InvalidTicket) as exc:
                raise TicketRefused(str(exc)) from None
            return ticket_json(session, ticket)
        return await on_record(self._sessions, Ticket, ticket_id, apply)
