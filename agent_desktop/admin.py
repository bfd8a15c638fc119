"""The admin console's parts outside the web handlers: the ACD's agent directory (a Protocol the lead wires
to the running ACD service, the single owner of agent and queue state), checking a new agent or user as an
admin typed it, and the audit trail of setting changes, stored in the CRM database off the event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from acd.config import MAX_LEVEL, MIN_LEVEL, AgentConfig, QueueConfig
from agent_desktop.accounts import Account
from agent_desktop.admin_fields import AGENT_NAME, DIAL_STRING, NEW_AGENT_ID, NEW_PASSWORD
from agent_desktop.catalogue import ADMIN, CAMPAIGN_MANAGER, SUPERVISOR
from agent_desktop.text_input import InvalidText
from agent_desktop.ui_text import UiText
from asterisk_conf.dialstring import InvalidDialString, validate_dial_string
from bus.clock import Clock
from crm_core import staff
from crm_core.audit import record_setting_change, setting_changes
from crm_core.db import session_scope

USER_ROLES = (SUPERVISOR, CAMPAIGN_MANAGER, ADMIN)
_AGENT_ID_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # it becomes part of channel variables


class AgentDirectory(Protocol):
    """The running ACD's agents, queues, skills and pause reasons; :meth:`add_agent`, :meth:`update_agent`
    and :meth:`update_queue` raise ``AgentControlRefused`` when the ACD refuses the change."""

    def agent_configs(self) -> Sequence[AgentConfig]: ...

    def queue_names(self) -> Sequence[str]: ...

    def skill_names(self) -> Sequence[str]: ...

    async def add_agent(self, config: AgentConfig) -> None: ...

    async def update_agent(self, config: AgentConfig) -> None: ...

    def queue_configs(self) -> Sequence[QueueConfig]: ...

    def pause_reasons(self) -> Sequence[str]: ...

    async def update_queue(self, config: QueueConfig) -> None: ...

    async def set_names(self, skills: list[str], pause_reasons: list[str]) -> None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class NewAgent:
    """A checked request to create an agent with its web login."""

    config: AgentConfig
    password: str


def _skill_levels(value: Any, known: Sequence[str]) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, Mapping):
        raise InvalidText("skills", UiText("expected an object of skill names and levels"))
    levels = []
    for skill, level in value.items():
        if skill not in known:
            raise InvalidText("skills", UiText("unknown skill %(skill)s", skill=str(skill)[:64]))
        if isinstance(level, bool) or not isinstance(level, int) or not MIN_LEVEL <= level <= MAX_LEVEL:
            raise InvalidText("skills", UiText("the level of %(skill)s must be a whole number from %(low)s to "
                                               "%(high)s", skill=skill, low=MIN_LEVEL, high=MAX_LEVEL))
        levels.append((skill, level))
    return tuple(sorted(levels))


def _queues(value: Any, known: Sequence[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(q, str) for q in value):
        raise InvalidText("queues", UiText("choose at least one queue"))
    for queue in value:
        if queue not in known:
            raise InvalidText("queues", UiText("unknown queue %(queue)s", queue=queue[:64]))
    return tuple(dict.fromkeys(value))


def read_agent(body: Mapping[str, Any], directory: AgentDirectory, agent_id: str) -> AgentConfig:
    """Agent ``agent_id`` as ``body`` describes it (name, phone, skills, queues), checked against the running
    ACD's queues and skills (:class:`InvalidText` naming the field otherwise)."""
    phone = DIAL_STRING.read(body)
    try:
        validate_dial_string(phone)
    except InvalidDialString:
        raise InvalidText("phone", UiText("expected a dial string such as PJSIP/1001")) from None
    return AgentConfig(
        id=agent_id, name=AGENT_NAME.read(body), phone=phone,
        skills=_skill_levels(body.get("skills", {}), directory.skill_names()),
        queues=_queues(body.get("queues"), directory.queue_names()),
    )


def read_new_agent(body: Mapping[str, Any], directory: AgentDirectory) -> NewAgent:
    """A new agent with its id and password, checked as :func:`read_agent`."""
    agent_id = NEW_AGENT_ID.read(body)
    if not _AGENT_ID_SHAPE.match(agent_id):
        raise InvalidText("id", UiText("letters, digits, '.', '_' and '-' only, starting with a letter or digit"))
    config = read_agent(body, directory, agent_id)
    return NewAgent(config, NEW_PASSWORD.read(body))


@dataclasses.dataclass(frozen=True, slots=True)
class NewUser:
    """A checked request to create a web login for a supervisor, campaign manager or admin."""

    id: str
    name: str
    role: str
    phone: str | None
    password: str


def read_new_user(body: Mapping[str, Any]) -> NewUser:
    """A new user as ``body`` describes it (id, name, role, optional phone, password); agents are added as
    agents, with their ACD settings (:class:`InvalidText` naming the field otherwise)."""
    user_id = NEW_AGENT_ID.read(body)
    if not _AGENT_ID_SHAPE.match(user_id):
        raise InvalidText("id", UiText("letters, digits, '.', '_' and '-' only, starting with a letter or digit"))
    name, role, phone = read_user(body)
    return NewUser(user_id, name, role, phone, NEW_PASSWORD.read(body))


