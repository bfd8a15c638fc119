"""Queues, skills and pause reasons changed in the admin console outlive a restart: stored over the seed of
``callcenter.toml``, what a restarted node loads, and the settings file still seeds what was never changed."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from acd.config import load_config
from agent_desktop.config import desktop_config_from_raw
from callcenter.staff_seed import seeded_staff
from crm_core import staff
from crm_core.db import make_session_factory, session_scope

HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
RAW: dict[str, Any] = {
    "skills": [{"name": "english"}],
    "queues": [{"name": "support", "dispositions": ["resolved"]}, {"name": "sales"}],
    "agents": [{"id": "1001", "name": "Ada", "password": "pw-1001", "phone": "PJSIP/1001",
                "skills": {"english": 5}, "queues": ["support"]}],
    "acd": {"pause_reasons": ["break", "lunch"]},
}


@pytest.fixture
def sessions(engine: Engine) -> Any:
    return make_session_factory(engine)  # on SQLite and on PostgreSQL


def test_changed_queues_and_lists_are_what_a_restarted_node_runs_with(sessions: Any) -> None:
    seeded_staff(sessions, RAW, hasher=HASHER)
    kept = {"dispositions": ["resolved", "refund"], "alerts": {"longest_wait": 45.0}, "max_length": None,
            "service_level": {"percent": 90.0, "seconds": 15.0}}
    with session_scope(sessions) as session:
        staff.save_setting(session, "queue", "support", kept)
        staff.save_setting(session, "names", "skills", ["english", "french"])
        staff.save_setting(session, "names", "pause_reasons", ["coaching"])
    # The file still says the rest: here, a queue limit the console has since lifted, and the calls' skills.
    file = {**RAW, "queues": [{**RAW["queues"][0], "max_length": 5, "skills": {"english": 2}}, RAW["queues"][1]]}
    raw, _ = seeded_staff(sessions, file, hasher=HASHER)
    acd = load_config(raw)
    support = acd.queue("support")
    assert (support.dispositions, support.alert_wait_seconds, support.service_level_percent) == (
        ("resolved", "refund"), 45.0, 90.0)
    assert (support.max_length, support.skills) == (None, (("english", 2),))
    assert acd.queue("sales") == load_config(RAW).queue("sales")  # never changed: as the file says
    assert acd.skills == ("english", "french") and "coaching" in acd.pause_reasons
    desktop = desktop_config_from_raw(raw)
    assert desktop.dispositions["support"] == ("resolved", "refund")
    assert desktop.pause_reasons == ("coaching",)
    assert (desktop.targets["support"].sl_target, desktop.targets["support"].alert_wait_seconds) == (0.9, 45.0)
