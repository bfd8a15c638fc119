"""Bad input at the desktop's edge (issue 10): text a user types is refused with a 400 naming the field
unless it can be stored as it is, malformed requests get a 400 or 404 with a message (never a 500), a
WebSocket frame that cannot be read gets an error reply and the socket lives on."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING
from urllib.parse import quote

import aiohttp
import pytest

from acd.events import CallConnected, CallOffered
from agent_desktop.handling import HUB
from ivr.caller import CallerData

if TYPE_CHECKING:
    from conftest import Desk

LONE_SURROGATE_NOTES = '{"disposition": "resolved", "notes": "before\\ud800after"}'  # the JSON escape, as sent


def talking_call(desk: Desk, call_id: str = "call-1") -> None:
    desk.bus.publish(CallOffered(call_id=call_id, queue="support", agent_id="a1", caller=CallerData(customer_id="c1"),
                                 at=desk.clock()))
    desk.bus.publish(CallConnected(call_id=call_id, queue="support", agent_id="a1", wait_seconds=2.0,
                                   at=desk.clock()))


async def post_raw(client: aiohttp.ClientSession, desk: Desk, path: str, token: str | None, body: bytes | str,
                   content_type: str = "application/json") -> tuple[int, str, str]:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["X-CSRF-Token"] = token
    data = body.encode() if isinstance(body, str) else body
    async with client.post(desk.url(path), headers=headers, data=data, allow_redirects=False) as response:
        return response.status, response.content_type, await response.text()


def error_of(text: str) -> str:
    message = json.loads(text)["error"]
    assert isinstance(message, str)
    return message


async def test_notes_that_cannot_be_stored_are_refused_naming_the_field(desk: Desk) -> None:
    talking_call(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        path = "/api/calls/call-1/disposition"
        status, _, text = await post_raw(client, desk, path, token, LONE_SURROGATE_NOTES)
        assert status == 400 and error_of(text).startswith("notes:") and "U+D800" in error_of(text)
        for notes in ("nul\x00inside", "bell\x07", "escape\x1b[2J", "c1\x85control"):
            status, _, text = await post_raw(client, desk, path, token,
                                             json.dumps({"disposition": "resolved", "notes": notes}))
            assert status == 400 and error_of(text).startswith("notes:"), notes
        status, _, text = await post_raw(client, desk, path, token,
                                         json.dumps({"disposition": "resolved", "notes": "x" * 4001}))
        assert status == 400 and error_of(text).startswith("notes:") and "4000" in error_of(text)
        assert desk.control.calls == []
        typed = "Line one\r\n\tindented: café, 日本語, 🙂\nend"
        status, _, _ = await post_raw(client, desk, path, token,
                                      json.dumps({"disposition": "resolved", "notes": typed}))
        assert status == 202
    assert desk.control.calls == [("dispose", "call-1", "a1", "resolved", typed)]


@pytest.mark.parametrize("name", ["Ada\x00Lovelace", "Ada\ud800", "Ada\tLovelace", "A" * 201])
async def test_a_customer_name_that_cannot_be_stored_is_refused_naming_the_field(desk: Desk, name: str) -> None:
    talking_call(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        body = json.dumps({"name": name, "phone": "+15550000001"})  # ensure_ascii: a lone surrogate as its escape
        status, _, text = await post_raw(client, desk, "/api/calls/call-1/customer/new", token, body)
    assert status == 400 and error_of(text).startswith("name:")
    assert desk.lookup.created == []


@pytest.mark.parametrize("field", ["company", "phone", "email"])
async def test_every_customer_field_is_checked(desk: Desk, field: str) -> None:
    talking_call(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        body = json.dumps({"name": "Ada", field: "x\x00y"})
        status, _, text = await post_raw(client, desk, "/api/calls/call-1/customer/new", token, body)
    assert status == 400 and error_of(text).startswith(f"{field}:")


async def test_search_text_and_pause_reasons_are_checked_too(desk: Desk) -> None:
    talking_call(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        async with client.get(desk.url("/api/calls/call-1/customer-search"), params={"q": "Ada\x00"}) as r:
            assert r.status == 400 and (await r.json())["error"].startswith("q:")
        status, _, text = await post_raw(client, desk, "/api/agent/not-ready", token, '{"reason": "lunch\\ud800"}')
        assert status == 400 and error_of(text).startswith("reason:")


async def test_a_frame_with_an_unreadable_type_or_id_gets_an_error_and_the_socket_lives_on(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "agent1")
        ws = await client.ws_connect(desk.ws_url())
        await desk.next_message(ws)  # hello
        for frame, request_type in (('{"type": "ping\\ud800"}', None), ('{"type": "\\udfff"}', None),
                                    ('{"type": "ping\\u0000"}', None), ('{"type": "ping", "id": "x\\ud800"}', "ping"),
                                    ('{"type": "ping", "id": {"nested": "object"}}', "ping")):
            await ws.send_str(frame)
            reply = await desk.next_message(ws)
            assert (reply["type"], reply["code"], reply["request_type"]) == ("error", "bad_request", request_type)
            assert reply["message"].startswith("id:" if request_type else "type:"), frame
        await ws.send_json({"type": "ping", "id": 7})
        assert await desk.next_message(ws) == {"type": "pong", "id": 7, "server_time": desk.clock()}
        await ws.close()


async def test_a_deeply_nested_frame_gets_an_error_reply_not_a_dropped_socket(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "agent1")
        ws = await client.ws_connect(desk.ws_url())
        await desk.next_message(ws)  # hello
        await ws.send_str('{"type": "ping", "id": ' + "[" * 30_000 + "]" * 30_000 + "}")
        reply = await desk.next_message(ws)
        assert (reply["type"], reply["code"]) == ("error", "bad_request") and "nested" in reply["message"]
        await ws.send_json({"type": "ping", "id": "still here"})
        assert (await desk.next_message(ws))["id"] == "still here"
        await ws.close()


async def test_a_deeply_nested_body_is_a_400(desk: Desk) -> None:
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        for body in ("[" * 100_000, '{"reason": ' + "[" * 40 + "]" * 40 + "}"):
            status, content_type, text = await post_raw(client, desk, "/api/agent/not-ready", token, body)
            assert (status, content_type) == (400, "application/json") and "nested" in error_of(text)


@pytest.mark.parametrize("content_type", [
    "multipart/form-data", "multipart/form-data; boundary=zz", "application/x-www-form-urlencoded; charset=bogus",
    "application/json; charset=bogus",
])
async def test_an_unreadable_body_is_a_400_with_a_message(desk: Desk, content_type: str) -> None:
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        status, answer_type, text = await post_raw(client, desk, "/api/agent/not-ready", token, "reason=lunch",
                                                   content_type)
    assert (status, answer_type) == (400, "application/json") and error_of(text)
    assert desk.control.calls == []


async def test_an_anonymous_login_form_without_its_boundary_is_a_400_page(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.anonymous_token(client)
        status, content_type, text = await post_raw(client, desk, "/login", None, "username=x", "multipart/form-data")
    assert (status, content_type) == (400, "text/html")
    assert "boundary" in text


@pytest.mark.parametrize("customer_id", ["²", "9" * 5000, "c1\x00", "\ud800"])
async def test_a_customer_id_that_names_nothing_is_a_404(desk: Desk, customer_id: str) -> None:
    async with desk.session() as client:
        await desk.login(client, "super")
        path = "/api/customers/" + quote(customer_id, safe="", errors="surrogatepass")
        async with client.get(desk.url(path)) as r:
            assert (r.status, r.content_type) == (404, "application/json")
            assert (await r.json())["error"]


async def test_matching_a_call_to_a_customer_id_that_names_nothing_is_a_404(desk: Desk) -> None:
    talking_call(desk)
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        for customer_id in ("¹", "9" * 5000):
            status, _, text = await post_raw(client, desk, "/api/calls/call-1/customer", token,
                                             json.dumps({"customer_id": customer_id}))
            assert status in (400, 404) and error_of(text), customer_id


async def test_sockets_per_session_are_capped_and_the_extra_one_is_refused(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "agent1")
        sockets = [await client.ws_connect(desk.ws_url()) for _ in range(5)]
        for ws in sockets:
            assert (await desk.next_message(ws))["type"] == "hello"
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect(desk.ws_url())
        assert refused.value.status == 429
        await sockets[0].close()
        for _ in range(50):  # the server notices the close on its side
            if desk.app[HUB].connections < 5:
                break
            await asyncio.sleep(0.02)
        again = await client.ws_connect(desk.ws_url())
        assert (await desk.next_message(again))["type"] == "hello"
        async with desk.session() as other:  # the cap is per session, not per account
            await desk.login(other, "agent1")
            elsewhere = await other.ws_connect(desk.ws_url())
            assert (await desk.next_message(elsewhere))["type"] == "hello"
            await elsewhere.close()
        for ws in [*sockets[1:], again]:
            await ws.close()


async def test_messages_dropped_for_a_slow_socket_are_logged_once(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    hub = desk.app[HUB]
    async with desk.session() as client:
        await desk.login(client, "agent1")
        ws = await client.ws_connect(desk.ws_url())
        await desk.next_message(ws)  # hello
        (conn,) = hub._connections
        conn.outbox = asyncio.Queue(1)  # the writer waits on the old one: nothing drains this
        conn.outbox.put_nowait("filler")
        with caplog.at_level(logging.INFO, logger="agent_desktop.hub"):
            for n in range(200):
                hub.send(conn, {"type": "pong", "id": n, "server_time": 0})
            await asyncio.sleep(0.05)
            await ws.close()
            for _ in range(50):
                if len(caplog.records) > 1:
                    break
                await asyncio.sleep(0.02)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "agent1" in warnings[0].getMessage()
    assert any("200" in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]


async def test_a_login_form_field_over_its_limit_is_refused_not_cut(desk: Desk) -> None:
    async with desk.session() as client:
        token = await desk.anonymous_token(client)
        for field, value in (("username", "agent1" + "x" * 200), ("password", "pw-agent1" + "x" * 2000)) * 4:
            form = {"username": "agent1", "password": "pw-agent1", "csrf_token": token, field: value}
            async with client.post(desk.url("/login"), data=form, allow_redirects=False) as response:
                assert (response.status, response.content_type) == (400, "text/html"), field
                assert f"{field}: at most" in await response.text()
        await desk.login(client, "agent1")  # eight refused forms cost no login attempts (five would lock)


async def test_an_unexpected_failure_is_a_logged_500_with_a_message(
    desk: Desk, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(customer_id: str) -> None:
        raise RuntimeError("the CRM fell over")

    monkeypatch.setattr(desk.lookup, "customer_card", broken)
    async with desk.session() as client:
        await desk.login(client, "super")
        with caplog.at_level(logging.ERROR, logger="agent_desktop.guard"):
            async with client.get(desk.url("/api/customers/c1")) as response:
                assert (response.status, response.content_type) == (500, "application/json")
                assert "CRM" not in (await response.json())["error"]  # the details go to the log only
    assert "GET /api/customers/c1" in caplog.text and "the CRM fell over" in caplog.text