def read_user(body: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """A user's name, role (not agent) and optional phone as ``body`` gives them."""
    name = AGENT_NAME.read(body)
    role = body.get("role")
    if role not in USER_ROLES:
        raise InvalidText("role", UiText("choose supervisor, campaign manager or admin (add agents as agents)"))
    phone = DIAL_STRING.read(body, "") or None
    if phone is not None:
        try:
            validate_dial_string(phone)
        except InvalidDialString:
            raise InvalidText("phone", UiText("expected a dial string such as PJSIP/1001")) from None
    return name, str(role), phone


def account_fields(account: Account) -> dict[str, Any]:
    """A web login as the admin API shows it (never its password hash)."""
    return {"id": account.id, "name": account.name, "role": account.role, "agent_id": account.agent_id,
            "phone": account.phone}


def agent_fields(config: AgentConfig) -> dict[str, Any]:
    """An agent as the admin API shows it (and the audit trail stores it)."""
    return {"id": config.id, "name": config.name, "phone": config.phone,
            "skills": dict(config.skills), "queues": list(config.queues)}


class SettingsAudit:
    """The admin console's records in the CRM database, written off the event loop: the agents and logins it
    creates or changes (so they outlive a restart) and, in the same transaction, the audit trail of who
    changed which setting, when, from what to what."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def _write(self, actor: str, entity_type: str, entity_key: str, action: str,
                     changes: Mapping[str, tuple[Any, Any]] | None, store: Callable[[Session], None]) -> None:
        at = self._clock()

        def write() -> None:
            with session_scope(self._sessions) as session:
                store(session)
                record_setting_change(session, at=at, actor=actor, entity_type=entity_type,
                                      entity_key=entity_key, action=action, changes=changes)

        await asyncio.to_thread(write)

    async def agent_added(self, actor: str, config: AgentConfig, account: Account) -> None:
        """Keep a new agent and its login; audit every field (never the password)."""
        fields = agent_fields(config)

        def store(session: Session) -> None:
            staff.save_agent(session, fields)
            staff.save_account(session, _account_row(account))

        await self._write(actor, "agent", config.id, "create", {k: (None, v) for k, v in fields.items()}, store)

    async def agent_changed(self, actor: str, old: AgentConfig, new: AgentConfig) -> None:
        """Keep an agent's new settings; audit the fields that changed, with their old and new values."""
        before, after = agent_fields(old), agent_fields(new)
        changes = {k: (before[k], after[k]) for k in after if before[k] != after[k]}
        await self._write(actor, "agent", new.id, "update", changes,
                          lambda session: staff.save_agent(session, after))

    async def queue_changed(self, actor: str, old: Mapping[str, Any], new: Mapping[str, Any],
                            kept: Mapping[str, Any]) -> None:
        """Keep the ``kept`` fields of a queue's ``[[queues]]`` entry over the seed (the file keeps the rest);
        audit the fields that changed."""
        changes = {k: (old.get(k), new.get(k)) for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)}
        await self._write(actor, "queue", str(new["name"]), "update", changes,
                          lambda session: staff.save_setting(session, "queue", str(new["name"]), dict(kept)))

    async def names_changed(self, actor: str, kind: str, old: list[str], new: list[str]) -> None:
        """Keep the changed list of skills or pause reasons (``kind``) over the seed; audit old and new."""
        await self._write(actor, kind, kind, "update", {"names": (old, new)},
                          lambda session: staff.save_setting(session, "names", kind, list(new)))

    async def account_added(self, actor: str, account: Account) -> None:
        """Keep a new web login; audit its name, role and phone (never the password)."""
        fields = {"name": account.name, "role": account.role, "phone": account.phone}
        await self._write(actor, "account", account.id, "create", {k: (None, v) for k, v in fields.items()},
                          lambda session: staff.save_account(session, _account_row(account)))

    async def account_changed(self, actor: str, old: Account, new: Account) -> None:
        """Keep a login's new name, role or phone; audit what changed, with the old and new values."""
        changes = {k: (getattr(old, k), getattr(new, k)) for k in ("name", "role", "phone")
                   if getattr(old, k) != getattr(new, k)}
        await self._write(actor, "account", new.id, "update", changes,
                          lambda session: staff.save_account(session, _account_row(new)))

    async def password_set(self, actor: str, account: Account, action: str) -> None:
        """Keep an account's new password hash; the audit says that it changed, never what it is."""
        await self._write(actor, "account", account.id, action, None,
                          lambda session: staff.save_account(session, _account_row(account)))

    async def latest(self, limit: int = 200) -> list[dict[str, Any]]:
        """The newest changes first, as the admin API shows them."""

        def read() -> list[dict[str, Any]]:
            with self._sessions() as session:
                return [
                    {"at": row.at, "actor": row.actor, "entity_type": row.entity_type, "entity_key": row.entity_key,
                     "action": row.action, "field": row.field, "old_value": row.old_value, "new_value": row.new_value}
                    for row in setting_changes(session, limit)
                ]

        return await asyncio.to_thread(read)


def _account_row(account: Account) -> dict[str, Any]:
    return {name: getattr(account, name) for name in staff.ACCOUNT_FIELDS}
