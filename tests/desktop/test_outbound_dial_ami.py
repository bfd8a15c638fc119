"""Calls placed by hand over AMI: the agent's phone rings first, then the number through the site's outbound
route, with the desk's variables; a missing phone or a link down fails the placing, saying why."""

from __future__ import annotations

import time

import pytest
from test_desktop_supervision import RAW, RecordingOriginator

from acd.agents import MANUAL_CALL_PAUSE, AgentState
from acd.config import load_config
from acd.core import Acd
from acd.service import AcdService
from agent_desktop.services import DialFailed
from bus.eventbus import EventBus
from callcenter.outbound_dial import AmiCallPlacer


def make_placer() -> tuple[AmiCallPlacer, RecordingOriginator, AcdService]:
    originator = RecordingOriginator()
    service = AcdService(Acd(load_config(RAW), time.time), EventBus(), originator, agi=None)  # type: ignore[arg-type]
    return AmiCallPlacer(originator, service), originator, service


async def test_the_agents_phone_rings_then_the_number_is_dialled_through_the_outbound_route() -> None:
    placer, originator, _ = make_placer()
    reference = await placer.place_call("1001", "+12125550142", caller_id="+12125550199",
                                        variables={"campaign_id": "3", "lead_id": "42"})
    # the agent's channel is the call: its id is the reference the desk gets
    assert reference.startswith("manual-")
    assert originator.originated == [{"channel": "PJSIP/1001", "application": "Dial",
                                      "data": "Local/+12125550142@callcenter-outbound",
                                      "variables": {"campaign_id": "3", "lead_id": "42"}, "channel_id": reference}]


async def test_no_phone_or_no_link_fails_the_call_with_the_reason_and_the_agent_is_ready_again() -> None:
    placer, originator, service = make_placer()
    with pytest.raises(DialFailed, match="no phone"):
        await placer.place_call("9999", "+12125550142", caller_id=None, variables={})
    await service.set_ready("1001")
    originator.fail = True
    with pytest.raises(DialFailed, match="link down"):
        await placer.place_call("1001", "+12125550142", caller_id=None, variables={})
    assert service.acd.agent("1001").state is AgentState.READY


async def test_a_ready_agent_dialling_by_hand_is_paused_so_no_queue_offers_them_a_call() -> None:
    placer, _, service = make_placer()
    await service.set_ready("1001")
    await placer.place_call("1001", "+12125550142", caller_id=None, variables={})
    agent = service.acd.agent("1001")
    assert (agent.state, agent.reason) == (AgentState.NOT_READY, MANUAL_CALL_PAUSE)
    # an agent paused already keeps their own reason
    await service.set_not_ready("1001", "lunch")
    await placer.place_call("1001", "+12125550142", caller_id=None, variables={})
    assert service.acd.agent("1001").reason == "lunch"
