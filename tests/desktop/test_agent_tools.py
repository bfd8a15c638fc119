"""An agent's tools outside a call, over HTTP: searching customers, the card (audited as viewed), opening and
changing tickets, the agent's own day (the reports' figures), and the knowledge base admins write."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from acd.events import AgentStateChanged, CallConnected, CallDisposed, CallEnded, CallOffered, CallQueued
from agent_desktop.my_day import day_start
from crm_core import audit
from crm_core.customers import CustomerService
from crm_core.db import session_scope
from crm_core.eventlog import append_events
from crm_core.interactions import close_leg, open_leg
from crm_core.models import AuditEntry
from ivr.caller import CallerData

if TYPE_CHECKING:
    from conftest import Desk


def seed_customers(desk: Desk) -> dict[str, int]:
    with session_scope(desk.outbound.sessions) as session:
        service = CustomerService(session, "seed", desk.clock)
        ids = {name: service.create(name=name, phones=[phone], email=email).customer.id
               for name, phone, email in (("Mary O'Neil", "+14155550101", "mary@acme.com"),
                                          ("Mario Rossi", "+14155550102", "mario@rossi.it"))}
        for i in range(25):
            service.create(name=f"Ann {i:02d}", phones=[f"+1415555{300 + i:04d}"])
        return ids


async def get(client: Any, url: str) -> tuple[int, Any]:
    async with client.get(url) as response:
        return response.status, await response.json()


async def send(client: Any, url: str, token: str, body: dict[str, Any], method: str = "POST") -> tuple[int, Any]:
    async with client.request(method, url, json=body, headers={"X-CSRF-Token": token}) as response:
        return response.status, await response.json()


async def test_an_agent_finds_a_customer_opens_the_card_and_works_a_ticket(desk: Desk) -> None:
    ids = seed_customers(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        status, found = await get(client, desk.url("/api/crm/customers?q=mar"))
        assert status == 200 and [c["name"] for c in found["customers"]] == ["Mario Rossi", "Mary O'Neil"]
        assert set(found["customers"][0]) == {"customer_id", "code", "name", "company", "phones", "email"}
        status, found = await get(client, desk.url("/api/crm/customers?q=ann&page=1"))
        assert (len(found["customers"]), found["more"]) == (5, False)  # 25 Anns: 20, then 5
        assert (await get(client, desk.url("/api/crm/customers?q=ann&page=x")))[0] == 400
        status, found = await get(client, desk.url("/api/crm/customers?q=%2B1%20415%20555%200102"))
        assert [c["name"] for c in found["customers"]] == ["Mario Rossi"]

        mario = str(ids["Mario Rossi"])
        status, card = await get(client, desk.url(f"/api/crm/customers/{mario}"))
        assert status == 200 and card["name"] == "Mario Rossi" and card["tickets"] == []
        status, opened = await send(client, desk.url(f"/api/crm/customers/{mario}/tickets"), token,
                                    {"subject": "Router blinks", "description": "since Monday", "priority": "high"})
        assert status == 201 and opened["ticket"]["status"] == "open"
        ticket = opened["ticket"]["ticket_id"]
        status, changed = await send(client, desk.url(f"/api/crm/tickets/{ticket}"), token,
                                     {"subject": "Router blinks red", "status": "in_progress",
                                      "note": "engineer booked"})
        assert status == 200 and changed["ticket"]["subject"] == "Router blinks red"
        assert changed["ticket"]["status"] == "in_progress"
        assert {(s["actor"], s["action"]) for s in changed["ticket"]["trail"]} >= {
            ("agent1", "create"), ("agent1", "update"), ("agent1", "status"), ("agent1", "note")}
        # A move the ticket's status does not allow changes nothing, not even the subject sent with it.
        status, refused = await send(client, desk.url(f"/api/crm/tickets/{ticket}"), token,
                                     {"subject": "Lost", "status": "closed"})
        assert status == 409 and "cannot go from in_progress to closed" in refused["error"]
        status, card = await get(client, desk.url(f"/api/crm/customers/{mario}"))
        assert [(t["subject"], t["status"]) for t in card["tickets"]] == [("Router blinks red", "in_progress")]
        assert (await send(client, desk.url(f"/api/crm/tickets/{ticket}"), token, {"subject": " "}))[0] == 400
        assert (await send(client, desk.url("/api/crm/tickets/999"), token, {"note": "x"}))[0] == 404
        assert (await get(client, desk.url("/api/crm/customers/999")))[0] == 404
    with desk.outbound.sessions() as session:
        views = session.scalars(select(AuditEntry).where(AuditEntry.action == "viewed")).all()
        assert {(v.actor, v.entity_id) for v in views} == {("agent1", ids["Mario Rossi"])}
        assert len(views) == 2
        assert audit.history(session, "ticket", int(ticket))[0].actor == "agent1"


async def test_my_day_counts_calls_aht_and_time_in_each_state_as_the_reports_do(desk: Desk) -> None:
    now = day_start(desk.clock(), None) + 12 * 3600  # noon: the whole story is today, whatever the zone
    desk.clock.now = now
    t0 = now - 3000

    def state(at: float, new: str, old: str, reason: str | None = None) -> AgentStateChanged:
        return AgentStateChanged(agent_id="a1", state=new, previous=old, reason=reason, at=at)

    caller = CallerData(ani="+14155550102")
    events = [
        state(t0 - 86_400, "not_ready", "logged_out", "break"),  # yesterday: only its end counts, from midnight
        state(t0, "ready", "not_ready"),
        CallQueued(call_id="k1", queue="support", priority=0, enter_time=t0 + 590, caller=caller, at=t0 + 590),
        CallOffered(call_id="k1", queue="support", agent_id="a1", caller=caller, at=t0 + 600),
        state(t0 + 600, "reserved", "ready"),
        CallConnected(call_id="k1", queue="support", agent_id="a1", wait_seconds=20.0, at=t0 + 610),
        state(t0 + 610, "on_call", "reserved"),
        CallEnded(call_id="k1", queue="support", agent_id="a1", talk_seconds=300.0, held_seconds=20.0, at=t0 + 910),
        state(t0 + 910, "wrap_up", "on_call"),
        CallDisposed(call_id="k1", agent_id="a1", disposition="resolved", notes="reset router", at=t0 + 960),
        state(t0 + 970, "ready", "wrap_up"),
        state(t0 + 2000, "not_ready", "ready", "lunch"),
    ]
    with session_scope(desk.outbound.sessions) as session:
        append_events(session, events)
        append_events(session, [AgentStateChanged(agent_id="a2", state="ready", previous="logged_out", at=t0)])
        open_leg(session, "k1", call_id="k1", direction="inbound", enter_at=t0 + 590, queue="support",
                 agent_id="a1", ani="+14155550102", answer_at=t0 + 610)
        close_leg(session, "k1", end_at=t0 + 910, outcome="answered", disposition="resolved", notes="reset router",
                  hold_seconds=20.0)
    async with desk.session() as client:
        await desk.login(client, "agent1")
        status, day = await get(client, desk.url("/api/agent/my-day"))
    assert status == 200
    assert day["calls"] == 1
    assert day["aht"] == 300 + 60  # on call (talk and hold) plus wrap-up, over the calls
    since_midnight = 12 * 3600 - 3000  # the break begun yesterday, counted from midnight
    assert day["seconds_by_state"] == {"not_ready": since_midnight + 1000, "ready": 600 + 1030, "reserved": 10,
                                       "on_call": 300, "wrap_up": 60}
    assert day["not_ready_by_reason"] == {"break": since_midnight, "lunch": 1000}
    assert [(c["call_id"], c["disposition"], c["notes"]) for c in day["history"]] == [
        ("k1", "resolved", "reset router")]


async def test_admins_write_articles_that_agents_find_in_either_language(desk: Desk) -> None:
    async with desk.session() as admin:
        token = await desk.login(admin, "root")
        status, made = await send(admin, desk.url("/api/admin/knowledge"), token,
                                  {"title": "重置门户密码", "body": "请客户点击“忘记密码”。", "tags": "密码 登录",
                                   "language": "zh-CN"})
        assert status == 201
        article = made["article"]["article_id"]
        status, other = await send(admin, desk.url("/api/admin/knowledge"), token,
                                   {"title": "Opening hours", "body": "Monday to Friday, 9 to 5."})
        assert status == 201
        status, changed = await send(admin, desk.url(f"/api/admin/knowledge/{other['article']['article_id']}"), token,
                                     {"title": "Opening hours", "body": "Monday to Saturday, 9 to 5."}, "PUT")
        assert status == 200 and changed["article"]["updated_by"] == "root"
        assert (await send(admin, desk.url("/api/admin/knowledge"), token, {"title": " "}))[0] == 400
        assert (await send(admin, desk.url("/api/admin/knowledge/999"), token, {"title": "x"}, "PUT"))[0] == 404
    async with desk.session() as agent:
        await desk.login(agent, "agent1")
        status, found = await get(agent, desk.url("/api/knowledge?q=%E5%AF%86%E7%A0%81"))  # 密码
        assert status == 200 and [a["title"] for a in found["articles"]] == ["重置门户密码"]
        status, found = await get(agent, desk.url("/api/knowledge?q=saturday"))
        assert [a["title"] for a in found["articles"]] == ["Opening hours"]
        status, whole = await get(agent, desk.url(f"/api/knowledge/{article}"))
        assert whole["article"]["body"] == "请客户点击“忘记密码”。"
    async with desk.session() as admin:
        token = await desk.login(admin, "root")
        assert (await send(admin, desk.url(f"/api/admin/knowledge/{article}"), token, {}, "DELETE"))[0] == 200
        assert (await get(admin, desk.url(f"/api/knowledge/{article}")))[0] == 404
    with desk.outbound.sessions() as session:
        trail = audit.history(session, "article", int(article))
        assert [(e.actor, e.action, e.field) for e in trail] == [
            ("root", "create", f) for f in ("title", "body", "tags", "language")] + [("root", "delete", "title")]


async def test_an_agent_turns_auto_answer_on_for_their_own_phone_and_it_outlives_a_restart(
    desk: Desk, second_start: Any
) -> None:
    from aiohttp.test_utils import TestServer

    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        assert await get(client, desk.url("/api/agent/auto-answer")) == (200, {"seconds": None,
                                                                             "choices": [0, 2, 5, 10]})
        assert (await send(client, desk.url("/api/agent/auto-answer"), token, {"seconds": 3}, "PUT"))[0] == 400
        assert (await send(client, desk.url("/api/agent/auto-answer"), token, {"seconds": True}, "PUT"))[0] == 400
        desk.control.refuse = "unknown agent"
        assert (await send(client, desk.url("/api/agent/auto-answer"), token, {"seconds": 2}, "PUT"))[0] == 409
        assert (await get(client, desk.url("/api/agent/auto-answer")))[1]["seconds"] is None  # refused: not kept
        desk.control.refuse = None
        assert await send(client, desk.url("/api/agent/auto-answer"), token, {"seconds": 2}, "PUT") == (
            200, {"seconds": 2, "choices": [0, 2, 5, 10]})
        assert (await get(client, desk.url("/api/agent/auto-answer")))[1]["seconds"] == 2
    async with desk.session() as other:
        await desk.login(other, "agent2")
        assert (await get(other, desk.url("/api/agent/auto-answer")))[1]["seconds"] is None  # one agent's choice
    assert desk.control.auto_answer == {"a1": 2}
    with desk.outbound.sessions() as session:
        from crm_core.audit import setting_changes
        assert [(c.actor, c.entity_key, c.new_value) for c in setting_changes(session)
                if c.entity_type == "auto_answer"] == [("agent1", "a1", "2")]
    # Another start over the same database hands the ACD the stored choice before any agent signs in.
    app, control = second_start(desk)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        assert control.auto_answer == {"a1": 2}
    finally:
        await server.close()
