"""Agents and logins: the settings file seeds the database once; after that the stored ones (changed in
the admin console) are what a restarted node runs with."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from acd.config import ConfigError
from callcenter.staff_seed import seeded_staff
from crm_core import staff
from crm_core.audit import record_setting_change, setting_changes
from crm_core.db import make_session_factory, session_scope

HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
RAW: dict[str, Any] = {
    "queues": [{"name": "support"}],
    "agents": [{"id": 1001, "name": "Ada", "password": "pw-1001", "phone": "PJSIP/1001",
                "skills": {"english": 5}, "queues": ["support"]}],
    "users": [{"id": "root", "role": "admin", "password": "pw-root"}],
}


@pytest.fixture
def sessions(engine: Engine) -> Any:
    return make_session_factory(engine)  # on SQLite and on PostgreSQL


def test_the_settings_seed_an_empty_database_with_hashed_passwords(sessions: Any) -> None:
    raw, accounts = seeded_staff(sessions, RAW, hasher=HASHER)
    assert raw["agents"] == [{"id": "1001", "name": "Ada", "phone": "PJSIP/1001", "skills": {"english": 5},
                              "queues": ["support"]}]
    assert raw["queues"] == RAW["queues"]
    by_id = {a.id: a for a in accounts}
    assert (by_id["1001"].role, by_id["1001"].agent_id, by_id["root"].role) == ("agent", "1001", "admin")
    assert all(a.password_hash.startswith("$argon2") for a in accounts)
    assert HASHER.verify(by_id["root"].password_hash, "pw-root")


def test_once_seeded_the_stored_agents_and_logins_win_over_the_settings(sessions: Any) -> None:
    seeded_staff(sessions, RAW, hasher=HASHER)
    with session_scope(sessions) as session:
        staff.save_agent(session, {"id": "2001", "name": "Grace", "phone": "PJSIP/2001",
                                   "skills": {"english": 7}, "queues": ["support"]})
    renamed = {**RAW, "agents": [{**RAW["agents"][0], "name": "Ada Lovelace"}], "users": []}
    raw, accounts = seeded_staff(sessions, renamed, hasher=HASHER)
    assert [(a["id"], a["name"]) for a in raw["agents"]] == [("1001", "Ada"), ("2001", "Grace")]
    assert {a.id for a in accounts} == {"1001", "root"}


def test_settings_that_cannot_seed_store_nothing(sessions: Any) -> None:
    with pytest.raises(ConfigError, match="unknown queue"):
        seeded_staff(sessions, {**RAW, "agents": [{**RAW["agents"][0], "queues": ["nowhere"]}]}, hasher=HASHER)
    with sessions() as session:
        assert staff.is_empty(session)


def test_setting_changes_keep_who_what_when_and_both_values_newest_first(sessions: Any) -> None:
    with session_scope(sessions) as session:
        record_setting_change(session, at=1.0, actor="root", entity_type="agent", entity_key="2001",
                              action="create", changes={"skills": (None, {"fr": 7})})
        record_setting_change(session, at=2.0, actor="root", entity_type="agent", entity_key="2001",
                              action="update", changes={"skills": ({"fr": 7}, {"fr": 9, "en": 2})})
        record_setting_change(session, at=3.0, actor="root", entity_type="account", entity_key="2001",
                              action="reset_password")
    with sessions() as session:
        rows = [(r.at, r.action, r.field, r.old_value, r.new_value) for r in setting_changes(session)]
    assert rows == [(3.0, "reset_password", None, None, None),
                    (2.0, "update", "skills", '{"fr":7}', '{"en":2,"fr":9}'),
                    (1.0, "create", "skills", None, '{"fr":7}')]
