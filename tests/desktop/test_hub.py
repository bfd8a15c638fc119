"""WebSocket hub: who receives which pop, loss-free resync, coalesced wall pushes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import aiohttp

from acd.events import (
    AgentStateChanged,
    CallConnected,
    CallDisposed,
    CallEnded,
    CallOffered,
    CallOfferFailed,
    CallQueued,
)
from agent_desktop.handling import HUB, SESSIONS
from ivr.caller import CallerData

if TYPE_CHECKING:
    from conftest import Desk


def offer(desk: Desk, call_id: str, agent_id: str = "a1", customer_id: str | None = "c1") -> None:
    desk.bus.publish(CallOffered(call_id=call_id, queue="support", agent_id=agent_id,
                                 caller=CallerData(ani="+441632960001", customer_id=customer_id, intent="billing",
                                                   ivr_data=(("code", "100008"),)),
                                 at=desk.clock()))


async def connect(desk: Desk, client: aiohttp.ClientSession, last_seq: int = 0) -> Any:
    ws = await client.ws_connect(desk.ws_url())
    assert (await desk.next_message(ws))["type"] == "hello"
    await ws.send_json({"type": "resync", "last_seq": last_seq})
    return ws


async def test_a_pop_reaches_only_its_agent_with_the_customer_card(desk: Desk) -> None:
    async with desk.session() as one, desk.session() as two, desk.session() as boss:
        await desk.login(one, "agent1")
        await desk.login(two, "agent2")
        await desk.login(boss, "super")
        ws1, ws2, ws3 = await connect(desk, one), await connect(desk, two), await connect(desk, boss)
        for ws in (ws1, ws2, ws3):
            await desk.messages_until(ws, "resync.done")
        offer(desk, "call-1")
        pop = (await desk.messages_until(ws1, "call.offered"))[-1]
        assert pop["customer"]["name"] == "Ada Lovelace"
        assert pop["customer"]["open_tickets"][0]["ticket_id"] == "T-17"
        assert (pop["tier"], pop["intent"], pop["ivr_data"]) == ("vip", "billing", [["code", "100008"]])
        assert pop["dispositions"] == ["resolved", "escalated"]  # the queue's own list
        for ws in (ws2, ws3):
            assert all(m["type"] != "call.offered" for m in await desk.replies_to(ws, {"type": "ping"}))
        for ws in (ws1, ws2, ws3):
            await ws.close()


async def test_reconnect_replays_missed_pops_and_drops_finished_ones(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "agent1")
        ws = await connect(desk, client)
        await desk.messages_until(ws, "resync.done")
        offer(desk, "call-1")
        seen = (await desk.messages_until(ws, "call.offered"))[-1]["seq"]
        await ws.close()

        offer(desk, "call-2")  # while the page is offline
        desk.bus.publish(CallOfferFailed(call_id="call-1", queue="support", agent_id="a1", reason="no_answer",
                                         at=desk.clock()))
        await asyncio.sleep(0.05)  # the card look-up of call-2 completes server-side

        ws = await connect(desk, client, last_seq=seen)
        replay = await desk.messages_until(ws, "resync.done")
        assert [m["call_id"] for m in replay if m["type"] == "call.offered"] == ["call-2"]
        assert replay[-1]["active_calls"] == [{"call_id": "call-2", "status": "offered"}]
        await ws.close()

        ws = await connect(desk, client, last_seq=0)  # a reloaded page gets the pop again
        replay = await desk.messages_until(ws, "resync.done")
        assert [m["call_id"] for m in replay if m["type"] == "call.offered"] == ["call-2"]

        desk.bus.publish(CallConnected(call_id="call-2", queue="support", agent_id="a1", wait_seconds=4,
                                       at=desk.clock()))
        desk.bus.publish(CallEnded(call_id="call-2", queue="support", agent_id="a1", talk_seconds=60,
                                   at=desk.clock()))
        statuses = [m["status"] for m in await desk.replies_to(ws, {"type": "ping"}) if m["type"] == "call.update"]
        assert statuses == ["connected", "ended"]
        desk.bus.publish(CallDisposed(call_id="call-2", agent_id="a1", disposition="resolved", at=desk.clock()))
        await ws.close()
        ws = await connect(desk, client, last_seq=0)
        replay = await desk.messages_until(ws, "resync.done")
        assert replay[-1]["active_calls"] == []
        assert not [m for m in replay if m["type"] == "call.offered"]
        await ws.close()


async def test_state_changes_are_pushed_and_replayed(desk: Desk) -> None:
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        ws = await connect(desk, client)
        first = await desk.messages_until(ws, "resync.done")
        assert first[0]["type"] == "agent.state" and first[0]["state"] == "logged_out"
        async with client.post(desk.url("/api/agent/not-ready"), headers={"X-CSRF-Token": token},
                               json={"reason": "lunch"}) as response:
            assert response.status == 202
        state = (await desk.messages_until(ws, "agent.state"))[-1]
        assert (state["state"], state["reason"], state["since"]) == ("not_ready", "lunch", desk.clock())
        await ws.close()
        ws = await connect(desk, client, last_seq=state["seq"])
        replay = await desk.messages_until(ws, "resync.done")
        assert replay[0]["state"] == "not_ready"
        await ws.close()


async def test_bad_not_ready_reasons_and_refusals_are_reported(desk: Desk) -> None:
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        headers = {"X-CSRF-Token": token}
        async with client.post(desk.url("/api/agent/not-ready"), headers=headers, json={"reason": ""}) as r:
            assert r.status == 400
        desk.control.refuse = "agent a1 is on a call"
        async with client.post(desk.url("/api/agent/ready"), headers=headers) as r:
            assert (r.status, (await r.json())["error"]) == (409, "agent a1 is on a call")


async def test_disposition_must_come_from_the_queues_list_after_the_answer(desk: Desk) -> None:
    offer(desk, "call-9")
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        url, headers = desk.url("/api/calls/call-9/disposition"), {"X-CSRF-Token": token}
        async with client.post(url, headers=headers, json={"disposition": "resolved"}) as r:
            assert r.status == 409  # still ringing
        desk.bus.publish(CallConnected(call_id="call-9", queue="support", agent_id="a1", wait_seconds=1,
                                       at=desk.clock()))
        async with client.post(url, headers=headers, json={"disposition": "sold"}) as r:
            assert r.status == 400 and "resolved, escalated" in (await r.json())["error"]
        async with client.post(url, headers=headers, json={"notes": "no code"}) as r:
            assert r.status == 400
        async with client.post(url, headers=headers, json={"disposition": "escalated", "notes": "x"}) as r:
            assert r.status == 202


async def test_a_slow_or_missing_customer_still_pops_and_a_late_card_follows(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "agent1")
        ws = await connect(desk, client)
        await desk.messages_until(ws, "resync.done")
        offer(desk, "call-u", customer_id=None)
        pop = (await desk.messages_until(ws, "call.offered"))[-1]
        assert pop["customer"] is None and pop["ani"] == "+441632960001"
        desk.lookup.delay = 2.5  # longer than the hub's 1 s look-up timeout
        loop = asyncio.get_running_loop()
        offered_at = loop.time()
        offer(desk, "call-s")
        pop = (await desk.messages_until(ws, "call.offered", timeout=3))[-1]
        assert (pop["call_id"], pop["customer"]) == ("call-s", None)
        assert loop.time() - offered_at < 2.0  # the pop did not wait for the CRM
        # The CRM answers at last: the card goes onto the pop the agent already has...
        late = (await desk.messages_until(ws, "call.customer", timeout=3))[-1]
        assert (late["call_id"], late["customer"]["name"], late["created"]) == ("call-s", "Ada Lovelace", False)
        await ws.close()
        # ...and onto the pop a reconnecting page is given again.
        ws = await connect(desk, client)
        replayed = [m for m in await desk.messages_until(ws, "resync.done") if m["type"] == "call.offered"]
        assert {m["call_id"]: (m["customer"] or {}).get("name") for m in replayed}["call-s"] == "Ada Lovelace"
        await ws.close()


async def test_wall_pushes_are_coalesced_and_at_least_periodic(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "super")
        ws = await connect(desk, client)
        await desk.messages_until(ws, "resync.done")
        await ws.send_json({"type": "wall.subscribe"})
        first = await desk.next_message(ws)
        assert first["type"] == "wall.snapshot"
        assert [q["queue"] for q in first["queues"]] == ["sales", "support"]
        for n in range(200):
            desk.bus.publish(CallQueued(call_id=f"q{n}", queue="support", priority=1, enter_time=desk.clock(),
                                        at=desk.clock()))
        desk.bus.publish(AgentStateChanged(agent_id="a2", state="ready", previous="logged_out", at=desk.clock()))
        snapshots = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 0.5
        while loop.time() < deadline:
            try:
                snapshots.append(await asyncio.wait_for(ws.receive_json(), deadline - loop.time()))
            except TimeoutError:
                break
        # the fixture pushes at most every 20 ms and at least every 200 ms
        assert 2 <= len(snapshots) <= 30
        support = next(q for q in snapshots[-1]["queues"] if q["queue"] == "support")
        assert support["waiting"] == 200
        assert support["agents"]["ready"] == 1
        assert [a["agent_id"] for a in snapshots[-1]["agents"]] == ["a2"]
        await ws.close()


async def test_the_card_is_fetched_while_the_call_waits_so_the_pop_does_not(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "agent1")
        ws = await connect(desk, client)
        await desk.messages_until(ws, "resync.done")
        desk.lookup.delay = 0.3  # a slow CRM, but quicker than the wait in queue
        desk.bus.publish(CallQueued(call_id="call-p", queue="support", priority=1, enter_time=desk.clock(),
                                    caller=CallerData(customer_id="c1"), at=desk.clock()))
        await asyncio.sleep(0.5)
        loop = asyncio.get_running_loop()
        offered_at = loop.time()
        offer(desk, "call-p")
        pop = (await desk.messages_until(ws, "call.offered"))[-1]
        assert pop["customer"]["name"] == "Ada Lovelace"
        assert loop.time() - offered_at < 0.2  # well under the look-up's own 0.3 s
        await ws.close()


async def closed_for_policy(ws: Any) -> bool:
    """True once the server closed ``ws`` with 1008 (messages queued before the close are skipped)."""
    message = await asyncio.wait_for(ws.receive(), 2.0)
    while message.type == aiohttp.WSMsgType.TEXT:
        message = await asyncio.wait_for(ws.receive(), 2.0)
    return bool(message.type == aiohttp.WSMsgType.CLOSE and ws.close_code == 1008)


async def test_a_socket_is_closed_when_its_session_is_removed_but_outlives_logins_elsewhere(desk: Desk) -> None:
    sessions = desk.app[SESSIONS]
    async with desk.session() as one, desk.session() as two:
        await desk.login(one, "agent1")
        await desk.login(two, "agent2")
        ws_one, ws_two = await connect(desk, one), await connect(desk, two)
        for ws in (ws_one, ws_two):
            await desk.messages_until(ws, "resync.done")
        for _ in range(sessions.max_per_account):  # agent1 logs in elsewhere again and again
            async with desk.session() as elsewhere:
                await desk.login(elsewhere, "agent1")
        await asyncio.sleep(0.1)  # several rounds of the hub's session check
        offer(desk, "call-1")  # the open page was in use, so idle sessions gave way instead
        assert (await desk.messages_until(ws_one, "call.offered"))[-1]["call_id"] == "call-1"
        sessions.delete(next(c.value for c in two.cookie_jar if c.key == "cc_session"))  # as eviction does
        assert await closed_for_policy(ws_two)
        offer(desk, "call-2", agent_id="a2")
        assert desk.app[HUB].connections == 1
        await ws_one.close()


async def test_an_open_page_keeps_its_session_until_max_age_then_is_closed(desk: Desk) -> None:
    sessions, hub = desk.app[SESSIONS], desk.app[HUB]
    async with desk.session() as client:
        await desk.login(client, "agent1")
        ws = await connect(desk, client)
        await desk.messages_until(ws, "resync.done")
        start, step = desk.clock.now, sessions.idle_timeout * 0.9
        while desk.clock.now + step - start <= sessions.max_age:
            desk.clock.advance(step)  # no HTTP request all that time, only the open socket
            assert hub.close_ended_sessions() == 0
        desk.clock.advance(step)
        assert hub.close_ended_sessions() == 1
        assert await closed_for_policy(ws)
        async with client.get(desk.url("/api/me")) as response:
            assert response.status == 401
