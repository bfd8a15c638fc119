"""The admin console's audit trail: who changed which setting (agent, queue, skill, account), when, and
from what to what. Settings are keyed by name, not by a row number, so they have a table of their own
beside the CRM's ``audit_log``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.db import Base


class AdminAuditEntry(Base):
    """One changed field of one setting (values JSON-encoded; a field-less row for a change without one)."""

    __tablename__ = "admin_audit"
    __table_args__ = (Index("ix_admin_audit_entity", "entity_type", "entity_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    field: Mapped[str | None] = mapped_column(String(100))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class StaffAgent(Base):
    """An ACD agent as the admin console keeps it (seeded from ``callcenter.toml`` when the table is empty)."""

    __tablename__ = "staff_agents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(100))
    skills: Mapped[dict[str, int]] = mapped_column(JSON)
    queues: Mapped[list[str]] = mapped_column(JSON)


class StaffAccount(Base):
    """A web login: its role, argon2 password hash, ACD agent (for agents) and phone (for floor managers)."""

    __tablename__ = "staff_accounts"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(30))
    password_hash: Mapped[str] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(100))


class StaffSetting(Base):
    """A setting the admin console changed, kept over the seed: a queue (``kind`` "queue", its ``[[queues]]``
    entry), or the list of skills or pause reasons (``kind`` "names", ``name`` "skills" or "pause_reasons")."""

    __tablename__ = "staff_settings"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
