"""The desktop in a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from acd.events import (
    CallConnected,
    CallDisposed,
    CallEnded,
    CallHeld,
    CallOffered,
    CallQueued,
    CallResumed,
    ConsultEnded,
    ConsultStarted,
)
from ivr.caller import CallerData

if TYPE_CHECKING:
    from conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
TIMEOUT_MS = 5000


@contextlib.asynccontextmanager
async def signed_in_page(browser: Any, base_url: str, user: str) -> AsyncIterator[Any]:
    """A page of a fresh browser context that has just submitted ``user``'s login form."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        await page.goto(base_url + "/login")
        await page.fill("#username", user)
        await page.fill("#password", f"pw-{user}")
        await page.click("#login-submit")
        yield page
    finally:
        await context.close()


async def test_agent_goes_ready_gets_a_pop_and_cannot_open_the_wall(
    browser: Any, live_server: LiveServer, screenshot_dir: Path
) -> None:
    from playwright.async_api import expect

    async with signed_in_page(browser, live_server.base_url, "agent1") as page:
        await page.wait_for_url("**/desktop")
        await expect(page.locator("#conn")).to_have_text("live")
        await page.click("#btn-ready")
        await expect(page.locator("#state")).to_have_text("ready")

        live_server.bus.publish(CallOffered(call_id="b-1", queue="support", agent_id="a1",
                                            caller=CallerData(ani="+441632960001", customer_id="c1", tier="vip",
                                                              intent="billing", ivr_data=(("code", "100008"),)),
                                            at=time.time()))
        await expect(page.locator("#pop-name")).to_have_text("Ada Lovelace")
        await expect(page.locator("#pop-tier")).to_have_text("vip")
        await expect(page.locator("#pop-tickets")).to_contain_text("Invoice wrong")
        await expect(page.locator("#pop-ivr")).to_contain_text("100008")
        live_server.bus.publish(CallConnected(call_id="b-1", queue="support", agent_id="a1", wait_seconds=2.0,
                                          at=time.time()))
        await expect(page.locator("#wrapup")).to_be_visible()
        await page.screenshot(path=str(screenshot_dir / "desktop-pop.png"), full_page=True)
        await page.click("#wrapup-save")  # no disposition chosen: the required field stops the form
        assert await page.locator("#wrapup-disposition").evaluate("select => select.validity.valueMissing")
        assert not [c for c in live_server.control.calls if c[:2] == ("dispose", "b-1")]
        await page.select_option("#wrapup-disposition", "escalated")
        await page.fill("#wrapup-notes", "needs billing team")
        await page.click("#wrapup-save")
        await expect(page.locator("#msg")).to_have_text("Wrap-up saved; it is recorded when the call ends")
        assert live_server.control.calls[-1] == ("dispose", "b-1", "a1", "escalated", "needs billing team")

        # hostile stored text shows as text; nothing in it runs
        live_server.bus.publish(CallOffered(call_id="b-2", queue="support", agent_id="a1",
                                            caller=CallerData(customer_id="evil"),
                                        at=time.time()))
        await expect(page.locator("#pop-company")).to_contain_text("<script>")
        assert await page.locator("#pop img, #pop script").count() == 0
        assert await page.title() != "pwned"
        await page.screenshot(path=str(screenshot_dir / "desktop-hostile-pop.png"), full_page=True)

        response = await page.goto(live_server.base_url + "/wall")
        assert response is not None and response.status == 403
        await expect(page.locator("#error-page")).to_contain_text("403")
        await page.screenshot(path=str(screenshot_dir / "agent-refused-wall.png"))


async def test_supervisor_wall_shows_queues_and_agents(
    browser: Any, live_server: LiveServer, screenshot_dir: Path
) -> None:
    from playwright.async_api import expect

    async with signed_in_page(browser, live_server.base_url, "super") as page:
        await page.wait_for_url("**/wall")
        tile = page.locator('.tile[data-queue="sales"]')
        await expect(tile).to_be_visible()
        await expect(page.locator("#wall-day")).to_contain_text(f"Today {time.strftime('%Y-%m-%d')} · ")
        live_server.bus.publish(CallQueued(call_id="w-1", queue="sales", priority=1, enter_time=time.time() - 30,
                                       at=time.time()))
        await expect(tile.locator(".figure").first).to_contain_text("1")
        await expect(tile.locator(".level-alert")).to_have_count(1)  # 30 s longest wait > 20 s target
        await page.screenshot(path=str(screenshot_dir / "wall.png"), full_page=True)


