"""Do-not-call lists in the database: who added and removed what and why, every process brought in step,
and the national registry replaced whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from storage_helpers import TUESDAY_10_NY, factory, new_campaign

from crm_core.db import session_scope
from outbound import dnc_store
from outbound.dnc import DncError, DncPermissionError
from outbound.numbers import parse_number

NY = parse_number("+12125550100")
LA = parse_number("+13105550100")


def test_additions_and_removals_are_audited_and_removal_needs_the_role_and_a_reason(engine: Engine) -> None:
    sessions = factory(engine)
    campaign = new_campaign(sessions)
    with session_scope(sessions) as session:
        dnc_store.add_number(session, NY, campaign_id=None, actor="agent:a1", reason="do-not-call disposition",
                             at=TUESDAY_10_NY)
        dnc_store.add_number(session, NY, campaign_id=None, actor="agent:a2", reason="asked again",
                             at=TUESDAY_10_NY + 1)
        dnc_store.add_number(session, LA, campaign_id=campaign.id, actor="camp", reason="asked", at=TUESDAY_10_NY + 2)
        with pytest.raises(DncError):
            dnc_store.add_number(session, LA, campaign_id=None, actor="camp", reason="  ", at=TUESDAY_10_NY)
    with session_scope(sessions) as session:
        with pytest.raises(DncPermissionError):
            dnc_store.remove_number(session, NY, campaign_id=None, actor="agent:a1", role="agent", reason="mistake",
                                    at=TUESDAY_10_NY + 3)
        with pytest.raises(DncError, match="reason"):
            dnc_store.remove_number(session, NY, campaign_id=None, actor="camp", role="campaign_manager", reason="",
                                    at=TUESDAY_10_NY + 3)
        with pytest.raises(DncError, match="not on"):
            dnc_store.remove_number(session, LA, campaign_id=None, actor="camp", role="campaign_manager",
                                    reason="wrong list", at=TUESDAY_10_NY + 3)
        removed = dnc_store.remove_number(session, NY, campaign_id=None, actor="camp", role="campaign_manager",
                                          reason="customer consented again", at=TUESDAY_10_NY + 4)
    assert (removed.action, removed.role) == ("remove", "campaign_manager")
    with sessions() as session:
        assert dnc_store.number_listings(session, NY.digits) == []
        [listing] = dnc_store.number_listings(session, LA.digits)
        assert (listing.campaign_id, listing.added_by) == (campaign.id, "camp")
        trail = [(c.action, c.actor, c.reason) for c in dnc_store.number_changes(session, NY.digits)]
    assert trail == [("add", "agent:a1", "do-not-call disposition"), ("add", "agent:a2", "asked again"),
                     ("remove", "camp", "customer consented again")]


def test_another_process_takes_the_changes_in_including_removals(engine: Engine) -> None:
    sessions = factory(engine)
    with sessions() as session:
        theirs, seen = dnc_store.load_lists(session)
    with session_scope(sessions) as session:
        dnc_store.add_number(session, NY, campaign_id=None, actor="web", reason="asked", at=TUESDAY_10_NY)
        dnc_store.add_number(session, LA, campaign_id=None, actor="web", reason="asked", at=TUESDAY_10_NY)
    with session_scope(sessions) as session:
        dnc_store.remove_number(session, LA, campaign_id=None, actor="web", role="admin", reason="consented",
                                at=TUESDAY_10_NY + 1)
    cleared_before, _ = theirs.cleared_since(0)
    with sessions() as session:
        changes = dnc_store.changes_since(session, seen)
    dnc_store.apply_changes(theirs, changes)
    assert theirs.blocks(NY.digits) is not None and theirs.blocks(LA.digits) is None
    _, cleared = theirs.cleared_since(cleared_before)
    assert cleared == [LA.digits]  # hoppers re-consider the leads they parked for it
    with sessions() as session:
        fresh, _ = dnc_store.load_lists(session)
    assert fresh.blocks(NY.digits) is not None and fresh.blocks(LA.digits) is None


def test_a_published_registry_replaces_the_one_in_force(engine: Engine, tmp_path: Path) -> None:
    sessions = factory(engine)
    first_list = tmp_path / "first.txt"
    first_list.write_text("area code,number\n212,5550100\n(310) 555-0100\n")
    with session_scope(sessions) as session:
        first, built = dnc_store.import_registry(session, first_list, tmp_path, source_name="first.txt",
                                                 region="US", actor="cli", at=TUESDAY_10_NY)
    assert (built.numbers, built.skipped) == (2, 1)
    with sessions() as session:
        registry_id, registry = dnc_store.load_active_registry(session)
    assert registry_id == first.id and registry is not None and NY.digits in registry
    second_list = tmp_path / "second.txt"
    second_list.write_text("3105550100\n")
    with session_scope(sessions) as session:
        second, _ = dnc_store.import_registry(session, second_list, tmp_path, source_name="second.txt",
                                              region="US", actor="cli", at=TUESDAY_10_NY + 60)
    assert not Path(first.path).exists() and Path(second.path).exists()
    with sessions() as session:
        info = dnc_store.active_registry(session)
        _, registry = dnc_store.load_active_registry(session)
    assert info is not None and (info.id, info.source_name, info.numbers) == (second.id, "second.txt", 1)
    assert registry is not None and NY.digits not in registry and LA.digits in registry
