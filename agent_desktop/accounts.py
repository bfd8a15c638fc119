"""Web accounts: who may log in, with which role, and (for agents) which ACD agent they are.

Accounts come from the parsed ``callcenter.toml``: every ``[[agents]]`` entry with a password is an
agent account (``id``, ``name``, ``password``), every ``[[users]]`` entry is an account with its own
``role`` (optional ``agent_id``, and ``phone``: the dial string a supervisor listens on). A password
is either plain text (hashed at load) or an argon2 hash (``$argon2...``, kept). Passwords are only ever stored hashed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from agent_desktop.catalogue import ADMIN, AGENT, ROLES, SUPERVISOR
from asterisk_conf.dialstring import InvalidDialString, validate_dial_string

# Technology/resource, no spaces or control characters (the AMI refuses CR/LF anyway).


class AccountConfigError(ValueError):
    """An ``[[agents]]`` or ``[[users]]`` entry cannot become an account."""


@dataclasses.dataclass(frozen=True, slots=True)
class Account:
    """A web user; ``agent_id`` links an agent account to its ACD agent; ``phone`` (a dial string such
    as ``PJSIP/9001``) is where a supervisor's listen/whisper/barge rings."""

    id: str
    name: str
    role: str
    password_hash: str = dataclasses.field(repr=False)
    agent_id: str | None = None
    phone: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Credential:
    """A clear-text login for a demo account, for printing at start-up."""

    username: str
    password: str
    role: str


class AccountStore:
    """Accounts by id, with constant-work password checks (unknown users cost one hash too)."""

    def __init__(self, accounts: Iterable[Account], *, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._accounts: dict[str, Account] = {}
        for account in accounts:
            if account.id in self._accounts:
                raise AccountConfigError(f"duplicate account id {account.id!r}")
            self._accounts[account.id] = account
        # Verified against when the user does not exist, so timing does not reveal who exists.
        self._decoy_hash = self.hasher.hash("decoy password")

    def __len__(self) -> int:
        return len(self._accounts)

    def __iter__(self) -> Iterator[Account]:
        return iter(self._accounts.values())

    def get(self, account_id: str) -> Account | None:
        return self._accounts.get(account_id)

    def add(self, account: Account) -> None:
        """A new account (created by an admin); :class:`AccountConfigError` when its id is taken."""
        if account.id in self._accounts:
            raise AccountConfigError(f"duplicate account id {account.id!r}")
        self._accounts[account.id] = account

    def replace(self, account: Account) -> None:
        """Change an existing account (its name, role or phone), effective from its next request."""
        if account.id not in self._accounts:
            raise KeyError(account.id)
        self._accounts[account.id] = account

    def set_password_hash(self, account_id: str, password_hash: str) -> None:
        """Replace the password of an existing account (already hashed: hashing belongs off the event loop)."""
        self._accounts[account_id] = dataclasses.replace(self._accounts[account_id], password_hash=password_hash)

    def password_matches(self, account: Account, password: str) -> bool:
        """Whether ``password`` is the account's (slow on purpose: call it from a worker thread)."""
        try:
            return self.hasher.verify(account.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account if ``password`` is right, else None."""
        account = self._accounts.get(username)
        try:
            self.hasher.verify(account.password_hash if account else self._decoy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return account


def _password_hash(entry: Mapping[str, Any], where: str, hasher: PasswordHasher) -> str:
    secret = entry.get("password_hash") or entry.get("password")
    if not isinstance(secret, str) or not secret:
        raise AccountConfigError(f"{where}: a password or password_hash is required")
    return secret if secret.startswith("$argon2") else hasher.hash(secret)


def accounts_from_config(raw: Mapping[str, Any], *, hasher: PasswordHasher) -> list[Account]:
    """Accounts declared in the parsed settings file (``[[agents]]`` with a password, ``[[users]]``)."""
    accounts: list[Account] = []
    for index, entry in enumerate(raw.get("agents", ()) or ()):
        if not (entry.get("password") or entry.get("password_hash")):
            continue  # an ACD agent without a web login
        agent_id = str(entry.get("id") or "")
        if not agent_id:
            raise AccountConfigError(f"agents[{index}]: id is required")
        accounts.append(Account(
            id=agent_id,
            name=str(entry.get("name") or agent_id),
            role=AGENT,
            password_hash=_password_hash(entry, f"agents[{index}]", hasher),
            agent_id=agent_id,
        ))
    for index, entry in enumerate(raw.get("users", ()) or ()):
        where = f"users[{index}]"
        user_id = str(entry.get("id") or "")
        role = str(entry.get("role") or "")
        if not user_id:
            raise AccountConfigError(f"{where}: id is required")
        if role not in ROLES:
            raise AccountConfigError(f"{where}: role must be one of {', '.join(ROLES)}, not {role!r}")
        agent_id = entry.get("agent_id")
        if role == AGENT and not agent_id:
            raise AccountConfigError(f"{where}: an agent account needs agent_id")
        phone = entry.get("phone")
        if phone is not None:
            if not isinstance(phone, str):
                raise AccountConfigError(f"{where}.phone: expected a dial string like PJSIP/9001, not {phone!r}")
            try:
                validate_dial_string(phone, f"{where}.phone")
            except InvalidDialString as exc:
                raise AccountConfigError(str(exc)) from None
        accounts.append(Account(
            id=user_id,
            name=str(entry.get("name") or user_id),
            role=role,
            password_hash=_password_hash(entry, where, hasher),
            agent_id=str(agent_id) if agent_id else None,
            phone=phone,
        ))
    return accounts


# Phones the demo supervisor and admin listen on (the simulator answers any phone).
DEMO_PHONES = {SUPERVISOR: "PJSIP/9001", ADMIN: "PJSIP/9002"}


def demo_credentials() -> list[Credential]:
    """One well-known demo login per role (user name = password); for demo mode only."""
    names = {role: f"demo-{role.replace('_', '-')}" for role in ROLES}
    return [Credential(name, name, role) for role, name in names.items()]


def load_accounts(
    raw: Mapping[str, Any], *, demo: bool, hasher: PasswordHasher | None = None,
    stored: Iterable[Account] | None = None,
) -> tuple[AccountStore, list[Credential]]:
    """Accounts from config (or the ``stored`` ones, which the config seeded), plus (with ``demo``) a demo
    account per role and their clear-text logins.

    The demo agent account drives the first configured ACD agent (under that agent's name, so the desktop
    and the wall call the same person the same), or agent ``demo-agent``.
    """
    hasher = hasher or PasswordHasher()
    accounts = list(stored) if stored is not None else accounts_from_config(raw, hasher=hasher)
    credentials: list[Credential] = []
    if demo:
        agents = raw.get("agents", ()) or ()
        demo_agent_id = str(agents[0].get("id")) if agents and agents[0].get("id") else "demo-agent"
        demo_agent_name = str(agents[0].get("name") or "") if agents else ""
        credentials = demo_credentials()
        for cred in credentials:
            accounts.append(Account(
                id=cred.username,
                name=(cred.role == AGENT and demo_agent_name) or f"Demo {cred.role.replace('_', ' ')}",
                role=cred.role,
                password_hash=hasher.hash(cred.password),
                agent_id=demo_agent_id if cred.role == AGENT else None,
                phone=DEMO_PHONES.get(cred.role),
            ))
    return AccountStore(accounts, hasher=hasher), credentials
