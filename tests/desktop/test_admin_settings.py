"""The admin API, second pass: a queue's settings change in the running ACD, the desktops' wrap-up codes and
the wall's targets at once (audited with old and new values); skills and pause reasons as lists; users with
roles other than agent; every wrong field refused by name, in the user's language, changing nothing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from acd.events import AgentStateChanged, CallConnected, CallOffered
from agent_desktop.handling import HUB
from ivr.caller import CallerData

if TYPE_CHECKING:
    from conftest import Desk

SUPPORT_CHANGE: dict[str, Any] = {
    "service_level": {"percent": 90, "seconds": 15}, "alerts": {"longest_wait": 45, "service_level": 75},
    "dispositions": ["resolved", "refund"], "wrap_up_seconds": 20,
    "escalation": [{"after": 60, "overflow": ["sales"]}],
    "timezone": "Europe/Berlin", "hours": [{"days": "mon-fri", "open": "08:00", "close": "18:00"}],
    "max_length": None,  # no limit, as the page sends an empty field
}


async def send(desk: Desk, user: str, method: str, path: str, body: dict[str, Any],
               language: str = "en") -> tuple[int, dict[str, Any]]:
    async with desk.session() as client:
        token = await desk.login(client, user)
        async with client.request(method, desk.url(path), json=body,
                                  headers={"X-CSRF-Token": token, "Accept-Language": language}) as response:
            return response.status, await response.json()


async def get(desk: Desk, user: str, path: str, password: str | None = None) -> dict[str, Any]:
    async with desk.session() as client:
        await desk.login(client, user, password)
        async with client.get(desk.url(path)) as response:
            assert response.status == 200
            answer: dict[str, Any] = await response.json()
            return answer


def call_for_agent1(desk: Desk) -> None:
    desk.bus.publish(CallOffered(call_id="call-1", queue="support", agent_id="a1", caller=CallerData(),
                                 at=desk.clock()))
    desk.bus.publish(CallConnected(call_id="call-1", queue="support", agent_id="a1", wait_seconds=3.0,
                                   at=desk.clock()))


async def dispose(desk: Desk, code: str) -> int:
    status, _ = await send(desk, "agent1", "POST", "/api/calls/call-1/disposition", {"disposition": code})
    return status


async def test_a_queue_change_reaches_the_acd_the_desktops_and_the_wall_and_is_audited(desk: Desk) -> None:
    call_for_agent1(desk)
    assert await dispose(desk, "refund") == 400  # not one of the support queue's codes yet
    status, saved = await send(desk, "root", "PUT", "/api/admin/queues/support", SUPPORT_CHANGE)
    assert status == 200
    assert saved["service_level"] == {"percent": 90.0, "seconds": 15.0}
    assert saved["alerts"] == {"longest_wait": 45.0, "service_level": 75.0}
    assert saved["wrap_up_limit_seconds"] == 20.0  # raised to the new wrap-up, never below it
    assert saved["hours"] == [{"days": "mon,tue,wed,thu,fri", "open": "08:00", "close": "18:00"}]
    [support] = [q for q in desk.control.queues if q.name == "support"]
    assert (support.service_level_percent, support.wrap_up_seconds, support.dispositions) == (
        90.0, 20.0, ("resolved", "refund"))
    assert support.escalation[0].overflow == ("sales",) and support.hours.timezone == "Europe/Berlin"
    assert await dispose(desk, "refund") == 202  # the desktop takes the new code at once
    [tile] = [t for t in desk.app[HUB].wall.snapshot().queues if t.queue == "support"]
    assert tile.thresholds == {"longest_wait": 45.0, "service_level": 0.75}
    [advice] = [p for p in desk.app[HUB].staffing.panels({}, ["support"]) if p["queue"] == "support"]
    assert (advice["sl_target"], advice["sl_seconds"]) == (0.9, 15.0)
    listing = await get(desk, "root", "/api/admin/queues")
    assert next(q for q in listing["queues"] if q["name"] == "support") == saved
    changes = {c["field"]: c for c in (await get(desk, "root", "/api/admin/audit"))["changes"]}
    assert changes["dispositions"]["entity_type"] == "queue" and changes["dispositions"]["entity_key"] == "support"
    assert json.loads(changes["dispositions"]["old_value"]) == ["resolved", "escalated"]
    assert json.loads(changes["dispositions"]["new_value"]) == ["resolved", "refund"]
    assert json.loads(changes["service_level"]["old_value"]) == {"percent": 80.0, "seconds": 20.0}
    assert changes["service_level"]["actor"] == "root" and "name" not in changes


@pytest.mark.parametrize(("change", "error"), [
    ({"service_level": {"percent": 120, "seconds": 20}}, "service_level.percent: expected a number from 0 to 100"),
    ({"service_level": 80}, "service_level: expected percent and seconds"),
    ({"alerts": {"longest_wait": 0}}, "alerts.longest_wait: expected a number of at least 1"),
    ({"dispositions": ["Bad Code"]}, "dispositions: Bad Code: lower-case letters, digits, '_' and '-' only"),
    ({"wrap_up_seconds": -1}, "wrap_up_seconds: expected a number from 0 to 86400"),
    ({"max_length": 0}, "max_length: expected a whole number of at least 1"),
    ({"escalation": [{"after": 10, "overflow": ["nowhere"]}]}, "escalation: unknown queue nowhere"),
    ({"escalation": [{"after": 10, "lower": {"flying": 1}}]},
     "escalation: not valid: queue 'support'.escalation[0].lower: unknown skill 'flying'"),
    ({"hours": [{"days": "someday", "open": "08:00", "close": "18:00"}]},
     "hours: not valid: queue 'support': unknown weekday in 'someday' (use mon, tue, wed, thu, fri, sat, sun)"),
    ({"timezone": "Mars/Olympus"}, "timezone: not valid: queue 'support': unknown time zone 'Mars/Olympus'"),
    ({"hours": None}, "hours: expected a list of ranges, each with days, open and close"),
    ({"escalation": [{"after": "soon"}]},
     "escalation: expected a list of steps, each with after (seconds) and drop, lower or overflow"),
])
async def test_a_wrong_queue_field_is_refused_by_name_and_changes_nothing(
        desk: Desk, change: dict[str, Any], error: str) -> None:
    status, answer = await send(desk, "root", "PUT", "/api/admin/queues/support", change)
    assert (status, answer) == (400, {"error": error})
    assert not any(c[0] == "update_queue" for c in desk.control.calls)
    assert (await get(desk, "root", "/api/admin/audit"))["changes"] == []


async def test_queue_errors_follow_the_language_and_an_unknown_queue_is_404(desk: Desk) -> None:
    status, answer = await send(desk, "root", "PUT", "/api/admin/queues/support",
                                {"max_length": 0}, language="zh-CN")
    assert (status, answer) == (400, {"error": "max_length：应为不小于 1 的整数"})
    status, answer = await send(desk, "root", "PUT", "/api/admin/queues/nowhere", {"max_length": 3})
    assert (status, answer) == (404, {"error": "no such queue"})


async def test_skills_in_use_stay_and_new_pause_reasons_are_what_agents_may_pick(desk: Desk) -> None:
    status, answer = await send(desk, "root", "PUT", "/api/admin/skills", {"names": ["english"]})
    assert (status, answer) == (409, {"error": "still in use by agents or queues: billing"})
    status, answer = await send(desk, "root", "PUT", "/api/admin/skills", {"names": ["billing", "english", "french"]})
    assert (status, answer) == (200, {"names": ["billing", "english", "french"]})
    assert desk.control.skills == ["billing", "english", "french"]
    status, answer = await send(desk, "root", "PUT", "/api/admin/pause-reasons", {"names": ["break", "missed"]})
    assert (status, answer) == (400, {"error": "names: missed is set by the ACD itself, never picked"})
    status, _ = await send(desk, "agent1", "POST", "/api/agent/not-ready", {"reason": "coaching"})
    assert status == 400
    status, _ = await send(desk, "root", "PUT", "/api/admin/pause-reasons", {"names": ["break", "coaching"]})
    assert status == 200
    status, _ = await send(desk, "agent1", "POST", "/api/agent/not-ready", {"reason": "coaching"})
    assert status == 202
    assert desk.control.calls[-1] == ("not_ready", "a1", "coaching")
    audit = [(c["entity_type"], json.loads(c["old_value"]), json.loads(c["new_value"]))
             for c in (await get(desk, "root", "/api/admin/audit"))["changes"]]
    assert audit == [("pause_reasons", ["break", "lunch", "training"], ["break", "coaching"]),
                     ("skills", ["billing", "english"], ["billing", "english", "french"])]


async def test_an_admin_adds_a_supervisor_who_signs_in_with_that_role(desk: Desk) -> None:
    boss = {"id": "boss", "name": "Barbara Boss", "role": "supervisor", "password": "pw-boss-1", "phone": "PJSIP/9009"}
    status, added = await send(desk, "root", "POST", "/api/admin/accounts", boss)
    assert (status, added) == (201, {"id": "boss", "name": "Barbara Boss", "role": "supervisor", "agent_id": None,
                                     "phone": "PJSIP/9009"})
    assert await desk.can_log_in("boss", "pw-boss-1")
    assert (await get(desk, "boss", "/api/me", "pw-boss-1"))["role"] == "supervisor"
    assert added in (await get(desk, "root", "/api/admin/accounts"))["accounts"]
    changes = {c["field"]: c for c in (await get(desk, "root", "/api/admin/audit"))["changes"]}
    assert json.loads(changes["role"]["new_value"]) == "supervisor" and changes["role"]["entity_key"] == "boss"
    assert not any("pw-boss" in (c["new_value"] or "") for c in changes.values())
    status, answer = await send(desk, "root", "POST", "/api/admin/accounts", boss | {"id": "agent1"})
    assert (status, answer) == (409, {"error": "an agent or account agent1 exists already"})


@pytest.mark.parametrize(("change", "error"), [
    ({"role": "agent"}, "role: choose supervisor, campaign manager or admin (add agents as agents)"),
    ({"role": "root"}, "role: choose supervisor, campaign manager or admin (add agents as agents)"),
    ({"phone": "9009"}, "phone: expected a dial string such as PJSIP/1001"),
    ({"password": "short"}, "password: at least 8 characters"),
    ({"id": "bo ss"}, "id: letters, digits, '.', '_' and '-' only, starting with a letter or digit"),
])
async def test_a_wrong_user_is_refused_by_field(desk: Desk, change: dict[str, Any], error: str) -> None:
    user = {"id": "boss", "name": "Barbara Boss", "role": "campaign_manager", "password": "pw-boss-1"}
    status, answer = await send(desk, "root", "POST", "/api/admin/accounts", user | change)
    assert (status, answer) == (400, {"error": error})
    assert not await desk.can_log_in("boss", user["password"])


async def test_everyone_has_a_page_to_change_their_own_password(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "agent1")
        async with client.get(desk.url("/account")) as response:
            assert response.status == 200
            page = await response.text()
    assert 'id="old-password"' in page and 'id="new-password"' in page


async def test_an_added_agent_counts_on_the_wall_under_their_name_at_once(desk: Desk) -> None:
    def support() -> Any:
        return next(t for t in desk.app[HUB].wall.snapshot().queues if t.queue == "support")

    before = support().agents["logged_out"]
    grace = {"id": "2001", "name": "Grace Hopper", "phone": "PJSIP/2001", "password": "pw-grace-2001",
             "skills": {"english": 7}, "queues": ["support"]}
    status, _ = await send(desk, "root", "POST", "/api/admin/agents", grace)
    assert status == 201
    assert support().agents["logged_out"] == before + 1
    desk.bus.publish(AgentStateChanged(agent_id="2001", state="ready", previous="logged_out", at=desk.clock()))
    [row] = [r for r in desk.app[HUB].wall.snapshot().agents if r.agent_id == "2001"]
    assert (row.name, support().agents["ready"]) == ("Grace Hopper", 1)


async def test_an_admin_changes_a_users_role_from_their_next_request_but_not_their_own(desk: Desk) -> None:
    assert (await get(desk, "camp", "/api/me"))["role"] == "campaign_manager"
    status, changed = await send(desk, "root", "PUT", "/api/admin/accounts/camp",
                                 {"name": "Camp Chief", "role": "supervisor"})
    assert (status, changed["role"], changed["name"]) == (200, "supervisor", "Camp Chief")
    assert (await get(desk, "camp", "/api/me"))["role"] == "supervisor"
    changes = {c["field"]: (json.loads(c["old_value"]), json.loads(c["new_value"]))
               for c in (await get(desk, "root", "/api/admin/audit"))["changes"]}
    assert changes == {"name": ("Camp", "Camp Chief"), "role": ("campaign_manager", "supervisor")}
    status, answer = await send(desk, "root", "PUT", "/api/admin/accounts/root", {"name": "Root", "role": "supervisor"})
    assert (status, answer) == (409, {"error": "you cannot change your own role"})
    status, answer = await send(desk, "root", "PUT", "/api/admin/accounts/agent1", {"name": "A", "role": "admin"})
    assert (status, answer) == (409, {"error": "an agent's login stays an agent: change the agent instead"})
    assert (await get(desk, "agent1", "/api/me"))["role"] == "agent"
