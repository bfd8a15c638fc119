"""Campaign settings are checked field by field, stored, and every change audited with who and when."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from storage_helpers import TUESDAY_10_NY, factory, new_campaign, settings

from crm_core.db import make_engine, make_session_factory, migrate, session_scope
from outbound import campaign_store
from outbound.campaigns import (
    CALLBACK,
    DO_NOT_CALL,
    FINISHED,
    PAUSED,
    RUNNING,
    STOPPED,
    CampaignError,
    CampaignSettings,
    StatusError,
    check_transition,
)
from outbound.rules import BUSY, INVALID, MACHINE


def test_settings_round_trip_through_json_and_make_the_rule_set() -> None:
    data = {
        "name": "  Spring   renewals ", "mode": "preview", "caller_id": "(212) 555-0199", "queue": "sales",
        "skills": ["english", "renewals"], "default_region": "us",
        "calling_hours": {"hours": [{"days": "mon-fri", "open": "09:00", "close": "20:00"},
                                    {"days": "sat", "open": "10:00", "close": "14:00"}],
                          "overrides": {"US-FL": {"hours": [{"days": "mon-sun", "open": "08:00", "close": "20:00"}],
                                                  "on_holidays": True}}},
        "retry": {"busy": {"retry": True, "delay": 300}, "machine": {"retry": False}},
        "max_attempts": 4, "max_attempts_per_day": 2, "other_campaign_gap": 0,
        "dispositions": [{"name": "sale", "kind": "final"}, {"name": "later", "kind": "callback"},
                         {"name": "never again", "kind": "do_not_call"}],
        "abandon_target": 0.02, "abandon_formula": "ofcom", "amd_false_positive": 0.05, "machine_rule": "message",
        "machine_message": " renewals/machine-note ", "abandon_message": "", "preview_dial_seconds": 20,
    }
    read = CampaignSettings.from_json(data)
    assert (read.abandon_formula, read.amd_false_positive, read.machine_rule) == ("ofcom", 0.05, "message")
    assert (read.machine_message, read.abandon_message, read.preview_dial_seconds) == ("renewals/machine-note", "", 20)
    assert (read.name, read.caller_id, read.default_region) == ("Spring renewals", "+12125550199", "US")
    assert CampaignSettings.from_json(json.loads(json.dumps(read.to_json()))) == read
    rules = read.rule_set(7)
    assert (rules.version, rules.max_attempts, rules.max_attempts_per_day) == ("7", 4, 2)
    assert rules.retry[BUSY].delay == 300 and not rules.retry[MACHINE].retry
    assert rules.windows.window_for("US", "FL").on_holidays
    assert read.to_json()["calling_hours"]["hours"] == [
        {"days": "mon-fri", "open": "09:00", "close": "20:00"}, {"days": "sat", "open": "10:00", "close": "14:00"}]
    kinds = {d.name: d.kind for d in read.dispositions}
    assert (kinds["later"], kinds["never again"]) == (CALLBACK, DO_NOT_CALL)
    assert read.disposition("unknown") is None


@pytest.mark.parametrize(("change", "field"), [
    ({"caller_id": "12345"}, "caller_id"),
    ({"caller_id": ""}, "caller_id"),
    ({"mode": "robocall"}, "mode"),
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"default_region": "XX"}, "default_region"),
    ({"calling_hours": {"hours": [{"days": "mon", "open": "21:00", "close": "08:00"}]}}, "calling_hours"),
    ({"calling_hours": {"overrides": {"Florida": {}}}}, "calling_hours"),
    ({"retry": {"answered": {"retry": True}}}, "retry"),
    ({"retry": {"busy": {"delay": -5}}}, "retry.busy.delay"),
    ({"max_attempts": 0}, "max_attempts"),
    ({"max_attempts": True}, "max_attempts"),
    ({"dispositions": [{"name": "a", "kind": "final"}, {"name": "a", "kind": "retry"}]}, "dispositions"),
    ({"dispositions": [{"name": "a", "kind": "maybe"}]}, "dispositions"),
    ({"abandon_target": 0.9}, "abandon_target"),
    ({"abandon_formula": "eu"}, "abandon_formula"),
    ({"amd_false_positive": -0.1}, "amd_false_positive"),
    ({"machine_rule": "voicemail"}, "machine_rule"),
    ({"machine_message": "sorry; hangup"}, "machine_message"),
    ({"abandon_message": "../secret.wav"}, "abandon_message"),
    ({"preview_dial_seconds": 2}, "preview_dial_seconds"),
    ({"preview_dial_seconds": "10"}, "preview_dial_seconds"),
])
def test_a_bad_field_is_refused_by_name(change: dict[str, object], field: str) -> None:
    with pytest.raises(CampaignError) as refused:
        settings(**change)
    assert refused.value.field == field


def test_status_moves_along_the_allowed_transitions() -> None:
    check_transition("draft", RUNNING)
    check_transition(RUNNING, PAUSED)
    check_transition(PAUSED, RUNNING)
    check_transition(STOPPED, RUNNING)
    for current, wanted in (("draft", PAUSED), (FINISHED, RUNNING), (RUNNING, "draft"), (RUNNING, "lost")):
        with pytest.raises(StatusError):
            check_transition(current, wanted)


def test_changes_are_audited_and_rule_changes_raise_the_rule_set_version(engine: Engine) -> None:
    sessions = factory(engine)
    created = new_campaign(sessions)
    assert (created.status, created.rules_version) == ("draft", 1)
    with session_scope(sessions) as session:
        renamed = campaign_store.update_campaign(session, created.id, settings(name="Spring 2025"), actor="bob",
                                                 at=TUESDAY_10_NY + 60)
        assert renamed.rules_version == 1  # a name is not a rule
        stricter = campaign_store.update_campaign(session, created.id, settings(name="Spring 2025", max_attempts=3),
                                                  actor="carl", at=TUESDAY_10_NY + 120)
        assert stricter.rules_version == 2 and stricter.rule_set().version == "2"
        running = campaign_store.set_status(session, created.id, RUNNING, actor="dora", at=TUESDAY_10_NY + 180)
        assert running.status == RUNNING
        with pytest.raises(StatusError):
            campaign_store.set_status(session, created.id, "draft", actor="dora", at=TUESDAY_10_NY + 200)
    with sessions() as session:
        trail = [(e.actor, e.action, e.field, e.old_value, e.new_value)
                 for e in campaign_store.campaign_history(session, created.id)]
    assert ("bob", "update", "name", '"Spring renewals"', '"Spring 2025"') in trail
    assert ("carl", "update", "max_attempts", "6", "3") in trail
    assert ("carl", "update", "rules_version", "1", "2") in trail
    assert ("dora", "status", "status", '"draft"', '"running"') in trail
    assert {action for _, action, *_ in trail} == {"create", "update", "status"}
    assert all(e[0] == "ann" for e in trail if e[1] == "create")


def test_campaign_names_are_unique_whatever_their_case(engine: Engine) -> None:
    sessions = factory(engine)
    new_campaign(sessions)
    with pytest.raises(CampaignError) as refused:
        new_campaign(sessions, name="SPRING RENEWALS")
    assert refused.value.field == "name"
    with sessions() as session:
        assert campaign_store.find_campaign(session, "spring renewals").name == "Spring renewals"
        with pytest.raises(campaign_store.CampaignNotFound):
            campaign_store.find_campaign(session, "autumn")


def test_campaigns_made_before_their_machine_and_abandon_rules_keep_what_the_dialer_did(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate(engine, "0011_rollups_per_call")
    old = settings()
    with engine.begin() as connection:  # a campaign as the schema before kept it
        connection.execute(text(
            "INSERT INTO campaigns (name, mode, caller_id, queue, skills, default_region, rules, rules_version,"
            " dispositions, abandon_target, status, created_by, created_at, updated_at) VALUES (:name, 'predictive',"
            " :caller_id, 'sales', '[]', 'US', :rules, 1, :dispositions, 0.03, 'running', 'ann', 0, 0)"),
            {"name": old.name, "caller_id": old.caller_id, "rules": json.dumps(old.rules_json()),
             "dispositions": json.dumps(old.to_json()["dispositions"])})
    migrate(engine)
    with session_scope(make_session_factory(engine)) as session:
        [kept] = campaign_store.list_campaigns(session)
    assert (kept.settings.machine_rule, kept.settings.abandon_formula, kept.settings.amd_false_positive) == (
        "hangup", "us", 0.03)
    # nor their recordings (the dialer's) or their preview cards (dialled by the agent only); and a number
    # the network says does not exist is not dialled again
    assert (kept.settings.machine_message, kept.settings.abandon_message, kept.settings.preview_dial_seconds) == (
        "", "", None)
    assert not kept.settings.rule_set(1).retry[INVALID].retry
    engine.dispose()
