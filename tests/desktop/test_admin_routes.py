"""The admin API: adding an agent to the running ACD (checked, audited, with a login that works at once),
resetting and changing passwords, and the audit trail naming who changed what, when, from what to what."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Desk

GRACE = {"id": "2001", "name": "Grace Hopper", "phone": "PJSIP/2001", "password": "pw-grace-2001",
         "skills": {"english": 7}, "queues": ["support"]}


async def post(desk: Desk, user: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with desk.session() as client:
        token = await desk.login(client, user)
        async with client.post(desk.url(path), json=body, headers={"X-CSRF-Token": token}) as response:
            return response.status, await response.json()


async def audit(desk: Desk) -> list[dict[str, Any]]:
    async with desk.session() as client:
        await desk.login(client, "root")
        async with client.get(desk.url("/api/admin/audit")) as response:
            changes: list[dict[str, Any]] = (await response.json())["changes"]
            return changes


async def test_an_added_agent_is_in_the_acd_can_log_in_and_is_audited(desk: Desk) -> None:
    status, added = await post(desk, "root", "/api/admin/agents", GRACE)
    assert status == 201
    assert added == {k: v for k, v in GRACE.items() if k != "password"}
    assert ("add_agent", "2001") in desk.control.calls
    assert await desk.can_log_in("2001", "pw-grace-2001")
    async with desk.session() as client:
        await desk.login(client, "2001", "pw-grace-2001")
        async with client.get(desk.url("/api/me")) as response:
            assert (await response.json())["role"] == "agent"
        async with client.get(desk.url("/desktop")) as response:
            assert response.status == 200
    async with desk.session() as client:
        await desk.login(client, "root")
        async with client.get(desk.url("/api/admin/agents")) as response:
            listing = await response.json()
    grace = next(a for a in listing["agents"] if a["id"] == "2001")
    assert grace["skills"] == {"english": 7} and grace["queues"] == ["support"] and grace["login"] is True
    changes = {c["field"]: c for c in await audit(desk)}
    assert changes["skills"]["actor"] == "root" and changes["skills"]["action"] == "create"
    assert changes["skills"]["entity_type"] == "agent" and changes["skills"]["entity_key"] == "2001"
    assert changes["skills"]["old_value"] is None and json.loads(changes["skills"]["new_value"]) == {"english": 7}
    assert changes["skills"]["at"] == desk.clock()
    assert "password" not in changes and not any("pw-grace" in (c["new_value"] or "") for c in changes.values())


@pytest.mark.parametrize(("change", "error"), [
    ({"skills": {"flying": 3}}, "skills: unknown skill flying"),
    ({"skills": {"english": 11}}, "skills: the level of english must be a whole number from 1 to 10"),
    ({"skills": {"english": True}}, "skills: the level of english must be a whole number from 1 to 10"),
    ({"queues": []}, "queues: choose at least one queue"),
    ({"queues": ["nowhere"]}, "queues: unknown queue nowhere"),
    ({"phone": "PJSIP/20\r\n01"}, "phone: control character U+000D at character 9 is not allowed"),
    ({"phone": "2001"}, "phone: expected a dial string such as PJSIP/1001"),
    ({"id": "20 01"}, "id: letters, digits, '.', '_' and '-' only, starting with a letter or digit"),
    ({"id": ""}, "id: required"),
    ({"password": "short"}, "password: at least 8 characters"),
])
async def test_a_wrong_agent_is_refused_with_the_field_and_changes_nothing(
        desk: Desk, change: dict[str, Any], error: str) -> None:
    status, answer = await post(desk, "root", "/api/admin/agents", GRACE | change)
    assert (status, answer) == (400, {"error": error})
    assert not any(c[0] == "add_agent" for c in desk.control.calls)
    assert await audit(desk) == []


async def test_a_taken_id_or_an_acd_refusal_is_a_conflict_and_leaves_no_login(desk: Desk) -> None:
    status, answer = await post(desk, "root", "/api/admin/agents", GRACE | {"id": "agent2"})
    assert (status, answer) == (409, {"error": "an agent or account agent2 exists already"})
    status, _ = await post(desk, "root", "/api/admin/agents", GRACE | {"id": "a1"})
    assert status == 409
    desk.control.refuse = "unknown queue 'support'"
    status, answer = await post(desk, "root", "/api/admin/agents", GRACE)
    assert (status, answer) == (409, {"error": "unknown queue 'support'"})
    assert not await desk.can_log_in("2001", "pw-grace-2001")
    assert await audit(desk) == []


async def test_an_admin_resets_a_password_and_the_old_one_stops_working(desk: Desk) -> None:
    status, _ = await post(desk, "root", "/api/admin/accounts/agent2/password", {"password": "new-secret-2"})
    assert status == 200
    assert not await desk.can_log_in("agent2", "pw-agent2")
    assert await desk.can_log_in("agent2", "new-secret-2")
    [change] = await audit(desk)
    assert (change["actor"], change["entity_key"], change["action"], change["new_value"]) == (
        "root", "agent2", "reset_password", None)
    status, answer = await post(desk, "root", "/api/admin/accounts/nobody/password", {"password": "new-secret-2"})
    assert (status, answer) == (404, {"error": "no such account"})


async def test_the_owner_changes_a_password_only_with_the_current_one(desk: Desk) -> None:
    status, answer = await post(desk, "super", "/api/me/password",
                                {"old_password": "wrong one", "new_password": "brand-new-1"})
    assert (status, answer) == (400, {"error": "the current password is wrong"})
    assert await desk.can_log_in("super", "pw-super")
    status, _ = await post(desk, "super", "/api/me/password",
                           {"old_password": "pw-super", "new_password": "brand-new-1"})
    assert status == 200
    assert not await desk.can_log_in("super", "pw-super")
    assert await desk.can_log_in("super", "brand-new-1")
    assert [(c["actor"], c["action"]) for c in await audit(desk)] == [("super", "change_password")]


async def test_errors_follow_the_language(desk: Desk) -> None:
    async with desk.session() as client:
        token = await desk.login(client, "root")
        async with client.post(desk.url("/api/admin/agents"), json=GRACE | {"queues": []},
                               headers={"X-CSRF-Token": token, "Accept-Language": "zh-CN"}) as response:
            assert (await response.json())["error"] == "queues：请至少选择一个队列"


async def test_an_agent_change_reaches_the_acd_and_audits_old_and_new_values(desk: Desk) -> None:
    change = {"name": "Agent Two", "phone": "PJSIP/1002", "skills": {"english": 3}, "queues": ["sales"]}
    async with desk.session() as client:
        token = await desk.login(client, "root")
        async with client.put(desk.url("/api/admin/agents/a2"), json=change,
                              headers={"X-CSRF-Token": token}) as response:
            assert response.status == 200
        async with client.put(desk.url("/api/admin/agents/nobody"), json=change,
                              headers={"X-CSRF-Token": token}) as response:
            assert response.status == 404
        desk.control.refuse = "agent 'a2' must be logged out to change"
        async with client.put(desk.url("/api/admin/agents/a2"), json=change | {"name": "Other"},
                              headers={"X-CSRF-Token": token}) as response:
            assert (response.status, await response.json()) == (409, {"error": desk.control.refuse})
    assert ("update_agent", "a2") in desk.control.calls
    changed = {c["field"]: (c["old_value"], c["new_value"]) for c in await audit(desk)}
    assert changed == {"skills": ('{"billing":4}', '{"english":3}'), "queues": ('["support","sales"]', '["sales"]')}
