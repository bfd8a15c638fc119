"""The wall page shows the staffing advice panel from the live calls (browser)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from test_browser import signed_in_page

from acd.events import CallConnected, CallEnded, CallQueued

if TYPE_CHECKING:
    from conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_the_wall_page_shows_the_staffing_advice(browser: Any, live_server: LiveServer,
                                                     screenshot_dir: Path) -> None:
    from playwright.async_api import expect

    async with signed_in_page(browser, live_server.base_url, "super") as page:
        await page.wait_for_url("**/wall")
        now = time.time()
        for i in range(6):  # six calls of a queue no other test uses: the panel's window sees 24 an hour
            at = now - 300 + i * 30
            live_server.bus.publish(CallQueued(at=at, call_id=f"st-{i}", queue="advice-check", priority=0,
                                               enter_time=at))
            live_server.bus.publish(CallConnected(at=at + 2, call_id=f"st-{i}", queue="advice-check", agent_id="a1",
                                                  wait_seconds=2))
            live_server.bus.publish(CallEnded(at=at + 20, call_id=f"st-{i}", queue="advice-check", agent_id="a1",
                                              talk_seconds=18))
        row = page.locator("#staffing tbody tr", has_text="advice-check")
        await expect(row).to_contain_text("24 /h (a week ago 0 /h)")
        await expect(row).to_contain_text("(Erlang C)")
        await page.locator("#staffing").screenshot(path=str(screenshot_dir / "wall-staffing.png"))
