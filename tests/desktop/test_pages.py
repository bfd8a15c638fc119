"""Pages, API documentation, and hostile customer text staying inert."""

from __future__ import annotations

import re
from importlib import resources
from typing import TYPE_CHECKING

from agent_desktop.catalogue import HTTP_ROUTES, WS_EVENTS, WS_MESSAGES
from agent_desktop.handling import CONFIG
from agent_desktop.openapi import build_openapi

if TYPE_CHECKING:
    from conftest import Desk


async def test_text_echoed_into_pages_is_escaped(desk: Desk) -> None:
    async with desk.session() as client:
        token = await desk.anonymous_token(client)
        async with client.post(desk.url("/login"), data={
            "username": desk.hostile_text, "password": "x", "csrf_token": token,
        }) as response:
            html = await response.text()
            csp = response.headers["Content-Security-Policy"]
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp  # an injected inline script cannot run


def test_scripts_never_insert_data_as_html() -> None:
    static = resources.files("agent_desktop").joinpath("static")
    for name in ("live.js", "desktop.js", "wall.js"):
        source = static.joinpath(name).read_text(encoding="utf-8")
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", source), name
        assert "textContent" in source or name == "live.js"


async def test_customer_api_returns_hostile_text_as_data_only(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "super")
        async with client.get(desk.url("/api/customers/evil")) as response:
            assert response.content_type == "application/json"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert (await response.json())["name"] == desk.hostile_text


async def test_openapi_and_docs_list_every_route_and_websocket_message(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "camp")
        async with client.get(desk.url("/api/openapi.json")) as response:
            document = await response.json()
        async with client.get(desk.url("/api/docs")) as response:
            html = await response.text()
    assert document == build_openapi(desk.app[CONFIG].pause_reasons)
    assert document["openapi"].startswith("3.")
    for route in HTTP_ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        assert operation["x-roles"] == sorted(route.roles or [])
        assert f"<code>{route.path}</code>" in html
    assert document["paths"]["/api/calls/{call_id}/disposition"]["post"]["requestBody"]
    for kind in [m.type for m in WS_MESSAGES] + [e.type for e in WS_EVENTS]:
        assert f"<code>{kind}</code>" in html


async def test_home_sends_each_role_to_its_page(desk: Desk) -> None:
    expected = {"agent1": "/desktop", "super": "/wall", "root": "/wall", "camp": "/campaigns"}
    for user, page in expected.items():
        async with desk.session() as client:
            await desk.login(client, user)
            async with client.get(desk.url("/"), allow_redirects=False) as response:
                assert response.headers["Location"] == page
            async with client.get(desk.url(page)) as response:
                assert response.status == 200


async def test_static_files_are_served_and_nothing_else(desk: Desk) -> None:
    async with desk.session() as client:
        async with client.get(desk.url("/static/desktop.js")) as response:
            assert response.status == 200 and response.content_type == "text/javascript"
        for name in ("..%2F__init__.py", "nothing.js", "desktop.html"):
            async with client.get(desk.url(f"/static/{name}")) as response:
                assert response.status == 404, name
        async with client.get(desk.url("/static/vendor/pico/pico.classless.min.css")) as response:
            assert response.status == 200 and response.content_type == "text/css"
        for name in ("pico/LICENSE.md", "pico/..%2F..%2Fstyle.css", "..%2Fvendor/style.css", "nothing/style.css"):
            async with client.get(desk.url(f"/static/vendor/{name}")) as response:
                assert response.status == 404, name
