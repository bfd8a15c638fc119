"""Service tickets (service requests): opened for a customer, moved through a fixed set of statuses."""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bus.clock import Clock
from crm_core import audit
from crm_core.fields import check_name
from crm_core.models import Customer, Ticket, TicketStatusChange

ENTITY = "ticket"
OPEN, IN_PROGRESS, WAITING, RESOLVED, CLOSED = "open", "in_progress", "waiting_customer", "resolved", "closed"
TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({IN_PROGRESS, WAITING, RESOLVED, CLOSED}),
    IN_PROGRESS: frozenset({WAITING, RESOLVED, OPEN}),
    WAITING: frozenset({IN_PROGRESS, RESOLVED, CLOSED}),
    RESOLVED: frozenset({CLOSED, OPEN}),  # reopened when the customer says it is not fixed
    CLOSED: frozenset(),
}
ACTIVE_STATUSES = frozenset({OPEN, IN_PROGRESS, WAITING})
PRIORITIES = ("low", "normal", "high", "urgent")


class IllegalTicketTransition(ValueError):
    """The ticket cannot move from its current status to the one asked for."""


class InvalidTicket(ValueError):
    """A ticket field value is not acceptable."""


@dataclasses.dataclass
class TicketService:
    """Opens and moves tickets on behalf of ``actor``; status steps and field edits are audited."""

    session: Session
    actor: str
    clock: Clock = time.time

    def open(
        self,
        customer: Customer,
        subject: str,
        *,
        description: str = "",
        priority: str = "normal",
        assignee: str | None = None,
    ) -> Ticket:
        """A new ticket in status ``open`` with its first history step."""
        if priority not in PRIORITIES:
            raise InvalidTicket(f"priority {priority!r} is not one of {', '.join(PRIORITIES)}")
        now = self.clock()
        ticket = Ticket(
            customer_id=customer.id, subject=check_name(subject, "subject"), description=description,
            status=OPEN, priority=priority, assignee=assignee, created_at=now, updated_at=now,
        )
        ticket.history = [TicketStatusChange(from_status=None, to_status=OPEN, actor=self.actor, at=now)]
        self.session.add(ticket)
        self.session.flush()
        audit.record(
            self.session, at=now, actor=self.actor, entity_type=ENTITY, entity_id=ticket.id, action="create",
            changes={"status": (None, OPEN), "subject": (None, ticket.subject), "priority": (None, priority)},
        )
        return ticket

    def move(self, ticket: Ticket, status: str, *, note: str = "") -> Ticket:
        """Move ``ticket`` to ``status`` (see :data:`TRANSITIONS`), recording history and audit."""
        if status not in TRANSITIONS:
            raise IllegalTicketTransition(f"unknown ticket status {status!r}")
        if status not in TRANSITIONS[ticket.status]:
            raise IllegalTicketTransition(f"ticket {ticket.id} cannot go from {ticket.status} to {status}")
        now = self.clock()
        old = ticket.status
        ticket.history.append(
            TicketStatusChange(from_status=old, to_status=status, actor=self.actor, at=now, note=note)
        )
        ticket.status = status
        ticket.updated_at = now
        audit.record(
            self.session, at=now, actor=self.actor, entity_type=ENTITY, entity_id=ticket.id, action="status",
            changes={"status": (old, status)},
        )
        self.session.flush()
        return ticket

    def assign(self, ticket: Ticket, assignee: str | None) -> Ticket:
        """Give the ticket to ``assignee`` (``None`` to unassign), audited."""
        if assignee != ticket.assignee:
            now = self.clock()
            audit.record(
                self.session, at=now, actor=self.actor, entity_type=ENTITY, entity_id=ticket.id,
                action="update", changes={"assignee": (ticket.assignee, assignee)},
            )
            ticket.assignee = assignee
            ticket.updated_at = now
            self.session.flush()
        return ticket


    def edit(self, ticket: Ticket, *, subject: str | None = None, description: str | None = None) -> Ticket:
        """Change the subject and/or the description; the fields that really change are audited."""
        changes: dict[str, tuple[str, str]] = {}
        if subject is not None and check_name(subject, "subject") != ticket.subject:
            changes["subject"] = (ticket.subject, check_name(subject, "subject"))
        if description is not None and description != ticket.description:
            changes["description"] = (ticket.description, description)
        if changes:
            now = self.clock()
            for name, (_old, new) in changes.items():
                setattr(ticket, name, new)
            ticket.updated_at = now
            audit.record(self.session, at=now, actor=self.actor, entity_type=ENTITY, entity_id=ticket.id,
                         action="update", changes=changes)
            self.session.flush()
        return ticket

    def add_note(self, ticket: Ticket, note: str) -> Ticket:
        """Add a note to the ticket's trail (audited as action ``note``) without moving it."""
        if not note.strip():
            raise InvalidTicket("note: required")
        now = self.clock()
        ticket.updated_at = now
        audit.record(self.session, at=now, actor=self.actor, entity_type=ENTITY, entity_id=ticket.id,
                     action="note", changes={"note": (None, note)})
        self.session.flush()
        return ticket


def tickets_of(session: Session, customer_id: int, limit: int = 50) -> list[Ticket]:
    """The customer's tickets of any status, newest first."""
    query = (select(Ticket).where(Ticket.customer_id == customer_id)
             .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit))
    return list(session.scalars(query))


def active_tickets(session: Session, customer_id: int) -> list[Ticket]:
    """The customer's unresolved tickets, newest first (for IVR read-back and the screen pop)."""
    query = (
        select(Ticket)
        .where(Ticket.customer_id == customer_id, Ticket.status.in_(ACTIVE_STATUSES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
    )
    return list(session.scalars(query))
