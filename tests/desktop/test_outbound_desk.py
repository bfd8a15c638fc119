"""An agent's outbound work over HTTP: a campaign call's lead and dispositions (call-back for the agent or
anyone, do-not-call), click-to-dial refused by the do-not-call lists and calling windows and a supervisor's
audited override, and the preview card (the same lead until dialled or skipped)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from outbound_calls import connect_campaign_call, running_campaign

from agent_desktop.outbound_call_routes import OUTBOUND_DESK
from outbound import dnc_store

if TYPE_CHECKING:
    from conftest import Desk


async def call(client: Any, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with client.request(method, url, **kwargs) as response:
        return response.status, await response.json()


async def test_a_campaign_call_shows_its_lead_and_takes_the_campaigns_dispositions(desk: Desk) -> None:
    service = desk.outbound
    campaign_id = await running_campaign(service)
    first, second = service.next_lead(campaign_id), service.next_lead(campaign_id)
    assert first is not None and second is not None
    connect_campaign_call(desk.bus, desk.clock(), "out-1", "a1", campaign_id, first)
    connect_campaign_call(desk.bus, desk.clock(), "out-2", "a1", campaign_id, second)
    async with desk.session() as client:
        headers = {"X-CSRF-Token": await desk.login(client, "agent1")}
        status, shown = await call(client, "GET", desk.url("/api/calls/out-1/campaign"))
        assert status == 200 and shown["lead"]["name"] == "Ada" and shown["lead"]["fields"] == [["plan", "gold"]]
        assert ("call back", "callback") in [(d["name"], d["kind"]) for d in shown["dispositions"]]
        base = desk.url("/api/calls/out-1/campaign-disposition")
        status, body = await call(client, "POST", base, json={"disposition": "call back"}, headers=headers)
        assert status == 400 and "callback_at" in body["error"]
        status, body = await call(client, "POST", base, json={"disposition": "resolved"}, headers=headers)
        assert status == 400 and "sale" in body["error"]
        later = desk.clock() + 86400
        status, _ = await call(client, "POST", base, headers=headers, json={
            "disposition": "call back", "callback_at": later, "callback_to": "me", "notes": "after lunch"})
        assert status == 202
        status, _ = await call(client, "POST", desk.url("/api/calls/out-2/campaign-disposition"), headers=headers,
                               json={"disposition": "do not call"})
        assert status == 202
    assert [c for c in desk.control.calls if c[0] == "dispose"] == [
        ("dispose", "out-1", "a1", "call back", "after lunch"), ("dispose", "out-2", "a1", "do not call", "")]
    assert await service.callback_agent(first.id) == "a1"
    story = await service.story(first.number.e164)
    assert story.verdicts[0].decision.rule == "callback" and story.verdicts[0].decision.next_at == later
    with service.sessions() as session:
        [change] = dnc_store.number_changes(session, second.number.digits)
    assert (change.action, change.actor, change.campaign_id) == ("add", "a1", None)


async def test_an_inbound_call_is_no_campaign_call(desk: Desk) -> None:
    from acd.events import CallConnected, CallOffered
    from ivr.caller import CallerData
    desk.bus.publish(CallOffered(call_id="in-1", queue="support", agent_id="a1", caller=CallerData(), at=desk.clock()))
    desk.bus.publish(CallConnected(call_id="in-1", queue="support", agent_id="a1", wait_seconds=1, at=desk.clock()))
    async with desk.session() as client:
        headers = {"X-CSRF-Token": await desk.login(client, "agent1")}
        assert (await call(client, "GET", desk.url("/api/calls/in-1/campaign")))[0] == 409
        status, _ = await call(client, "POST", desk.url("/api/calls/in-1/campaign-disposition"), headers=headers,
                               json={"disposition": "sale"})
        assert status == 409
    async with desk.session() as client:
        await desk.login(client, "agent2")
        assert (await call(client, "GET", desk.url("/api/calls/in-1/campaign")))[0] == 404


async def test_click_to_dial_is_refused_on_a_list_or_outside_the_window_and_a_supervisor_may_override(
        desk: Desk) -> None:
    placer = desk.app[OUTBOUND_DESK].placer
    await desk.outbound.dnc_add("212 234 5699", campaign_id=None, reason="asked", actor="camp")
    async with desk.session() as client:
        headers = {"X-CSRF-Token": await desk.login(client, "agent1")}
        status, placed = await call(client, "POST", desk.url("/api/agent/dial"), headers=headers,
                                    json={"number": "(212) 234-5600", "customer_id": "c1"})
        assert (status, placed["e164"], placed["overridden"]) == (202, "+12122345600", None)
        status, refused = await call(client, "POST", desk.url("/api/agent/dial"), headers=headers,
                                     json={"number": "212 234 5699"})
        assert (status, refused["rule"]) == (409, "dnc") and "do-not-call" in refused["error"]
        # 22:13 UTC is 07:13 in Tokyo: before the calling window opens at 08:00.
        status, refused = await call(client, "POST", desk.url("/api/agent/dial"), headers=headers,
                                     json={"number": "+81 3 1234 5678"})
        assert (status, refused["rule"]) == (409, "window") and refused["next_at"] > desk.clock()
        status, refused = await call(client, "POST", desk.url("/api/agent/dial"), headers=headers,
                                     json={"number": "212 234 5699", "override_reason": "I say so"})
        assert status == 400  # an agent cannot override
    async with desk.session() as client:
        headers = {"X-CSRF-Token": await desk.login(client, "super"), "Accept-Language": "zh-CN"}
        status, refused = await call(client, "POST", desk.url("/api/agent/dial"), headers=headers,
                                     json={"number": "212 234 5699", "agent": "a1"})
        assert (status, refused["rule"]) == (409, "dnc") and "免打扰名单" in refused["error"]
        status, placed = await call(client, "POST", desk.url("/api/agent/dial"), headers=headers, json={
            "number": "212 234 5699", "agent": "a1", "override_reason": "the customer asked us to call today"})
        assert (status, placed["overridden"]) == (202, "dnc")
    assert [(agent, number) for agent, number, _, _ in placer.calls] == [("a1", "+12122345600"),
                                                                         ("a1", "+12122345699")]
    assert placer.calls[0][3]["CC_CUSTOMER_ID"] == "c1"
    async with desk.session() as client:
        await desk.login(client, "root")
        _, audit = await call(client, "GET", desk.url("/api/admin/audit"))
    override = {c["field"]: c["new_value"] for c in audit["changes"] if c["entity_type"] == "dial_override"}
    assert override["reason"] == '"the customer asked us to call today"' and override["rule"] == '"dnc"'
    assert {c["actor"] for c in audit["changes"] if c["entity_type"] == "dial_override"} == {"super"}


async def test_a_preview_holds_one_lead_until_dialled_or_skipped(desk: Desk) -> None:
    campaign_id = await running_campaign(desk.outbound, mode="preview", queue="support")
    placer = desk.app[OUTBOUND_DESK].placer
    async with desk.session() as client:
        headers = {"X-CSRF-Token": await desk.login(client, "agent1")}
        _, shown = await call(client, "GET", desk.url("/api/agent/preview"))
        first = shown["lead"]
        assert (first["campaign_id"], first["name"]) == (campaign_id, "Ada")
        assert (await call(client, "GET", desk.url("/api/agent/preview")))[1]["lead"]["lead_id"] == first["lead_id"]
        skip = desk.url(f"/api/agent/preview/{first['lead_id']}/skip")
        assert (await call(client, "POST", skip, headers=headers, json={}))[0] == 400  # a reason is required
        assert (await call(client, "POST", skip, headers=headers, json={"reason": "asked not today"}))[0] == 200
        assert (await call(client, "POST", skip, headers=headers, json={"reason": "again"}))[0] == 404
        _, shown = await call(client, "GET", desk.url("/api/agent/preview"))
        second = shown["lead"]
        assert second["lead_id"] != first["lead_id"]
        status, placed = await call(client, "POST", desk.url(f"/api/agent/preview/{second['lead_id']}/dial"),
                                    headers=headers)
        assert status == 202 and placed["e164"] == second["number"]
    async with desk.session() as client:
        await desk.login(client, "agent2")  # serves support too, but never gets agent1's preview
        _, shown = await call(client, "GET", desk.url("/api/agent/preview"))
        assert shown["lead"] is None or shown["lead"]["lead_id"] not in (second["lead_id"],)
    agent, number, caller_id, variables = placer.calls[-1]
    assert (agent, number, caller_id) == ("a1", second["number"], "+12125550199")
    assert variables == {"campaign_id": str(campaign_id), "lead_id": str(second["lead_id"])}
