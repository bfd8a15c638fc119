"""Agents and web logins live in the database once the node has started: ``callcenter.toml`` seeds them the
first time (while the tables are empty), and from then on the admin console changes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from acd.config import load_config
from agent_desktop.accounts import Account, accounts_from_config
from crm_core import staff
from crm_core.db import session_scope


def seeded_staff(
    sessions: sessionmaker[Session], raw: Mapping[str, Any], *, hasher: PasswordHasher | None = None
) -> tuple[dict[str, Any], list[Account]]:
    """The settings with their ``[[agents]]`` replaced by the stored agents (and the queues, skills and pause
    reasons the admin console changed over the declared ones), and the stored accounts; agents and accounts
    seeded from ``raw`` first when none is stored. Slow (password hashing): call it from a worker thread.
    Raises ``acd.config.ConfigError`` or ``AccountConfigError`` for settings that cannot seed."""
    with session_scope(sessions) as session:
        raw = staff.with_settings(session, raw)
    declared = load_config(raw)  # checked before anything is stored
    with session_scope(sessions) as session:
        if staff.is_empty(session):
            agents = [{"id": a.id, "name": a.name, "phone": a.phone, "skills": dict(a.skills),
                       "queues": list(a.queues)} for a in declared.agents]
            logins = accounts_from_config(raw, hasher=hasher or PasswordHasher())
            staff.seed(session, agents, [{name: getattr(a, name) for name in staff.ACCOUNT_FIELDS} for a in logins])
        stored_agents = staff.agent_entries(session)
        stored_accounts = [Account(**row) for row in staff.accounts(session)]
    return {**raw, "agents": stored_agents}, stored_accounts
