"""The agents and web logins the admin console manages, as plain dictionaries: agents in the shape of a
``[[agents]]`` entry of ``callcenter.toml`` (which seeds the tables while they are empty), accounts with
their password hashes (never a clear password)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.admin_tables import StaffAccount, StaffAgent, StaffSetting

ACCOUNT_FIELDS = ("id", "name", "role", "password_hash", "agent_id", "phone")


def is_empty(session: Session) -> bool:
    """Whether no agent and no account was ever stored (then the settings file seeds them)."""
    return session.scalar(select(StaffAgent.id).limit(1)) is None \
        and session.scalar(select(StaffAccount.id).limit(1)) is None


def save_agent(session: Session, entry: Mapping[str, Any]) -> None:
    """Store (or replace) an agent given as a ``[[agents]]`` entry (its password, if any, is not kept here)."""
    session.merge(StaffAgent(
        id=str(entry["id"]), name=str(entry.get("name", "")), phone=str(entry.get("phone", "")),
        skills=dict(entry.get("skills", {})), queues=list(entry.get("queues", [])),
    ))


def save_account(session: Session, account: Mapping[str, Any]) -> None:
    """Store (or replace) an account given with the :data:`ACCOUNT_FIELDS`."""
    session.merge(StaffAccount(**{name: account.get(name) for name in ACCOUNT_FIELDS}))


def seed(session: Session, agents: Iterable[Mapping[str, Any]], accounts: Iterable[Mapping[str, Any]]) -> None:
    for entry in agents:
        save_agent(session, entry)
    for account in accounts:
        save_account(session, account)


def agent_entries(session: Session) -> list[dict[str, Any]]:
    """Every stored agent as a ``[[agents]]`` entry, by id."""
    return [
        {"id": a.id, "name": a.name, "phone": a.phone, "skills": dict(a.skills), "queues": list(a.queues)}
        for a in session.scalars(select(StaffAgent).order_by(StaffAgent.id))
    ]


def accounts(session: Session) -> list[dict[str, Any]]:
    """Every stored account (with its password hash), by id."""
    return [{name: getattr(a, name) for name in ACCOUNT_FIELDS}
            for a in session.scalars(select(StaffAccount).order_by(StaffAccount.id))]


def save_setting(session: Session, kind: str, name: str, value: Any) -> None:
    """Keep a setting the admin console changed (see :class:`StaffSetting`)."""
    session.merge(StaffSetting(kind=kind, name=name, value=value))


def with_settings(session: Session, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``raw`` (the parsed ``callcenter.toml``) with the stored settings over it: a changed queue's stored
    fields over its declared entry (a None value: the field unset), stored skill and pause-reason lists
    instead of the declared ones."""
    stored = {(s.kind, s.name): s.value for s in session.scalars(select(StaffSetting))}
    queues = []
    for declared in raw.get("queues", []):
        merged = {**declared, **stored.get(("queue", str(declared.get("name"))), {})}
        queues.append({k: v for k, v in merged.items() if v is not None})
    out = {**raw, "queues": queues}
    if ("names", "skills") in stored:
        out["skills"] = [{"name": name} for name in stored["names", "skills"]]
    if ("names", "pause_reasons") in stored:
        out["acd"] = {**raw.get("acd", {}), "pause_reasons": stored["names", "pause_reasons"]}
    return out
