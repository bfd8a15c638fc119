"""The CRM tables: customers, their phones and contacts, interactions, tickets and the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The outbound tables, the admin audit trail and the event log's snapshots belong to the same schema and
# migrations.
import crm_core.admin_tables
import crm_core.campaign_tables
import crm_core.log_snapshots  # noqa: F401
from crm_core.db import Base


class Customer(Base):
    """A person or company that calls us; ``code`` is what callers key in the IVR."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    company: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    language: Mapped[str] = mapped_column(String(35), default="en")
    time_zone: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(10), default="small", index=True)
    revenue_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerPhone.position"
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Contact.id"
    )

    @property
    def phone_numbers(self) -> list[str]:
        return [p.number for p in self.phones]


class CustomerPhone(Base):
    """One E.164 number of a customer; indexed for caller-number (ANI) look-ups."""

    __tablename__ = "customer_phones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(20), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    customer: Mapped[Customer] = relationship(back_populates="phones")


class Contact(Base):
    """A person at a company customer."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254))

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class Interaction(Base):
    """One call leg: who, where it waited, when it was answered and ended, and how it went."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_customer_enter", "customer_id", "enter_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    leg_id: Mapped[str] = mapped_column(String(100), unique=True)
    call_id: Mapped[str] = mapped_column(String(100), index=True)
    direction: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(20), default="voice")
    queue: Mapped[str | None] = mapped_column(String(100))
    campaign: Mapped[str | None] = mapped_column(String(100))
    agent_id: Mapped[str | None] = mapped_column(String(100), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    customer_code: Mapped[str | None] = mapped_column(String(6))
    ani: Mapped[str | None] = mapped_column(String(40))
    dnis: Mapped[str | None] = mapped_column(String(40))
    intent: Mapped[str | None] = mapped_column(String(100))
    ivr_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enter_at: Mapped[float] = mapped_column(Float)
    answer_at: Mapped[float | None] = mapped_column(Float)
    end_at: Mapped[float | None] = mapped_column(Float)
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    hold_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    wrap_up_seconds: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str | None] = mapped_column(String(40))
    disposition: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str] = mapped_column(Text, default="")


class Ticket(Base):
    """A service request of a customer, moved through :data:`crm_core.tickets.TRANSITIONS`."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    assignee: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)

    history: Mapped[list[TicketStatusChange]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketStatusChange.id"
    )


class TicketStatusChange(Base):
    """One step of a ticket's status history (``from_status`` is None for its opening)."""

    __tablename__ = "ticket_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="history")


class AuditEntry(Base):
    """Who changed which field of which record, when, from what to what (values JSON-encoded)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    field: Mapped[str | None] = mapped_column(String(100))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


TITLE_LENGTH = 200
TAGS_LENGTH = 200


class KnowledgeArticle(Base):
    """A knowledge-base article (:mod:`crm_core.knowledge`): a title, free text and space-separated tags."""

    __tablename__ = "knowledge_articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    body: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(TAGS_LENGTH), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float, index=True)
    updated_by: Mapped[str] = mapped_column(String(100))



class AgentPreference(Base):
    """An agent's own desktop choices: its phone answers offered calls by itself after
    ``auto_answer_seconds`` (None: the agent answers)."""

    __tablename__ = "agent_preferences"

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    auto_answer_seconds: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[float] = mapped_column(Float)
