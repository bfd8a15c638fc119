"""Signing out of the desktop takes the agent out of the queues, so no call rings at an empty desk."""

from __future__ import annotations

import aiohttp

from agent_desktop.services import AgentControlRefused
from tests.desktop.conftest import Desk


async def sign_out(desk: Desk, client: aiohttp.ClientSession, token: str) -> str:
    """Post the sign-out form; the text of the login page it leads to."""
    async with client.post(desk.url("/logout"), data={"csrf_token": token}) as response:
        assert response.status == 200
        return await response.text()


async def test_signing_out_logs_the_agent_out_of_the_queues_and_says_so(desk: Desk) -> None:
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        async with client.post(desk.url("/api/agent/ready"), headers={"X-CSRF-Token": token}) as response:
            assert response.status == 202
        page = await sign_out(desk, client, token)
    assert desk.control.states["a1"] == "logged_out"
    assert "out of the queues" in page


async def test_an_agent_still_signed_in_elsewhere_stays_in_the_queues(desk: Desk) -> None:
    async with desk.session() as first, desk.session() as second:
        token = await desk.login(first, "agent1")
        await desk.login(second, "agent1")
        async with first.post(desk.url("/api/agent/ready"), headers={"X-CSRF-Token": token}) as response:
            assert response.status == 202
        page = await sign_out(desk, first, token)
    assert desk.control.states["a1"] == "ready"
    assert "out of the queues" not in page


async def test_signing_out_during_a_call_makes_the_agent_not_ready_after_it(desk: Desk) -> None:
    async def refuse_logout(agent_id: str) -> None:
        raise AgentControlRefused(f"agent {agent_id}: cannot go from on_call to logged_out")

    desk.control.logout = refuse_logout  # type: ignore[method-assign]
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        page = await sign_out(desk, client, token)
    assert desk.control.calls[-1] == ("not_ready", "a1", "break")
    assert "Once the call in progress ends you will be not ready" in page
