"""The desk's outbound work through the dialer edge (on the PBX simulator): a preview card's lead dialled for
its agent and put through to them, the agent's campaign wrap-up (a call-back for them) taken once although the
ACD's disposal follows, and the dial level the wall shows."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from test_dialer_sim import CAMPAIGN, Rig, running_campaign
from test_dialer_sim import rig as rig  # the fixture, by its name

from acd.events import CallConnected
from agent_desktop.outbound_desk import CampaignDesk, NoPbx
from outbound.dial_events import CampaignDialPlaced


async def test_a_preview_cards_lead_is_dialled_for_its_agent_and_wrapped_up_once(
        rig: Rig, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    campaign_id = await running_campaign(rig, tmp_path, ("+12122345600",))
    await rig.outbound.update_campaign(campaign_id, {**CAMPAIGN, "mode": "preview"}, actor="camp")
    await rig.acd.set_ready("a1")
    await rig.acd.set_ready("a2")
    await rig.dialer.start()
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
