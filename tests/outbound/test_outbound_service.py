"""The outbound service over a real database: imports, running campaigns' hoppers, do-not-call taking effect at
once (and within the poll for other processes' entries), the story, an agent's disposition, the counts."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from outbound_helpers import FakeClock
from sqlalchemy import Engine
from storage_helpers import TUESDAY_10_NY, factory, write_csv

from crm_core.db import session_scope
from outbound import dnc_store
from outbound.campaign_store import StoredCampaign
from outbound.campaigns import RUNNING
from outbound.list_import import ImportSummary
from outbound.numbers import parse_number
from outbound.rules import NO_ANSWER
from outbound.service import RELEASE_HOLD, DispositionError, OutboundService

CAMPAIGN = {"name": "Spring renewals", "caller_id": "+12125550199", "queue": "sales", "default_region": "US"}
NUMBERS = ["212 234 5600", "212 234 5601", "212 234 5602", "808 234 5678"]  # New York (open), Hawaii (05:00)


@pytest_asyncio.fixture
async def service(engine: Engine, tmp_path: Path) -> AsyncIterator[OutboundService]:
    outbound = OutboundService(factory(engine), data_dir=tmp_path / "data", clock=FakeClock(TUESDAY_10_NY),
                               poll_seconds=3600)
    await outbound.start()
    try:
        yield outbound
    finally:
        await outbound.stop()


async def imported(service: OutboundService, campaign: StoredCampaign, tmp_path: Path,
                   numbers: list[str]) -> ImportSummary:
    source = write_csv(tmp_path / "list.csv", [["name", "phone"], *[[f"P{i}", n] for i, n in enumerate(numbers)]])
    upload = service.upload_path("list.csv")
    shutil.copy(source, upload)
    job = await service.start_import(campaign.id, upload, file_name="list.csv", actor="camp")
    for _ in range(200):
        job = await service.import_job(job.id)
        if job.over and not upload.exists():  # the upload is not kept once the leads are in the hopper
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"the import did not end, or its upload was kept ({job.status})")


async def test_a_number_put_on_the_list_is_not_dialled_even_when_already_selected(
        service: OutboundService, tmp_path: Path) -> None:
    campaign = await service.create_campaign(CAMPAIGN, actor="camp")
    assert (await imported(service, campaign, tmp_path, NUMBERS)).added == 4
    await service.set_status(campaign.id, RUNNING, actor="camp")
    lead = service.next_lead(campaign.id)
    assert lead is not None and lead.number.e164 == "+12122345600"

    clock = service.clock
    assert isinstance(clock, FakeClock)
    clock.now += 5
    await service.dnc_add(lead.number.e164, campaign_id=None, reason="asked on the phone", actor="camp")
    clock.now += 5
    decision = service.confirm(campaign.id, lead.id)
    assert (decision.released, decision.rule) == (False, "dnc")
    story = await service.story("(212) 234-5600")
    [verdict] = story.verdicts
    assert not verdict.will_be_dialled
    assert "will not be dialled: on the internal do-not-call list (by camp: asked on the phone)" in verdict.describe()
    assert [line.kind for line in story.lines] == ["imported", "released", "dnc_added", "skipped"]
    assert any("skipped by dnc" in text for text in story.describe())


async def test_an_entry_stored_by_another_process_stops_dialling_at_the_next_poll(
        service: OutboundService, tmp_path: Path) -> None:
    campaign = await service.create_campaign(CAMPAIGN, actor="camp")
    await imported(service, campaign, tmp_path, NUMBERS[:2])
    await service.set_status(campaign.id, RUNNING, actor="camp")
    lead = service.next_lead(campaign.id)
    assert lead is not None
    with session_scope(service.sessions) as session:  # as `callcenter dnc add` would
        dnc_store.add_number(session, lead.number, campaign_id=campaign.id, actor="cli:root", reason="complaint",
                             at=TUESDAY_10_NY)
    assert service.confirm(campaign.id, lead.id).released  # not seen yet
    hopper = service.hopper(campaign.id)
    assert hopper is not None
    hopper.outcome(lead.id, "busy")
    await service.sync_lists()
    second = service.next_lead(campaign.id)
    assert second is not None and second.id != lead.id
    assert service.confirm(campaign.id, second.id).released
    await service.dnc_remove(lead.number.e164, campaign_id=campaign.id, reason="withdrawn", actor="camp",
                             role="campaign_manager")
    await service.sync_lists()  # its own removal, read back, is not applied twice
    assert service.dnc.blocks(lead.number.digits, campaign.key) is None


async def test_an_agents_do_not_call_disposition_lists_the_number_for_every_process(
        service: OutboundService, tmp_path: Path) -> None:
    campaign = await service.create_campaign(CAMPAIGN, actor="camp")
    await imported(service, campaign, tmp_path, NUMBERS[:1])
    await service.set_status(campaign.id, RUNNING, actor="camp")
    lead = service.next_lead(campaign.id)
    assert lead is not None
    with pytest.raises(DispositionError):
        await service.dispose(campaign.id, lead.id, "maybe", by="agent:a1")
    await service.dispose(campaign.id, lead.id, "do not call", by="agent:a1")
    with service.sessions() as session:
        fresh, _ = dnc_store.load_lists(session)
        [change] = dnc_store.number_changes(session, lead.number.digits)
    hit = fresh.blocks(lead.number.digits)
    assert hit is not None and hit.entry is not None and hit.entry.added_by == "agent:a1"
    assert (change.actor, change.reason) == ("agent:a1", "do-not-call disposition")
    story = await service.story(lead.number.e164)
    assert any(line.kind == "outcome" and "do_not_call (do not call)" in line.text for line in story.lines)
    assert story.verdicts[0].decision.rule == "dnc"


async def test_counts_say_what_is_dialable_now_later_today_and_never_and_why(
        service: OutboundService, tmp_path: Path) -> None:
    campaign = await service.create_campaign(CAMPAIGN, actor="camp")
    await service.dnc_add(NUMBERS[2], campaign_id=campaign.id, reason="asked", actor="camp")
    await imported(service, campaign, tmp_path, NUMBERS)
    [view] = await service.campaigns()
    progress = view.progress
    assert (progress.total, progress.dialable_now, progress.later_today, progress.later, progress.never) == \
        (4, 2, 1, 0, 1)
    assert progress.never_by_reason == {"dnc": 1} and progress.waiting_by_reason == {"window": 1}
    assert progress.penetration == 0.0 and progress.expected_completion is None  # nothing dialled yet


async def test_leads_imported_into_a_running_campaign_join_its_hopper(service: OutboundService, tmp_path: Path) -> None:
    campaign = await service.create_campaign(CAMPAIGN, actor="camp")
    await service.set_status(campaign.id, RUNNING, actor="camp")
    assert service.next_lead(campaign.id) is None
    await imported(service, campaign, tmp_path, NUMBERS[:1])
    lead = service.next_lead(campaign.id)
    assert lead is not None and lead.number == parse_number("+12122345600")


async def test_a_lead_whose_dial_had_no_outcome_before_a_restart_is_not_dialled_again_until_the_hold_ends(
        service: OutboundService, engine: Engine, tmp_path: Path) -> None:
    campaign = await service.create_campaign(CAMPAIGN, actor="camp")
    await imported(service, campaign, tmp_path, NUMBERS[:3])
    await service.set_status(campaign.id, RUNNING, actor="camp")
    on_the_line, ended = service.next_lead(campaign.id), service.next_lead(campaign.id)
    assert on_the_line is not None and ended is not None
    await service.dial_ended(campaign.id, ended.id, NO_ANSWER)
    await service.read(lambda session: None)  # the releases are stored
    clock = FakeClock(service.clock() + 60)
    restarted = OutboundService(factory(engine), data_dir=tmp_path / "data", clock=clock, poll_seconds=3600)
    await restarted.start()
    try:
        # the third lead comes out; the one whose call may still be on does not, the one that ended waits its retry
        released = [lead.id for lead in iter(lambda: restarted.next_lead(campaign.id), None)]
        assert len(released) == 1 and not {on_the_line.id, ended.id} & set(released)
        clock.now += RELEASE_HOLD
        await asyncio.sleep(1.5)  # the service's once-a-second round lets go of the hold
        again = restarted.next_lead(campaign.id)
        assert again is not None and again.id == on_the_line.id
    finally:
        await restarted.stop()
