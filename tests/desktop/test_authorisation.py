"""Every HTTP route and every WebSocket message type, for every role and for nobody: the access table
is what the server enforces."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import aiohttp
import pytest

from acd.events import CallConnected, CallOffered
from agent_desktop.catalogue import HTTP_ROUTES, ROLES, WS_MESSAGES, HttpRoute
from ivr.caller import CallerData

if TYPE_CHECKING:
    from conftest import Desk

PATH_VALUES = {"filename": "live.js", "package": "pico", "call_id": "call-1", "customer_id": "c1", "agent_id": "a2",
               "campaign_id": "1", "job_id": "1", "account_id": "agent2", "ticket_id": "1", "article_id": "1",
               "queue": "support", "lead_id": "1", "report": "queue", "outbound_report": "disposition"}
CAMPAIGN = {"name": "Matrix", "caller_id": "+12125550199", "queue": "sales"}
BODIES = {
    "agent_not_ready": {"reason": "lunch"},
    "force_not_ready": {"reason": "training"},
    "call_disposition": {"disposition": "resolved", "notes": "fine"},
    "spy_on_call": {"mode": "whisper"},
    "call_customer_match": {"customer_id": "c1"},
    "call_transfer": {"queue": "sales"},
    "call_consult": {"agent": "a2"},
    "call_customer_create": {"name": "Matrix Person", "phone": "+15550000001"},
    "choose_language": {"language": "en"},
    "add_agent": {"id": "a9", "name": "New Agent", "phone": "PJSIP/1009", "password": "pw-agent9",
                  "skills": {"english": 5}, "queues": ["support"]},
    "update_agent": {"name": "Agent Two", "phone": "PJSIP/1002", "skills": {"english": 3}, "queues": ["sales"]},
    "reset_password": {"password": "pw-agent2"},  # the same one: later logins of the walk still work
    "change_password": {"old_password": "not it", "new_password": "whatever-9"},  # refused: no state changes
    "agent_set_auto_answer": {"seconds": None},
    "ticket_create": {"subject": "Walked", "priority": "low"},
    "ticket_update": {"status": "in_progress", "note": "walked"},
    "knowledge_create": {"title": "Walked", "body": "by the authorisation test"},
    "knowledge_update": {"title": "Walked again"},
    "add_account": {"id": "boss9", "name": "New Boss", "role": "supervisor", "password": "pw-boss9"},
    "update_queue": {"service_level": {"percent": 80, "seconds": 20}, "dispositions": ["resolved", "escalated"]},
    "update_account": {"name": "Agent Two", "role": "supervisor"},  # refused: agent2 is an agent's login
    "update_skills": {"names": ["billing", "english"]},
    "update_pause_reasons": {"names": ["break", "lunch", "training"]},  # as they were: the walk goes on
    "agent_dial": {"number": "+12125550100", "agent": "a1"},
    "preview_skip": {"reason": "wrong person"},
}


def concrete(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: PATH_VALUES[m.group(1)], path)


async def give_agent1_a_call(desk: Desk) -> None:
    """So that the allowed requests about a call or customer have something to act on."""
    desk.bus.publish(CallOffered(call_id="call-1", queue="support", agent_id="a1", caller=CallerData(customer_id="c1"),
                                 at=desk.clock()))
    desk.bus.publish(CallConnected(call_id="call-1", queue="support", agent_id="a1", wait_seconds=3.0,
                                   at=desk.clock()))


async def request(desk: Desk, client: aiohttp.ClientSession, route: HttpRoute, role: str | None,
                  token: str) -> aiohttp.ClientResponse:
    form: dict[str, str] | None = None
    body: dict[str, str] | None = None
    if route.name == "login":
        user = desk.role_user.get(role or "", "agent1")  # anybody may log in
        form = {"username": user, "password": f"pw-{user}", "csrf_token": token}
    elif route.method in ("POST", "PUT"):
        body = BODIES.get(route.name, {})
    response = await client.request(route.method, desk.url(concrete(route.path)), allow_redirects=False,
                                    headers={"X-CSRF-Token": token}, data=form, json=body)
    await response.read()
    return response


def test_every_registered_route_is_in_the_table(desk: Desk) -> None:
    registered = {(r.method, r.resource.canonical) for r in desk.app.router.routes() if r.resource}
    assert registered == {(r.method, r.path) for r in HTTP_ROUTES}


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "anonymous"])
async def test_http_matrix(desk: Desk, role: str | None) -> None:
    await give_agent1_a_call(desk)
    for route in HTTP_ROUTES:
        async with desk.session() as client:
            token = await desk.login(client, desk.role_user[role]) if role else await desk.anonymous_token(client)
            response = await request(desk, client, route, role, token)
        where = f"{route.method} {route.path} as {role}"
        assert response.status in route.all_answers(), f"{where}: {response.status} is not declared"
        if route.allows(role):
            assert response.status not in (401, 403), where
            assert response.status < 500, where
            assert (response.status, response.headers.get("Location")) != (302, "/login"), where
        elif role is None and route.kind == "page":
            assert response.status == 302 and response.headers["Location"] == "/login", where
        elif role is None:
            assert response.status == 401, where
        else:
            assert response.status == 403, where


async def test_allowed_requests_really_work(desk: Desk) -> None:
    await give_agent1_a_call(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        headers = {"X-CSRF-Token": token}
        async with client.get(desk.url("/api/customers/c1")) as response:
            assert response.status == 200
            assert (await response.json())["name"] == "Ada Lovelace"
        async with client.post(desk.url("/api/calls/call-1/disposition"), headers=headers,
                               json={"disposition": "resolved", "notes": "sorted"}) as response:
            assert response.status == 202
    assert desk.control.calls[-1] == ("dispose", "call-1", "a1", "resolved", "sorted")


async def test_an_agent_cannot_reach_another_agents_call_or_customer(desk: Desk) -> None:
    await give_agent1_a_call(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent2")
        async with client.get(desk.url("/api/customers/c1")) as response:
            assert response.status == 404
        async with client.post(desk.url("/api/calls/call-1/disposition"), headers={"X-CSRF-Token": token},
                               json={"disposition": "resolved"}) as response:
            assert response.status == 404
        async with client.get(desk.url("/api/agent/state")) as response:
            assert (await response.json())["pops"] == []
    assert not any(c[0] == "dispose" for c in desk.control.calls)


@pytest.mark.parametrize("role", ROLES)
async def test_websocket_matrix(desk: Desk, role: str) -> None:
    await give_agent1_a_call(desk)
    async with desk.session() as client:
        await desk.login(client, desk.role_user[role])
        async with client.ws_connect(desk.ws_url()) as ws:
            assert (await desk.next_message(ws))["type"] == "hello"
            for spec in WS_MESSAGES:
                replies = await desk.replies_to(ws, {"type": spec.type, "last_seq": 0, "call_id": "call-1"})
                refusals = [m for m in replies if m["type"] == "error" and m["code"] == "forbidden"]
                if role in spec.roles:
                    assert refusals == [], (spec.type, role)
                else:
                    assert [m["request_type"] for m in refusals] == [spec.type], (spec.type, role)


async def test_unknown_and_malformed_websocket_messages_are_answered_with_errors(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "super")
        async with client.ws_connect(desk.ws_url()) as ws:
            await desk.next_message(ws)
            await ws.send_str("not json")
            assert (await desk.next_message(ws))["code"] == "bad_request"
            await ws.send_json({"type": "agent.take_over_the_world"})
            reply = await desk.next_message(ws)
            assert (reply["code"], reply["request_type"]) == ("unknown_type", "agent.take_over_the_world")
            await ws.send_json({"type": "resync", "last_seq": "x"})
            assert (await desk.next_message(ws))["code"] == "bad_request"


async def test_websocket_refuses_anonymous_and_foreign_origins(desk: Desk) -> None:
    async with desk.session() as client:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await client.ws_connect(desk.ws_url())
        await desk.login(client, "super")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect(desk.ws_url(), headers={"Origin": "https://evil.example"})
        assert refused.value.status == 403


async def test_logout_ends_the_session_and_its_sockets(desk: Desk) -> None:
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        async with client.ws_connect(desk.ws_url()) as ws:
            await desk.next_message(ws)
            async with client.post(desk.url("/logout"), data={"csrf_token": token},
                                   allow_redirects=False) as response:
                assert response.status == 303
            closing = await ws.receive(timeout=2)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        async with client.get(desk.url("/api/me")) as response:
            assert response.status == 401


async def test_transfer_goes_to_the_acd_for_the_own_agent_or_a_floor_manager_only(desk: Desk) -> None:
    await give_agent1_a_call(desk)
    for user, agent_id, status in (("agent2", None, 404), ("agent1", "a1", 202), ("super", None, 202)):
        async with desk.session() as client:
            token = await desk.login(client, user)
            async with client.post(desk.url("/api/calls/call-1/transfer"), headers={"X-CSRF-Token": token},
                                   json={"queue": "sales"}) as response:
                assert response.status == status, user
        if status == 202:
            assert desk.control.calls[-1] == ("transfer", "call-1", agent_id, "sales")
    assert [c for c in desk.control.calls if c[0] == "transfer"] == [
        ("transfer", "call-1", "a1", "sales"), ("transfer", "call-1", None, "sales")]


async def test_transfer_needs_a_queue_a_talking_call_and_reports_a_refusal(desk: Desk) -> None:
    desk.bus.publish(CallOffered(call_id="call-1", queue="support", agent_id="a1", at=desk.clock()))
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        url, headers = desk.url("/api/calls/call-1/transfer"), {"X-CSRF-Token": token}
        async with client.post(url, headers=headers, json={"queue": "sales"}) as response:
            assert response.status == 409  # still ringing
        desk.bus.publish(CallConnected(call_id="call-1", queue="support", agent_id="a1", wait_seconds=1.0,
                                       at=desk.clock()))
        async with client.post(url, headers=headers, json={"queue": ""}) as response:
            assert response.status == 400
        desk.control.refuse = "no queue 'nowhere'"
        async with client.post(url, headers=headers, json={"queue": "nowhere"}) as response:
            assert response.status == 409 and "nowhere" in (await response.json())["error"]
    assert [c for c in desk.control.calls if c[0] == "transfer"] == [("transfer", "call-1", "a1", "nowhere")]
