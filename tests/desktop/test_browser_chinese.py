"""The desktop and the wall in Chinese, in a real browser (Debian's chromium): a browser asking for zh-CN
gets them in Chinese with nothing left in English but data, and the switcher changes the language."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from acd.events import AgentStateChanged, CallConnected, CallDisposed, CallEnded, CallHeld, CallOffered, CallQueued
from agent_desktop.catalogues import read_catalogue
from agent_desktop.languages import SIMPLIFIED_CHINESE
from agent_desktop.ui_text import CodeWord
from ivr.caller import CallerData

if TYPE_CHECKING:
    from conftest import LiveServer

in_browser = pytest.mark.asyncio(loop_scope="session")  # the browser and the served app share that loop
TIMEOUT_MS = 5000

# Every text shown on the page that a person reads: text nodes of visible elements (and all options of a
# visible select), the attributes browsers show, and the title.
VISIBLE_TEXTS = """() => {
  const visible = (el) => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style")) continue;
    if (visible(parent.closest("select") || parent)) texts.push(node.textContent);
  }
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder], optgroup[label]")) {
    if (!visible(el.closest("select") || el)) continue;
    for (const name of ["title", "aria-label", "placeholder", "label"]) {
      if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
    }
  }
  return texts.map((text) => text.replace(/\\s+/g, " ").trim()).filter(Boolean);
}"""


def english_ui_texts() -> list[re.Pattern[str]]:
    """How each English UI text that Chinese says differently would read on the page: message ids with
    their placeholders filled by anything, and the English words of the code words."""
    patterns = []
    for message in read_catalogue(SIMPLIFIED_CHINESE):
        if not message.id or message.string == message.id or "<" in str(message.id):
            continue
        english = CodeWord(message.context, str(message.id)).plain if message.context else str(message.id)
        parts = re.split(r"%\(\w+\)s", english.replace("%%", "%"))
        patterns.append(re.compile("(?:.+)".join(re.escape(part) for part in parts)))
    return patterns


def untranslated(texts: list[str]) -> list[str]:
    """The texts that are an English UI text, or hold one of several words; names, codes and numbers
    (data) pass."""
    patterns = english_ui_texts()
    phrases = [p for p in patterns if " " in p.pattern and "(?:.+)" not in p.pattern]
    return [text for text in texts
            if any(p.fullmatch(text) for p in patterns) or any(re.search(rf"\b{p.pattern}\b", text) for p in phrases)]


@contextlib.asynccontextmanager
async def chinese_page(browser: Any) -> AsyncIterator[Any]:
    """A page of a browser whose language is Simplified Chinese (Accept-Language: zh-CN)."""
    context = await browser.new_context(locale="zh-CN")
    try:
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        yield page
    finally:
        await context.close()


def test_the_check_knows_english_from_data() -> None:
    assert untranslated(["Wrap-up saved", "Transferred to Agent Two", "not ready", "Hold requested!"]) == [
        "Wrap-up saved", "Transferred to Agent Two", "not ready", "Hold requested!"]
    assert untranslated(["Agent One", "Ada Lovelace", "Holdings Ltd", "support", "0:07", "话后处理已保存", "中文",
                         "English"]) == []


@pytest.mark.browser
@in_browser
async def test_the_desktop_with_a_pop_in_chinese(
    browser: Any, live_server: LiveServer, sign_in: Callable[..., Any], screenshot_dir: Path
) -> None:
    from playwright.async_api import expect

    publish, call = live_server.bus.publish, "zh-1"
    async with chinese_page(browser) as page:
        await sign_in(page, live_server.base_url, "agent2")
        await page.wait_for_url("**/desktop")
        assert await page.get_attribute("html", "lang") == "zh-CN"
        await expect(page.locator("#conn")).to_have_text("在线")
        await page.click("#btn-ready")
        await expect(page.locator("#state")).to_have_text("就绪")
        publish(CallOffered(call_id=call, queue="support", agent_id="a2",
                            caller=CallerData(ani="+441632960001", customer_id="c1", tier="vip", intent="billing",
                                              ivr_data=(("code", "100008"),)), at=time.time()))
        publish(CallConnected(call_id=call, queue="support", agent_id="a2", wait_seconds=12.0, at=time.time()))
        await expect(page.locator("#pop-name")).to_have_text("Ada Lovelace")
        await expect(page.locator("#pop-status")).to_have_text("通话中")
        await expect(page.locator("#pop-tickets")).to_contain_text("新建")  # the ticket's status
        await page.click("#btn-hold")
        await expect(page.locator("#msg")).to_have_text("已请求保持")
        publish(CallHeld(call_id=call, queue="support", agent_id="a2", at=time.time() - 3))
        await expect(page.locator("#hold-state")).to_have_text("保持中")
        await page.click("#finder-toggle")  # the finder's forms, for the check too
        await expect(page.locator("#finder-new")).to_be_visible()
        await page.screenshot(path=str(screenshot_dir / "desktop-zh-CN.png"), full_page=True)
        texts = await page.evaluate(VISIBLE_TEXTS)
        assert {"保持中", "已解决", "VIP", "呼入", "不是这位客户？查找或新增正确的客户", "我的状态"} <= set(texts) | {
            word for text in texts for word in re.split(r" · |[()（）]", text)}
        assert untranslated(texts) == []
    publish(CallEnded(call_id=call, queue="support", agent_id="a2", talk_seconds=20, at=time.time()))
    publish(CallDisposed(call_id=call, agent_id="a2", disposition="resolved", at=time.time()))
    publish(AgentStateChanged(agent_id="a2", state="ready", previous="wrap_up", at=time.time()))


@pytest.mark.browser
@in_browser
async def test_the_wall_in_chinese(browser: Any, live_server: LiveServer, sign_in: Callable[..., Any],
                                   screenshot_dir: Path) -> None:
    from playwright.async_api import expect

    publish, call = live_server.bus.publish, "zh-2"
    async with chinese_page(browser) as page:
        await sign_in(page, live_server.base_url, "super")
        await page.wait_for_url("**/wall")
        publish(CallQueued(call_id="zh-3", queue="sales", priority=1, enter_time=time.time() - 45, at=time.time()))
        publish(CallOffered(call_id=call, queue="support", agent_id="a1", at=time.time()))
        publish(AgentStateChanged(agent_id="a1", state="on_call", previous="reserved", call_id=call, at=time.time()))
        publish(CallConnected(call_id=call, queue="support", agent_id="a1", wait_seconds=4.0, at=time.time()))
        publish(CallHeld(call_id=call, queue="support", agent_id="a1", at=time.time()))
        publish(AgentStateChanged(agent_id="a2", state="not_ready", previous="ready", reason="lunch", at=time.time()))
        await expect(page.locator('tr[data-agent-id="a2"]')).to_contain_text("未就绪午餐")
        row = page.locator('tr[data-agent-id="a1"]')
        await expect(row).to_contain_text("通话中")
        await expect(row).to_contain_text("来电者保持中")
        await expect(row.locator("button")).to_have_text(["监听", "耳语", "强插", "未就绪", "签出"])
        today = re.compile(r"^今天 \d{4}年\d{1,2}月\d{1,2}日 · \d\d:\d\d")
        await expect(page.locator("#wall-day")).to_contain_text(today)
        sales = page.locator('.tile[data-queue="sales"]')
        waiting = sales.locator(".figure", has_text="排队中").locator(".value")
        await expect(waiting).to_have_text(re.compile(r"^[1-9]\d*$"))  # other browser tests may leave callers too
        await expect(sales.locator(".figure", has_text="最长等待")).to_contain_text(re.compile(r"\d+ 秒"))
        await page.screenshot(path=str(screenshot_dir / "wall-zh-CN.png"), full_page=True)
        texts = await page.evaluate(VISIBLE_TEXTS)
        assert untranslated(texts) == []
    publish(CallEnded(call_id=call, queue="support", agent_id="a1", talk_seconds=20, at=time.time()))
    publish(AgentStateChanged(agent_id="a1", state="ready", previous="on_call", at=time.time()))
    publish(AgentStateChanged(agent_id="a2", state="ready", previous="not_ready", at=time.time()))


@pytest.mark.browser
@in_browser
async def test_the_switcher_changes_the_language_and_the_choice_stays(
    browser: Any, live_server: LiveServer, sign_in: Callable[..., Any], screenshot_dir: Path
) -> None:
    from playwright.async_api import expect

    context = await browser.new_context()  # an English browser
    try:
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        await page.goto(live_server.base_url + "/login")
        await page.click("#language-switcher button[value=zh-CN]")
        await expect(page.locator("#login-submit")).to_have_text("登录")
        await page.screenshot(path=str(screenshot_dir / "login-zh-CN.png"))
        await sign_in(page, live_server.base_url, "agent1")
        await page.wait_for_url("**/desktop")
        await expect(page.locator("#btn-ready")).to_have_text("就绪")
        await page.click("#language-switcher button[value=en]")
        await page.wait_for_url("**/desktop")
        await expect(page.locator("#btn-ready")).to_have_text("Ready")
        assert await page.get_attribute("html", "lang") == "en"
    finally:
        await context.close()
