"""The desktop in a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from acd.events import CallConnected, CallOffered, CallQueued

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

        live_server.bus.publish(CallOffered(call_id="b-1", queue="support", agent_id="a1", customer_id="c1",
                                        ani="+441632960001", intent="billing", tier="vip",
                                        ivr_data=(("code", "100008"),), at=time.time()))
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
        assert not [c for c in live_server.control.calls if c[0] == "dispose"]
        await page.select_option("#wrapup-disposition", "escalated")
        await page.fill("#wrapup-notes", "needs billing team")
        await page.click("#wrapup-save")
        await expect(page.locator("#msg")).to_have_text("Wrap-up saved")
        assert live_server.control.calls[-1] == ("dispose", "b-1", "a1", "escalated", "needs billing team")

        # hostile stored text shows as text; nothing in it runs
        live_server.bus.publish(CallOffered(call_id="b-2", queue="support", agent_id="a1", customer_id="evil",
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
        live_server.bus.publish(CallQueued(call_id="w-1", queue="sales", priority=1, enter_time=time.time() - 30,
                                       at=time.time()))
        await expect(tile.locator(".figure").first).to_contain_text("1")
        await expect(tile.locator(".level-alert")).to_have_count(1)  # 30 s longest wait > 20 s target
        await page.screenshot(path=str(screenshot_dir / "wall.png"), full_page=True)
