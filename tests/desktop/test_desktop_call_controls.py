"""Hold, transfer to a queue or an agent, and consultation (attended transfer) through the HTTP API: who may
ask, what the ACD is asked, and which requests are refused before reaching it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from acd.events import (
    AgentStateChanged,
    CallConnected,
    CallEnded,
    CallHeld,
    CallOffered,
    ConsultEnded,
    ConsultStarted,
)
from ivr.caller import CallerData

if TYPE_CHECKING:
    from conftest import Desk

CALL = "call-1"
CONSULT = "call-1-consult-1"


def talking(desk: Desk, call_id: str = CALL, agent_id: str = "a1") -> None:
    desk.bus.publish(CallOffered(call_id=call_id, queue="support", agent_id=agent_id,
                                 caller=CallerData(customer_id="c1"),
                                 at=desk.clock()))
    desk.bus.publish(CallConnected(call_id=call_id, queue="support", agent_id=agent_id, wait_seconds=3.0,
                                   at=desk.clock()))


def held(desk: Desk) -> None:
    desk.bus.publish(CallHeld(call_id=CALL, queue="support", agent_id="a1", at=desk.clock()))


def consulting(desk: Desk, *, answered: bool) -> None:
    """a1 consults a2 about the caller; a2's phone rings, and is answered when ``answered``."""
    desk.bus.publish(ConsultStarted(call_id=CALL, agent_id="a1", consult_id=CONSULT, target_agent="a2",
                                    at=desk.clock()))
    held(desk)
    desk.bus.publish(CallOffered(call_id=CONSULT, queue="support", agent_id="a2", caller=CallerData(customer_id="c1"),
                                 consult_of=CALL, at=desk.clock()))
    if answered:
        desk.bus.publish(CallConnected(call_id=CONSULT, queue="support", agent_id="a2", wait_seconds=0.0,
                                       at=desk.clock()))


