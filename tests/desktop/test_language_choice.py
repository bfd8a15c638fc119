"""The language of the answers: the browser's until the user chooses, then the choice, remembered in a
cookie and for the account; pages, error texts and the scripts' messages all follow it."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import aiohttp

from agent_desktop.languages import LANGUAGE_COOKIE

if TYPE_CHECKING:
    from conftest import Desk

CHINESE_BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


def html_lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', html)
    assert found, html[:200]
    return found.group(1)


def script_text(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="ui-text">(.*?)</script>', html, re.DOTALL)
    assert found, "every page embeds the scripts' messages"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


async def page(client: aiohttp.ClientSession, desk: Desk, path: str, **headers: str) -> tuple[int, str]:
    async with client.get(desk.url(path), headers=headers) as response:
        return response.status, await response.text()


async def choose(client: aiohttp.ClientSession, desk: Desk, token: str, language: str,
                 **headers: str) -> aiohttp.ClientResponse:
    async with client.post(desk.url("/api/me/language"), json={"language": language},
                           headers={"X-CSRF-Token": token, **headers}) as response:
        await response.read()
        return response


async def switch(client: aiohttp.ClientSession, desk: Desk, token: str, language: str,
                 back_to: str) -> aiohttp.ClientResponse:
    """What the switcher on a page posts."""
    async with client.post(desk.url("/api/me/language"), allow_redirects=False, data={
        "language": language, "next": back_to, "csrf_token": token,
    }) as response:
        await response.read()
        return response


async def test_a_browser_that_asks_for_nothing_gets_english(desk: Desk) -> None:
    async with desk.session() as client:
        status, html = await page(client, desk, "/login")
    assert status == 200 and html_lang(html) == "en"
    assert "User name" in html and script_text(html)["language"] == "en"
    # English scripts need no sentences, only the code words English spells differently ("Agents" for "agent").
    messages = script_text(html)["messages"]
    assert messages["report\x04agent"] == "Agents" and all("\x04" in key for key in messages)


async def test_a_chinese_browser_gets_chinese_pages_and_error_texts(desk: Desk) -> None:
    async with desk.session() as client:
        _, html = await page(client, desk, "/login", **CHINESE_BROWSER)
        assert html_lang(html) == "zh-CN" and "用户名" in html and "User name" not in html
        token = await desk.anonymous_token(client)
        async with client.post(desk.url("/login"), headers=CHINESE_BROWSER,
                               data={"username": "agent1", "password": "wrong", "csrf_token": token}) as response:
            assert response.status == 401 and "用户名或密码错误。" in await response.text()
        await desk.login(client, "agent1")
        _, html = await page(client, desk, "/desktop", **CHINESE_BROWSER)
        assert html_lang(html) == "zh-CN" and "我的状态" in html and "坐席" in html
        messages = script_text(html)["messages"]
        assert messages["Wrap-up saved"] == "话后处理已保存"  # found in desktop.js
        assert messages["agent state\x04on_call"] == "通话中"  # a code word
        assert "User name" not in messages  # only what the scripts use
        async with client.post(desk.url("/api/agent/not-ready"), json={"reason": "nap"},
                               headers={"X-CSRF-Token": await csrf(client, desk), **CHINESE_BROWSER}) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "原因必须是以下之一：break, lunch, training"
        status, html = await page(client, desk, "/no-such-page", **CHINESE_BROWSER)
        assert status == 404 and "没有这个页面。" in html and html_lang(html) == "zh-CN"
        status, html = await page(client, desk, "/wall", **CHINESE_BROWSER)
        assert status == 403 and "您的角色无权使用此功能" in html


async def csrf(client: aiohttp.ClientSession, desk: Desk) -> str:
    async with client.get(desk.url("/api/me")) as response:
        return str((await response.json())["csrf_token"])


async def test_the_choice_on_the_login_page_is_remembered_by_the_browser(desk: Desk) -> None:
    async with desk.session() as client:
        response = await switch(client, desk, await desk.anonymous_token(client), "zh-CN", "/login")
        assert response.status == 303 and response.headers["Location"] == "/login"
        cookie = response.cookies[LANGUAGE_COOKIE]
        assert cookie.value == "zh-CN" and cookie["httponly"] and int(cookie["max-age"]) > 300 * 24 * 3600
        _, html = await page(client, desk, "/login")  # an English browser, and yet
        assert html_lang(html) == "zh-CN"
        await desk.login(client, "agent1")
        _, html = await page(client, desk, "/desktop")
        assert html_lang(html) == "zh-CN"


async def test_a_logged_in_choice_follows_the_account_to_another_browser(desk: Desk) -> None:
    async with desk.session() as first:
        assert (await choose(first, desk, await desk.login(first, "super"), "zh-CN")).status == 200
        async with first.get(desk.url("/api/me")) as me:
            assert (await me.json())["language"] == "zh-CN"
    async with desk.session() as second:  # no cookie, an English browser
        await desk.login(second, "super")
        _, html = await page(second, desk, "/wall", **{"Accept-Language": "en"})
        assert html_lang(html) == "zh-CN" and "监控大屏" in html
        assert (await choose(second, desk, await csrf(second, desk), "en")).status == 200
        _, html = await page(second, desk, "/wall", **CHINESE_BROWSER)
        assert html_lang(html) == "en"  # the choice outranks the browser
    async with desk.session() as third:
        await desk.login(third, "agent1")  # somebody else's choice is not theirs
        _, html = await page(third, desk, "/desktop")
        assert html_lang(html) == "en"


async def test_a_choice_must_name_a_language_and_the_switcher_only_goes_back_to_this_site(desk: Desk) -> None:
    async with desk.session() as client:
        token = await desk.login(client, "agent1")
        assert (await choose(client, desk, token, "klingon")).status == 400
        for target, expected in (("/desktop?x=1", "/desktop?x=1"), ("https://evil.example/", "/"),
                                 ("//evil.example/", "/"), ("/\\evil.example", "/"), ("/a\r\nSet-Cookie: x", "/")):
            redirect = await switch(client, desk, token, "en", target)
            assert (redirect.status, redirect.headers["Location"]) == (303, expected), target
        async with client.post(desk.url("/api/me/language"), json={"language": "zh-CN"}) as response:
            assert response.status == 403  # no CSRF token: a foreign site cannot switch anybody's language


async def test_the_login_limits_speak_the_browser_s_language(desk: Desk) -> None:
    desk.login_traffic.per_ip = 1
    async with desk.session() as client:
        await page(client, desk, "/login")
        status, html = await page(client, desk, "/login", **CHINESE_BROWSER)
    assert status == 429 and re.search(r"来自您地址的请求过多。请在 \d+ 秒后重试。", html)


async def test_every_page_offers_the_switcher_in_each_language_s_own_name(desk: Desk) -> None:
    async with desk.session() as client:
        _, html = await page(client, desk, "/login", **CHINESE_BROWSER)
    assert re.search(r'<button type="submit" name="language" value="en" lang="en"\s*>English</button>', html)
    assert re.search(r'value="zh-CN" lang="zh-CN"\s*aria-current="true" disabled>中文</button>', html)


async def test_the_api_docs_frame_is_translated_and_the_reference_stays_english(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "camp")
        _, html = await page(client, desk, "/api/docs", **CHINESE_BROWSER)
    assert "机器可读版本" in html and "仅提供英文版" in html and "<th>功能</th>" in html
    assert "Liveness probe." in html  # the route table's own words, shared with the OpenAPI document
