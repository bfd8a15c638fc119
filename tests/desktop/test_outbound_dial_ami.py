"""Calls placed by hand over AMI: the agent's phone rings first, then the number through the site's outbound
route, with the desk's variables; a missing phone or a link down fails the placing, saying why."""

from __future__ import annotations

import asyncio
import time

import pytest
from test_desktop_supervision import RAW, RecordingOriginator

from acd.agents import MANUAL_CALL_PAUSE, AgentState
from acd.config import load_config
from acd.core import Acd
from acd.service import AcdService
from agent_desktop.services import DialFailed, NoManualCall
from bus.eventbus import EventBus
from bus.events import DomainEvent
from callcenter.outbound_dial import AmiCallPlacer
from cti.ami.events import ChannelHungUp, DialEnded
from outbound.dial_events import ManualCallDisposed, ManualCallEnded


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


def dial_end(call_id: str, status: str) -> DialEnded:
    return DialEnded(at=time.time(), channel="PJSIP/1001-00000001", uniqueid=call_id, dest_channel="Local/x;1",
                     dest_uniqueid="d1", linkedid=call_id, dial_status=status)


def hang_up(call_id: str) -> ChannelHungUp:
    return ChannelHungUp(at=time.time(), channel="PJSIP/1001-00000001", uniqueid=call_id, linkedid=call_id, cause=16,
                         cause_text="Normal Clearing")


def published(service: AcdService, kind: type[DomainEvent]) -> list[DomainEvent]:
    seen: list[DomainEvent] = []
    service.bus.add_listener(seen.append, kind)
    return seen


async def test_an_answered_call_keeps_its_agent_paused_until_they_save_its_wrap_up() -> None:
    placer, _, service = make_placer()
    disposed = published(service, ManualCallDisposed)
    await service.set_ready("1001")
    call_id = await placer.place_call("1001", "+12125550142", caller_id=None, variables={})
    with pytest.raises(NoManualCall):  # nothing to wrap up before the number answers
        await placer.wrap_up(call_id, "1001", "resolved", "")
    service.bus.publish(dial_end(call_id, "ANSWER"))
    service.bus.publish(hang_up(call_id))
    await asyncio.sleep(0.05)
    agent = service.acd.agent("1001")
    assert (agent.state, agent.reason) == (AgentState.NOT_READY, MANUAL_CALL_PAUSE)  # wrapping up
    with pytest.raises(NoManualCall):  # another agent's call
        await placer.wrap_up(call_id, "1002", "resolved", "")
    await placer.wrap_up(call_id, "1001", "follow_up", "ring back on Monday")
    assert [(e.call_id, e.disposition, e.notes) for e in disposed if isinstance(e, ManualCallDisposed)] == [
        (call_id, "follow_up", "ring back on Monday")]
    await asyncio.sleep(0.05)
    assert service.acd.agent("1001").state is AgentState.READY
    with pytest.raises(NoManualCall):  # once
        await placer.wrap_up(call_id, "1001", "resolved", "")


async def test_a_wrap_up_saved_during_the_talk_is_kept_until_the_call_ends() -> None:
    placer, _, service = make_placer()
    disposed = published(service, ManualCallDisposed)
    await service.set_ready("1001")
    call_id = await placer.place_call("1001", "+12125550142", caller_id=None, variables={})
    service.bus.publish(dial_end(call_id, "ANSWER"))
    await placer.wrap_up(call_id, "1001", "resolved", "sorted")
    assert not disposed
    service.bus.publish(hang_up(call_id))
    assert [(e.disposition, e.notes) for e in disposed if isinstance(e, ManualCallDisposed)] == [("resolved", "sorted")]
    await asyncio.sleep(0.05)
    assert service.acd.agent("1001").state is AgentState.READY


async def test_the_agent_is_ready_again_when_the_wrap_up_time_runs_out_or_at_once_after_no_answer() -> None:
    placer, _, service = make_placer()
    placer.wrap_up_seconds = 0.2
    ended = published(service, ManualCallEnded)
    await service.set_ready("1001")
    await service.set_ready("1002")
    talked = await placer.place_call("1001", "+12125550142", caller_id=None, variables={})
    busy = await placer.place_call("1002", "+12125550143", caller_id=None, variables={})
    service.bus.publish(dial_end(talked, "ANSWER"))
    service.bus.publish(dial_end(busy, "BUSY"))
    service.bus.publish(hang_up(talked))
    hung_up_at = time.time()
    service.bus.publish(hang_up(busy))
    await asyncio.sleep(0.05)
    assert service.acd.agent("1002").state is AgentState.READY
    assert service.acd.agent("1001").state is AgentState.NOT_READY
    # the agent's page counts down to the end of the wrap-up time; a call nobody answered has none
    until = {e.call_id: e.wrap_up_until for e in ended if isinstance(e, ManualCallEnded)}
    assert until[busy] is None
    assert until[talked] == pytest.approx(hung_up_at + 0.2, abs=0.05)
    await asyncio.sleep(0.3)
    assert service.acd.agent("1001").state is AgentState.READY
    await placer.wrap_up(talked, "1001", "resolved", "")  # a late disposition is still kept
    with pytest.raises(NoManualCall):  # a call nobody answered has no wrap-up
        await placer.wrap_up(busy, "1002", "resolved", "")