async def post(client: aiohttp.ClientSession, desk: Desk, token: str, path: str,
               body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    async with client.post(desk.url(path), headers={"X-CSRF-Token": token}, json=body or {}) as response:
        return response.status, await response.json()


# path suffix, body, the state the call must be in first, what the ACD is asked (agent id left out)
COMMANDS: dict[str, tuple[str, dict[str, str], Any, tuple[Any, ...]]] = {
    "transfer to a queue": ("/transfer", {"queue": "sales"}, None, ("transfer", CALL, "sales")),
    "transfer to an agent": ("/transfer", {"agent": "a2"}, None, ("transfer_to_agent", CALL, "a2")),
    "hold": ("/hold", {}, None, ("hold", CALL)),
    "resume": ("/resume", {}, held, ("resume", CALL)),
    "consult an agent": ("/consult", {"agent": "a2"}, None, ("consult", CALL, "a2", None)),
    "consult a queue": ("/consult", {"queue": "sales"}, None, ("consult", CALL, None, "sales")),
    "complete the consultation": ("/consult/complete", {}, lambda d: consulting(d, answered=True),
                                  ("complete_consult", CALL)),
    "cancel the consultation": ("/consult/cancel", {}, lambda d: consulting(d, answered=False),
                                ("cancel_consult", CALL)),
}


@pytest.mark.parametrize("command", COMMANDS)
async def test_a_call_command_reaches_the_acd_for_the_own_agent_or_a_floor_manager_only(
    desk: Desk, command: str
) -> None:
    suffix, body, prepare, asked = COMMANDS[command]
    talking(desk)
    if prepare is not None:
        prepare(desk)
    for user, agent_id, status in (("agent2", None, 404), ("camp", None, 403), ("agent1", "a1", 202),
                                   ("super", None, 202), ("root", None, 202)):
        async with desk.session() as client:
            token = await desk.login(client, user)
            answer = await post(client, desk, token, f"/api/calls/{CALL}{suffix}", body)
        assert answer[0] == status, (user, answer)
        if status == 202:
            assert desk.control.calls[-1] == (asked[0], CALL, agent_id, *asked[2:]), user
    assert len(desk.control.calls) == 3  # the refused ones never reached the ACD


async def test_commands_that_do_not_fit_the_call_are_refused_with_the_reason(desk: Desk) -> None:
    desk.bus.publish(CallOffered(call_id=CALL, queue="support", agent_id="a1", at=desk.clock()))
    async with desk.session() as client:
        token = await desk.login(client, "agent1")

        async def refused(suffix: str, body: dict[str, str] | None = None) -> str:
            status, answer = await post(client, desk, token, f"/api/calls/{CALL}{suffix}", body)
            assert status == 409, (suffix, answer)
            return str(answer["error"])

        assert "offered" in await refused("/hold")  # still ringing
        assert "offered" in await refused("/consult", {"agent": "a2"})
        desk.bus.publish(CallConnected(call_id=CALL, queue="support", agent_id="a1", wait_seconds=1,
                                       at=desk.clock()))
        assert "not on hold" in await refused("/resume")
        assert "no consultation" in await refused("/consult/complete")
        assert "no consultation" in await refused("/consult/cancel")
        held(desk)
        assert "already on hold" in await refused("/hold")
        consulting(desk, answered=False)
        assert "not answered yet" in await refused("/consult/complete")
        for suffix, body in (("/hold", None), ("/resume", None), ("/transfer", {"queue": "sales"}),
                             ("/consult", {"queue": "sales"})):
            assert "complete or cancel it first" in await refused(suffix, body)
        desk.bus.publish(CallEnded(call_id=CALL, queue="support", agent_id="a1", talk_seconds=9,
                                   at=desk.clock()))
        assert "ended" in await refused("/consult/cancel")  # the talk is over: so is its consultation
    assert desk.control.calls == []


async def test_the_colleague_cannot_hold_or_pass_on_a_consultation_nor_wrap_it_up_until_completed(
    desk: Desk,
) -> None:
    talking(desk)
    consulting(desk, answered=True)
    async with desk.session() as client:
        token = await desk.login(client, "agent2")
        for suffix, body in (("/hold", None), ("/transfer", {"queue": "sales"}), ("/consult", {"agent": "a1"})):
            status, answer = await post(client, desk, token, f"/api/calls/{CONSULT}{suffix}", body)
            assert status == 409 and "consultation" in answer["error"], suffix
        disposition = f"/api/calls/{CONSULT}/disposition"
        status, _ = await post(client, desk, token, disposition, {"disposition": "resolved"})
        assert status == 409
        desk.bus.publish(ConsultEnded(call_id=CALL, agent_id="a1", consult_id=CONSULT, outcome="completed",
                                      at=desk.clock()))
        status, _ = await post(client, desk, token, f"/api/calls/{CONSULT}/hold")
        assert status == 202  # the caller's call now
        desk.bus.publish(CallEnded(call_id=CONSULT, queue="support", agent_id="a2", talk_seconds=30,
                                   at=desk.clock()))
        status, _ = await post(client, desk, token, disposition, {"disposition": "resolved"})
        assert status == 202
    assert desk.control.calls == [("hold", CONSULT, "a2"), ("dispose", CONSULT, "a2", "resolved", "")]


@pytest.mark.parametrize("suffix", ["/transfer", "/consult"])
async def test_a_transfer_or_consultation_needs_exactly_one_valid_target(desk: Desk, suffix: str) -> None:
    talking(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        for body, words in (({}, "exactly one"), ({"queue": "sales", "agent": "a2"}, "exactly one"),
                            ({"queue": ""}, "queue:"), ({"queue": "q" * 65}, "queue:"), ({"agent": 7}, "agent:"),
                            ({"agent": "a" * 65}, "agent:"), ({"agent": "a1"}, "already with this agent")):
            status, answer = await post(client, desk, token, f"/api/calls/{CALL}{suffix}", body)
            assert status == 400 and words in answer["error"], (body, answer)
    async with desk.session() as client:
        token = await desk.login(client, "super")
        status, answer = await post(client, desk, token, f"/api/calls/{CALL}{suffix}", {"agent": "a1"})
        assert status == 400 and "already with this agent" in answer["error"]
    assert desk.control.calls == []


async def test_a_refusal_of_the_acd_is_answered_409_with_its_reason(desk: Desk) -> None:
    talking(desk)
    desk.control.refuse = "agent a2 is not ready"
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        for suffix in ("/consult", "/transfer"):
            status, answer = await post(client, desk, token, f"/api/calls/{CALL}{suffix}", {"agent": "a2"})
            assert (status, answer["error"]) == (409, "agent a2 is not ready")


async def test_transfer_targets_are_the_queues_and_the_agents_ready_now_but_not_the_asker(desk: Desk) -> None:
    def state(agent_id: str, new: str) -> None:
        desk.bus.publish(AgentStateChanged(agent_id=agent_id, state=new, previous="logged_out", at=desk.clock()))

    state("a1", "ready")
    state("a2", "ready")
    state("a3", "ready")
    state("a4", "not_ready")
    async with desk.session() as agent, desk.session() as boss, desk.session() as campaigns:
        await desk.login(agent, "agent1")
        async with agent.get(desk.url("/api/transfer-targets")) as response:
            targets = await response.json()
        assert targets == {"queues": ["support", "sales"],
                           "agents": [{"agent_id": "a3", "name": "a3"}, {"agent_id": "a2", "name": "Agent Two"}]}
        state("a3", "on_call")
        await desk.login(boss, "super")
        async with boss.get(desk.url("/api/transfer-targets")) as response:
            agents = (await response.json())["agents"]
        assert agents == [{"agent_id": "a1", "name": "Agent One"}, {"agent_id": "a2", "name": "Agent Two"}]
        await desk.login(campaigns, "camp")
        async with campaigns.get(desk.url("/api/transfer-targets")) as response:
            assert response.status == 403
