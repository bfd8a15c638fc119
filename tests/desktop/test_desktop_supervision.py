"""Supervisor actions: ChanSpy originations over AMI for listen/whisper/barge, forced states through the
ACD, and the wall's HTTP routes for them."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pytest

from acd.config import AgentConfig, load_config
from acd.core import Acd
from acd.service import AcdService
from agent_desktop.supervision import SpyMode, SupervisorActionFailed, SupervisorActionRefused
from bus.eventbus import EventBus
from callcenter.supervisor_actions import AcdSupervisor
from cti.ami.client import AmiDisconnected

if TYPE_CHECKING:
    from conftest import Desk

RAW = {
    "skills": [{"name": "support"}],
    "queues": [{"name": "support", "skills": {"support": 1}}],
    "agents": [
        {"id": "1001", "phone": "PJSIP/1001", "skills": {"support": 5}, "queues": ["support"]},
        {"id": "1002", "phone": "Local/1002@phones", "skills": {"support": 5}, "queues": ["support"]},
    ],
}


class RecordingOriginator:
    def __init__(self) -> None:
        self.originated: list[dict[str, Any]] = []
        self.fail = False

    async def originate(
        self, channel: str, *, application: str | None = None, data: str | None = None,
        caller_id: str | None = None, timeout_ms: int | None = None, variables: Mapping[str, str] | None = None,
        channel_id: str | None = None,
    ) -> str:
        if self.fail:
            raise AmiDisconnected("link down")
        self.originated.append({"channel": channel, "application": application, "data": data,
                                "variables": dict(variables or {}),
                                **({"channel_id": channel_id} if channel_id else {})})
        return "action-1"


def make_supervisor() -> tuple[AcdSupervisor, Acd, RecordingOriginator]:
    acd = Acd(load_config(RAW), time.time)
    originator = RecordingOriginator()
    service = AcdService(acd, EventBus(), originator, agi=None)  # type: ignore[arg-type]
    return AcdSupervisor(originator, service), acd, originator


def put_on_call(acd: Acd, agent_id: str, call_id: str) -> None:
    acd.login(agent_id, ready=True)
    acd.enqueue(call_id, "support")
    assert acd.agent(agent_id).call_id == call_id
    acd.answered(call_id)


@pytest.mark.parametrize(("mode", "options"), [("listen", "q"), ("whisper", "qw"), ("barge", "qB")])
async def test_spy_rings_the_supervisors_phone_into_chanspy_on_the_agents_channel(mode: str, options: str) -> None:
    supervisor, acd, originator = make_supervisor()
    put_on_call(acd, "1001", "call-7")
    await supervisor.spy("1001", "PJSIP/9001", SpyMode(mode))
    [sent] = originator.originated
    assert (sent["channel"], sent["application"]) == ("PJSIP/9001", "ChanSpy")
    # The trailing "-" keeps agent 1001's spy off agent 10010's channels.
    assert sent["data"] == f"PJSIP/1001-,{options}"
    assert sent["variables"] == {"CC_SPY_AGENT": "1001", "CC_SPY_CALL": "call-7"}


async def test_spy_reaches_an_agent_the_admin_console_added_while_the_node_runs() -> None:
    supervisor, acd, originator = make_supervisor()
    acd.add_agent(AgentConfig("2001", "Grace", phone="PJSIP/2001", skills=(("support", 7),), queues=("support",)))
    put_on_call(acd, "2001", "call-9")
    await supervisor.spy("2001", "PJSIP/9001", SpyMode.LISTEN)
    assert [sent["data"] for sent in originator.originated] == ["PJSIP/2001-,q"]


async def test_spy_on_a_local_channel_phone_uses_its_dial_string_as_prefix() -> None:
    supervisor, acd, originator = make_supervisor()
    put_on_call(acd, "1002", "call-8")
    await supervisor.spy("1002", "PJSIP/9001", SpyMode.LISTEN)
    assert originator.originated[0]["data"] == "Local/1002@phones-,q"


async def test_spy_is_refused_without_a_call_and_fails_cleanly_without_the_pbx() -> None:
    supervisor, acd, originator = make_supervisor()
    with pytest.raises(SupervisorActionRefused, match="logged_out"):
        await supervisor.spy("1001", "PJSIP/9001", SpyMode.LISTEN)
    acd.login("1001", ready=True)
    with pytest.raises(SupervisorActionRefused, match="not on a call"):
        await supervisor.spy("1001", "PJSIP/9001", SpyMode.BARGE)
    with pytest.raises(SupervisorActionRefused):
        await supervisor.spy("nobody", "PJSIP/9001", SpyMode.BARGE)
    acd.logout("1001")
    put_on_call(acd, "1002", "call-9")
    originator.fail = True
    with pytest.raises(SupervisorActionFailed, match="link down"):
        await supervisor.spy("1002", "PJSIP/9001", SpyMode.WHISPER)
    assert originator.originated == []


async def test_force_not_ready_and_logout_move_the_agent_but_never_log_one_in() -> None:
    supervisor, acd, _ = make_supervisor()
    with pytest.raises(SupervisorActionRefused, match="logged out"):
        await supervisor.force_not_ready("1001", "meeting")
    assert acd.agent("1001").state.value == "logged_out"
    acd.login("1001", ready=True)
    await supervisor.force_not_ready("1001", "meeting")
    assert (acd.agent("1001").state.value, acd.agent("1001").reason) == ("not_ready", "meeting")
    await supervisor.force_logout("1001")
    assert acd.agent("1001").state.value == "logged_out"
    with pytest.raises(SupervisorActionRefused, match="already logged out"):
        await supervisor.force_logout("1001")


async def test_force_ready_readies_a_paused_agent_only() -> None:
    supervisor, acd, _ = make_supervisor()
    with pytest.raises(SupervisorActionRefused, match="logged_out, not paused"):
        await supervisor.force_ready("1001")  # a supervisor never logs anybody in
    put_on_call(acd, "1002", "call-9")
    with pytest.raises(SupervisorActionRefused, match="on_call, not paused"):
        await supervisor.force_ready("1002")
    acd.login("1001", reason="break")
    await supervisor.force_ready("1001")
    assert acd.agent("1001").state.value == "ready"


async def test_wall_force_ready_route_readies_the_agent(desk: Desk) -> None:
    desk.control.states["a1"] = "not_ready"
    async with desk.session() as client:
        token = await desk.login(client, "super")
        async with client.post(desk.url("/api/agents/a1/ready"), headers={"X-CSRF-Token": token}) as response:
            assert response.status == 202
        async with client.post(desk.url("/api/agents/a1/ready"), headers={"X-CSRF-Token": token}) as response:
            assert response.status == 409  # ready already
    assert desk.control.states["a1"] == "ready"


async def test_force_not_ready_during_a_call_waits_for_the_call_to_end() -> None:
    supervisor, acd, _ = make_supervisor()
    put_on_call(acd, "1001", "call-3")
    await supervisor.force_not_ready("1001", "meeting")
    view = acd.agent("1001")
    assert (view.state.value, view.pending_pause) == ("on_call", "meeting")


async def test_wall_routes_spy_with_the_supervisors_own_phone(desk: Desk) -> None:
    async with desk.session() as client:
        token = await desk.login(client, "super")
        headers = {"X-CSRF-Token": token}
        url = desk.url("/api/agents/a2/spy")
        async with client.post(url, headers=headers, json={"mode": "barge"}) as response:
            assert response.status == 409  # a2 is not on a call
        await desk.control.set_ready("a2")
        desk.control.states["a2"] = "on_call"
        async with client.post(url, headers=headers, json={"mode": "eavesdrop"}) as response:
            assert response.status == 400
        async with client.post(url, headers=headers, json={"mode": "whisper", "phone": "PJSIP/666"}) as response:
            assert response.status == 202
    # The phone comes from the account, never from the request.
    assert desk.supervision.spies == [("a2", "PJSIP/9001", SpyMode.WHISPER)]


async def test_a_supervisor_without_a_phone_is_told_so(desk: Desk) -> None:
    desk.control.states["a2"] = "on_call"
    async with desk.session() as client:
        token = await desk.login(client, "camp")
        async with client.post(desk.url("/api/agents/a2/spy"), headers={"X-CSRF-Token": token},
                               json={"mode": "listen"}) as response:
            assert response.status == 403  # campaign managers do not supervise calls
    assert desk.supervision.spies == []