async def test_hold_then_an_attended_transfer_between_two_desktops(
    browser: Any, live_server: LiveServer, screenshot_dir: Path
) -> None:
    from playwright.async_api import expect

    publish, calls = live_server.bus.publish, live_server.control.calls
    call, first, second = "h-1", "h-1-consult-1", "h-1-consult-2"
    async with signed_in_page(browser, live_server.base_url, "agent1") as one, \
            signed_in_page(browser, live_server.base_url, "agent2") as two:
        for page in (one, two):
            await page.wait_for_url("**/desktop")
            await expect(page.locator("#conn")).to_have_text("live")
        await two.click("#btn-ready")
        await expect(two.locator("#state")).to_have_text("ready")
        publish(CallOffered(call_id=call, queue="support", agent_id="a1", caller=CallerData(customer_id="c1"),
                            at=time.time()))
        publish(CallConnected(call_id=call, queue="support", agent_id="a1", wait_seconds=2.0, at=time.time()))
        await expect(one.locator("#talk")).to_be_visible()

        await one.click("#btn-hold")
        await expect(one.locator("#msg")).to_have_text("Hold requested")
        assert calls[-1] == ("hold", call, "a1")
        publish(CallHeld(call_id=call, queue="support", agent_id="a1", at=time.time() - 5))
        await expect(one.locator("#hold-state")).to_have_text("On hold")
        await one.reload()  # the hold and its timer survive a reload
        await expect(one.locator("#hold-state")).to_have_text("On hold")
        await expect(one.locator("#hold-timer")).to_have_text(re.compile(r"^0:0[5-9]$"))
        await expect(one.locator("#btn-hold")).to_be_hidden()
        await one.screenshot(path=str(screenshot_dir / "desktop-hold.png"), full_page=True)
        await one.click("#btn-resume")
        await expect(one.locator("#msg")).to_have_text("Resume requested")
        assert calls[-1] == ("resume", call, "a1")
        publish(CallResumed(call_id=call, queue="support", agent_id="a1", held_seconds=7.0, at=time.time()))
        await expect(one.locator("#msg")).to_have_text("The caller is back after 0:07")
        await expect(one.locator("#hold-state")).to_have_text("")

        # consult Agent Two, who is ready, then think better of it
        await one.click("#transfer-refresh")
        await one.select_option("#transfer-target", label="Agent Two")
        await one.click("#consult-start")
        await expect(one.locator("#msg")).to_have_text("Calling Agent Two…")
        assert calls[-1] == ("consult", call, "a1", "a2", None)
        publish(ConsultStarted(call_id=call, agent_id="a1", consult_id=first, target_agent="a2", at=time.time()))
        publish(CallHeld(call_id=call, queue="support", agent_id="a1", at=time.time()))
        publish(CallOffered(call_id=first, queue="support", agent_id="a2", caller=CallerData(customer_id="c1"),
                            consult_of=call,
                            at=time.time()))
        await expect(one.locator("#consult-state")).to_have_text("Consulting Agent Two: ringing")
        await expect(one.locator("#consult-complete")).to_be_disabled()
        await expect(two.locator("#pop-consultation")).to_contain_text("Consultation from Agent One")
        await one.click("#consult-cancel")
        await expect(one.locator("#msg")).to_have_text("Going back to the caller…")
        assert calls[-1] == ("cancel_consult", call, "a1")
        publish(ConsultEnded(call_id=call, agent_id="a1", consult_id=first, outcome="cancelled", at=time.time()))
        publish(CallResumed(call_id=call, queue="support", agent_id="a1", held_seconds=3.0, at=time.time()))
        await expect(one.locator("#consulting")).to_be_hidden()
        await expect(two.locator("#pop")).to_be_hidden()
        await expect(two.locator("#msg")).to_have_text("The consultation was called off")

        # consult again, and hand the caller over once Agent Two answers
        await one.select_option("#transfer-target", label="Agent Two")
        await one.click("#consult-start")
        await expect(one.locator("#msg")).to_have_text("Calling Agent Two…")
        publish(CallOffered(call_id=second, queue="support", agent_id="a2", caller=CallerData(customer_id="c1"),
                            consult_of=call,
                            at=time.time()))
        publish(ConsultStarted(call_id=call, agent_id="a1", consult_id=second, target_agent="a2", at=time.time()))
        publish(CallHeld(call_id=call, queue="support", agent_id="a1", at=time.time()))
        publish(CallConnected(call_id=second, queue="support", agent_id="a2", wait_seconds=0.0, at=time.time()))
        await expect(one.locator("#consult-state")).to_have_text("Consulting Agent Two: talking")
        await expect(two.locator("#pop-title")).to_have_text("Consultation")
        await expect(two.locator("#pop-name")).to_have_text("Ada Lovelace")  # the caller's card, for the briefing
        await expect(two.locator("#talk")).to_be_hidden()
        await expect(two.locator("#wrapup")).to_be_hidden()
        await one.screenshot(path=str(screenshot_dir / "desktop-consulting.png"), full_page=True)
        await two.screenshot(path=str(screenshot_dir / "desktop-consultation-colleague.png"), full_page=True)
        await one.click("#consult-complete")
        await expect(one.locator("#msg")).to_have_text("Handing the caller over…")
        assert calls[-1] == ("complete_consult", call, "a1")
        publish(CallEnded(call_id=call, queue="support", agent_id="a1", talk_seconds=60, outcome="transferred",
                          at=time.time()))
        publish(ConsultEnded(call_id=call, agent_id="a1", consult_id=second, outcome="completed", at=time.time()))
        await expect(one.locator("#talk")).to_be_hidden()
        await expect(one.locator("#wrapup")).to_be_visible()
        await expect(two.locator("#msg")).to_have_text("Agent One handed you the caller")
        await expect(two.locator("#pop-title")).to_have_text("Caller")
        await expect(two.locator("#pop-consultation")).to_be_hidden()
        await expect(two.locator("#talk")).to_be_visible()
        await two.screenshot(path=str(screenshot_dir / "desktop-handed-over.png"), full_page=True)
    publish(CallDisposed(call_id=call, agent_id="a1", disposition="resolved", at=time.time()))
    publish(CallEnded(call_id=second, queue="support", agent_id="a2", talk_seconds=30, at=time.time()))
    publish(CallDisposed(call_id=second, agent_id="a2", disposition="resolved", at=time.time()))
