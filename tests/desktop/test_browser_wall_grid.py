"""The wall readable from a phone to a wall display: the agent grid sorts and filters, a paused agent can be
forced ready, and the page never scrolls sideways (issue 11, part 7); screenshots at 390, 1366 and 1920 px."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sim_calls import WIDTHS, no_sideways_scroll

from acd.events import AgentStateChanged
from tests.desktop.test_browser import signed_in_page

if TYPE_CHECKING:
    from conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_the_agent_grid_sorts_filters_and_forces_ready_at_every_width(
    browser: Any, live_server: LiveServer, screenshot_dir: Path
) -> None:
    from playwright.async_api import expect

    now = time.time()
    live_server.control.states["a1"] = "not_ready"
    # From logged out first, so that the wall takes these moments whatever earlier tests left.
    for agent, state, reason, since in (("a1", "not_ready", "break", now - 5), ("a2", "ready", None, now - 60)):
        live_server.bus.publish(AgentStateChanged(agent_id=agent, state="logged_out", previous=state, at=since))
        live_server.bus.publish(AgentStateChanged(agent_id=agent, state=state, previous="logged_out", reason=reason,
                                                  at=since))
    async with signed_in_page(browser, live_server.base_url, "super") as page:
        page.set_default_timeout(5000)
        await page.wait_for_url("**/wall")
        names = page.locator("#agents tr td:first-child")
        await expect(names).to_have_text(["Agent One", "Agent Two"])
        await page.click('th[data-sort="name"] button')  # again: descending
        await expect(names).to_have_text(["Agent Two", "Agent One"])
        await expect(page.locator('th[data-sort="name"]')).to_have_attribute("aria-sort", "descending")
        await page.click('th[data-sort="since"] button')  # longest in their state first
        await expect(names).to_have_text(["Agent Two", "Agent One"])
        await page.select_option("#filter-state", "not_ready")
        await expect(names).to_have_text(["Agent One"])
        await page.select_option("#filter-state", "")
        await page.fill("#filter-name", "two")
        await expect(names).to_have_text(["Agent Two"])
        await page.fill("#filter-name", "")

        row = page.locator('#agents tr[data-agent-id="a1"]')
        await row.get_by_role("button", name="Ready", exact=True).click()
        await expect(page.locator("#msg")).to_have_text("ready sent for Agent One")
        await expect(row.locator("td").nth(1)).to_have_text("ready")
        live_server.bus.publish(AgentStateChanged(agent_id="a1", state="logged_out", previous="ready", at=time.time()))

        for width in WIDTHS:
            await no_sideways_scroll(page, width, screenshot_dir, "wall")
        tiles_per_row = await page.evaluate(
            "new Set([...document.querySelectorAll('#tiles .tile')].map((t) => t.getBoundingClientRect().top)).size")
        assert tiles_per_row == 1  # at 1920 px every queue fits in one row, none left below half a screen
