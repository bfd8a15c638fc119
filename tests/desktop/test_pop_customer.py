"""The pop of an unknown (or wrongly identified) caller: search the CRM, match the call to a customer or
create one, with the look-alike warning first; only the call's agent and the floor managers may."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import aiohttp

from acd.events import CallConnected, CallOffered
from agent_desktop.agent_feed import AgentFeeds
from agent_desktop.events import CustomerMatched
from bus.events import DomainEvent
from ivr.caller import CallerData

if TYPE_CHECKING:
    from conftest import Desk

UNKNOWN_ANI = "+15550001111"


def unknown_caller(desk: Desk, call_id: str = "call-9", agent_id: str = "a1") -> None:
    desk.bus.publish(CallOffered(call_id=call_id, queue="support", agent_id=agent_id,
                                 caller=CallerData(ani=UNKNOWN_ANI),
                                 at=desk.clock()))
    desk.bus.publish(CallConnected(call_id=call_id, queue="support", agent_id=agent_id, wait_seconds=4.0,
                                   at=desk.clock()))


def matches(desk: Desk) -> list[CustomerMatched]:
    """Start recording the CustomerMatched events published from now on."""
    seen: list[CustomerMatched] = []

    def keep(event: DomainEvent) -> None:
        if isinstance(event, CustomerMatched):
            seen.append(event)

    desk.bus.add_listener(keep)
    return seen


async def agent_socket(desk: Desk, client: aiohttp.ClientSession, last_seq: int = 0) -> Any:
    ws = await client.ws_connect(desk.ws_url())
    await ws.send_json({"type": "resync", "last_seq": last_seq})
    await desk.messages_until(ws, "resync.done")
    return ws


async def post(client: aiohttp.ClientSession, desk: Desk, path: str, token: str,
               body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with client.post(desk.url(path), headers={"X-CSRF-Token": token}, json=body) as response:
        return response.status, await response.json()


async def test_the_agent_searches_by_name_code_or_phone_for_its_own_call(desk: Desk) -> None:
    unknown_caller(desk)
    async with desk.session() as client:
        await desk.login(client, "agent1")
        for text in ("lovelace", "100008", "+441632960001"):
            async with client.get(desk.url("/api/calls/call-9/customer-search"), params={"q": text}) as response:
                assert response.status == 200, text
                found = (await response.json())["customers"]
            assert [c["code"] for c in found] == ["100008"], text
            assert found[0]["name"] == "Ada Lovelace"
        for bad in ("", " ", "x" * 101):
            async with client.get(desk.url("/api/calls/call-9/customer-search"), params={"q": bad}) as response:
                assert response.status == 400
        async with client.get(desk.url("/api/calls/nope/customer-search"), params={"q": "ada"}) as response:
            assert response.status == 404


async def test_matching_shows_the_full_card_on_the_pop_and_publishes_customer_matched(desk: Desk) -> None:
    unknown_caller(desk)
    recorded = matches(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        ws = await agent_socket(desk, client)
        async with client.get(desk.url("/api/customers/c1")) as response:
            assert response.status == 404  # not on any of the agent's calls yet
        status, body = await post(client, desk, "/api/calls/call-9/customer", token, {"customer_id": "c1"})
        assert (status, body["customer"]["code"]) == (200, "100008")
        update = (await desk.messages_until(ws, "call.customer"))[-1]
        assert update["call_id"] == "call-9" and update["created"] is False
        assert update["customer"]["name"] == "Ada Lovelace"
        assert update["customer"]["open_tickets"][0]["ticket_id"] == "T-17"
        assert (update["tier"], update["customer_code"]) == ("vip", "100008")
        async with client.get(desk.url("/api/customers/c1")) as response:
            assert response.status == 200
        async with client.get(desk.url("/api/agent/state")) as response:
            assert (await response.json())["pops"][0]["customer"]["code"] == "100008"
        await ws.close()
    assert [(e.call_id, e.agent_id, e.customer_id, e.customer_code, e.created, e.actor) for e in recorded] == [
        ("call-9", "a1", "c1", "100008", False, "agent1")
    ]


async def test_a_page_that_missed_the_match_gets_the_pop_back_with_the_new_customer(desk: Desk) -> None:
    unknown_caller(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        ws = await agent_socket(desk, client)
        await ws.send_json({"type": "resync", "last_seq": 0})
        seen = max(m.get("seq", 0) for m in await desk.messages_until(ws, "resync.done"))
        await ws.close()
        await post(client, desk, "/api/calls/call-9/customer", token, {"customer_id": "c1"})
        await asyncio.sleep(0.05)  # the card look-up completes server-side while the page is away
        ws = await client.ws_connect(desk.ws_url())
        await ws.send_json({"type": "resync", "last_seq": seen})
        replay = await desk.messages_until(ws, "resync.done")
        pops = [m for m in replay if m["type"] == "call.offered"]
        assert [(p["call_id"], p["customer"]["name"]) for p in pops] == [("call-9", "Ada Lovelace")]
        await ws.close()


async def test_create_warns_of_look_alikes_first_and_creates_only_when_confirmed(desk: Desk) -> None:
    unknown_caller(desk)
    recorded = matches(desk)
    draft = {"name": "Ada Lovelace", "company": "", "phone": "+441632960001", "email": "ada@example.org"}
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        ws = await agent_socket(desk, client)
        status, body = await post(client, desk, "/api/calls/call-9/customer/new", token, draft)
        assert status == 409
        assert [(d["customer"]["code"], d["customer"]["name"]) for d in body["duplicates"]] == [
            ("100008", "Ada Lovelace")
        ]
        assert desk.lookup.created == [] and recorded == []

        status, body = await post(client, desk, "/api/calls/call-9/customer/new", token,
                                  {**draft, "allow_duplicates": True})
        assert status == 201
        new_id = body["customer"]["customer_id"]
        update = (await desk.messages_until(ws, "call.customer"))[-1]
        assert (update["created"], update["customer"]["customer_id"]) == (True, new_id)
        await ws.close()
    assert [(d.name, d.phone, a) for d, a in desk.lookup.created] == [("Ada Lovelace", "+441632960001", "agent1")]
    assert [(e.customer_id, e.created, e.actor) for e in recorded] == [(new_id, True, "agent1")]


async def test_create_refuses_bad_fields_with_the_reason(desk: Desk) -> None:
    unknown_caller(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        for body, field in (({"name": " "}, "name"), ({"name": "Bo", "email": "not-mail"}, "email"),
                            ({"name": "x" * 201}, "name"), ({"name": "Bo", "allow_duplicates": "yes"},
                                                            "allow_duplicates")):
            status, answer = await post(client, desk, "/api/calls/call-9/customer/new", token, body)
            assert status == 400 and answer["error"].startswith(field), (body, answer)
    assert desk.lookup.created == []


async def test_another_agent_can_neither_search_match_nor_create_for_the_call(desk: Desk) -> None:
    unknown_caller(desk)
    recorded = matches(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent2")
        async with client.get(desk.url("/api/calls/call-9/customer-search"), params={"q": "ada"}) as response:
            assert response.status == 404
        status, _ = await post(client, desk, "/api/calls/call-9/customer", token, {"customer_id": "c1"})
        assert status == 404
        status, _ = await post(client, desk, "/api/calls/call-9/customer/new", token, {"name": "Mallory"})
        assert status == 404
        async with client.get(desk.url("/api/customers/c1")) as response:
            assert response.status == 404
    assert recorded == [] and desk.lookup.created == []


async def test_a_supervisor_may_match_for_the_agent_and_the_agent_sees_it(desk: Desk) -> None:
    unknown_caller(desk)
    recorded = matches(desk)
    async with desk.session() as agent, desk.session() as boss, desk.session() as campaigns:
        await desk.login(agent, "agent1")
        ws = await agent_socket(desk, agent)
        token = await desk.login(boss, "super")
        status, _ = await post(boss, desk, "/api/calls/call-9/customer", token, {"customer_id": "c1"})
        assert status == 200
        assert (await desk.messages_until(ws, "call.customer"))[-1]["customer"]["code"] == "100008"
        await ws.close()
        status, _ = await post(boss, desk, "/api/calls/call-9/customer", token, {"customer_id": "ghost"})
        assert status == 404
        token = await desk.login(campaigns, "camp")
        status, _ = await post(campaigns, desk, "/api/calls/call-9/customer", token, {"customer_id": "c1"})
        assert status == 403
    assert [(e.agent_id, e.actor) for e in recorded] == [("a1", "super")]


async def test_hostile_text_typed_into_the_pop_comes_back_as_data_only(desk: Desk) -> None:
    unknown_caller(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        ws = await agent_socket(desk, client)
        async with client.post(desk.url("/api/calls/call-9/customer/new"), headers={"X-CSRF-Token": token},
                               json={"name": desk.hostile_text, "company": desk.hostile_text,
                                     "allow_duplicates": True}) as response:
            assert response.status == 201
            assert response.content_type == "application/json"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert (await response.json())["customer"]["name"] == desk.hostile_text
        update = (await desk.messages_until(ws, "call.customer"))[-1]
        assert update["customer"]["company"] == desk.hostile_text  # text, for textContent in the page
        await ws.close()
        async with client.get(desk.url("/desktop")) as response:
            assert "<script>" not in await response.text()


async def test_not_ready_reasons_come_from_the_configuration(desk: Desk) -> None:
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        async with client.get(desk.url("/desktop")) as response:
            html = await response.text()
        status, body = await post(client, desk, "/api/agent/not-ready", token, {"reason": "gardening"})
        assert status == 400 and "training" in body["error"]
        status, _ = await post(client, desk, "/api/agent/not-ready", token, {"reason": "training"})
        assert status == 202
    select = html.split('id="nr-reason"', 1)[1].split("</select>", 1)[0]
    options = [line.split('"')[1] for line in select.split("<option")[1:]]
    assert options == ["break", "lunch", "training"]
    assert desk.control.calls == [("not_ready", "a1", "training")]


def test_only_the_latest_match_of_the_calls_own_agent_reaches_the_pop() -> None:
    feeds = AgentFeeds()
    offered = CallOffered(call_id="c", queue="support", agent_id="a1", caller=CallerData(ani=UNKNOWN_ANI), at=1.0)
    feeds.apply(offered)
    feeds.complete_pop(offered, None)

    def match(customer_id: str, agent_id: str = "a1") -> CustomerMatched:
        return CustomerMatched(call_id="c", agent_id=agent_id, customer_id=customer_id, customer_code="100008",
                               created=False, actor="x", at=2.0)

    first, second, foreign = match("1"), match("2"), match("3", agent_id="a2")
    for event in (first, second, foreign):
        feeds.apply(event)
    assert feeds.agent_sees_customer("a1", "2") and not feeds.agent_sees_customer("a1", "1")
    assert feeds.complete_match(first, {"name": "old"}) is None  # overtaken by the second match
    assert feeds.complete_match(second, None) is None  # card unreadable: keep what is shown
    delivery = feeds.complete_match(second, {"name": "Ada", "tier": "vip"})
    assert delivery is not None and delivery[0] == "a1"
    assert (delivery[1]["customer"], delivery[1]["tier"]) == ({"name": "Ada", "tier": "vip"}, "vip")
    assert feeds.active_pops("a1")[0].message["customer"] == {"name": "Ada", "tier": "vip"}  # type: ignore[index]


async def test_search_results_show_only_the_summary_whatever_the_crm_returns(desk: Desk) -> None:
    unknown_caller(desk)
    cards = desk.lookup.cards

    async def search_returning_full_cards(text: str, *, limit: int) -> list[Any]:
        return [cards["c1"]]  # a CRM adapter handing back more than a summary

    desk.lookup.search_customers = search_returning_full_cards  # type: ignore[method-assign]
    async with desk.session() as client:
        await desk.login(client, "agent1")
        async with client.get(desk.url("/api/calls/call-9/customer-search"), params={"q": "ada"}) as response:
            found = (await response.json())["customers"]
        assert found == [{"customer_id": "c1", "code": "100008", "name": "Ada Lovelace",
                          "company": "Analytical Engines Ltd", "phones": ["+441632960001"], "email": ""}]
        async with client.get(desk.url("/api/customers/c1")) as response:
            assert response.status == 404  # found by search, not matched: the full card stays closed


async def test_the_customer_visibility_rule_is_documented(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "agent1")
        async with client.get(desk.url("/api/docs")) as response:
            page = await response.text()
        async with client.get(desk.url("/api/openapi.json")) as response:
            description = (await response.json())["info"]["description"]
    for text in (page, description):
        assert "search results carry only the summary" in text
        assert "CustomerMatched naming the user" in text
