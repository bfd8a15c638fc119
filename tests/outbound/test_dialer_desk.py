"""The desk's outbound work through the dialer edge (on the PBX simulator): a preview card's lead dialled for
its agent and put through to them, the agent's campaign wrap-up (a call-back for them) taken once although the
ACD's disposal follows, the dial level the wall shows, and a call-back kept for one agent dialled for them
(or, once they stay busy past the grace, for anyone)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from test_dialer_sim import CAMPAIGN, Rig, running_campaign
from test_dialer_sim import rig as rig  # the fixture, by its name

from acd.agents import AgentState
from acd.events import CallConnected
from agent_desktop.outbound_desk import CampaignDesk, NoPbx
from outbound.dial_events import CampaignDialPlaced
from outbound.dialer import DialerSettings


async def test_a_preview_cards_lead_is_dialled_for_its_agent_and_wrapped_up_once(
        rig: Rig, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345600",))
    await rig.outbound.update_campaign(campaign_id, {**CAMPAIGN, "mode": "preview"}, actor="camp")
    await rig.acd.set_ready("a1")
    await rig.acd.set_ready("a2")
    await rig.dialer.start()
    await rig.until(lambda: campaign_id in rig.dialer.dial_levels(), "the dialer's first round to see the campaign")
    desk = CampaignDesk(rig.outbound, NoPbx(), agent_queues=lambda agent: ("sales",), dialer=rig.dialer)
    preview = await desk.preview("a2")
    assert preview is not None and preview.number == "+12122345600"
    assert rig.dialer.dial_levels() == {campaign_id: 0.0}  # nothing in progress yet
    placed = await desk.dial_preview("a2", preview.lead_id)
    [dialled] = rig.of(CampaignDialPlaced)
    assert (dialled.attempt_id, dialled.lead_id, dialled.agent_id) == (placed.reference, preview.lead_id, "a2")
    assert rig.dialer.dial_levels() == {campaign_id: 0.5}  # one line, two agents
    await rig.until(lambda: rig.of(CallConnected), "the person to reach a2")
    [connected] = rig.of(CallConnected)
    assert (connected.call_id, connected.agent_id) == (placed.reference, "a2")
    # The desk's wrap-up (what POST /api/calls/{id}/campaign-disposition does), then the ACD's disposal.
    callback_at = rig.dialer.clock() + 86400
    await rig.outbound.dispose(campaign_id, preview.lead_id, "call back", by="a2", callback_at=callback_at,
                               callback_agent="a2")
    await rig.acd.dispose(placed.reference, "a2", "call back", "")
    await rig.until(lambda: placed.reference not in rig.dialer._handed, "the dialer to take the disposal")
    hopper = rig.outbound.hopper(campaign_id)
    assert hopper is not None and hopper.history(preview.lead_id).callback_at == callback_at
    assert await rig.outbound.callback_agent(preview.lead_id) == "a2"
    # The ACD's "call back" (with no time) cannot decide the lead again, and the dialer does not try to.
    await asyncio.sleep(0.3)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.records
    assert hopper.history(preview.lead_id).callback_at == callback_at


async def callback_for_a2(rig: Rig, tmp_path: Path, *, due_in: float, others: tuple[str, ...] = ()
                          ) -> tuple[int, int, float]:
    """A running campaign whose first lead (a person) has a call-back kept for a2, due ``due_in`` seconds from
    now, and leads of ``others`` not dialled yet: (campaign id, lead id, when it is due)."""
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345600", *others))
    lead = rig.outbound.next_lead(campaign_id)  # out of the hopper, as for the call the agent wrapped up
    assert lead is not None
    due = rig.dialer.clock() + due_in
    await rig.outbound.dispose(campaign_id, lead.id, "call back", by="a2", callback_at=due, callback_agent="a2")
    return campaign_id, lead.id, due


async def test_a_call_back_kept_for_an_agent_is_dialled_for_that_agent(rig: Rig, tmp_path: Path) -> None:
    _, lead_id, due = await callback_for_a2(rig, tmp_path, due_in=20.0)
    await rig.acd.set_ready("a1")  # ready longest: the one a round would hold first
    await rig.acd.set_ready("a2")
    await rig.dialer.start()
    await rig.until(lambda: rig.of(CampaignDialPlaced), "the call-back to be dialled")
    [dialled] = rig.of(CampaignDialPlaced)
    assert (dialled.lead_id, dialled.agent_id) == (lead_id, "a2") and dialled.at >= due
    await rig.until(lambda: rig.of(CallConnected), "the person to reach a2")
    [connected] = rig.of(CallConnected)
    assert (connected.call_id, connected.agent_id) == (dialled.attempt_id, "a2")
    assert {a.agent_id: a.state for a in rig.acd.agents_of("sales")}["a1"] is AgentState.READY


async def test_a_call_back_waits_for_its_busy_agent_then_anyone_takes_it(rig: Rig, tmp_path: Path) -> None:
    rig.dialer.settings = DialerSettings(tick_seconds=0.05, ring_seconds=15, callback_grace=40.0)
    _, lead_id, due = await callback_for_a2(rig, tmp_path, due_in=10.0, others=("+12122345601",))  # 601: busy
    await rig.acd.set_not_ready("a2", "break")  # not free for their call-back
    await rig.dialer.start()
    await rig.until(lambda: rig.dialer.clock() > due + 1.0, "the call-back to be due")
    await rig.acd.set_ready("a1")
    await rig.until(lambda: len(rig.of(CampaignDialPlaced)) == 2, "both leads to be dialled")
    other, callback = rig.of(CampaignDialPlaced)
    # The waiting call-back does not keep a1 from the other lead meanwhile...
    assert other.lead_id != lead_id and other.agent_id == "a1" and other.at < due + 40.0
    # ...and goes to a1 only once the grace is over.
    assert (callback.lead_id, callback.agent_id) == (lead_id, "a1") and callback.at >= due + 40.0
