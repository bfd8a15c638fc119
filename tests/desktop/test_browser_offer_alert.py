"""An offered call gets noticed: the tab title names the caller until the call is answered, and a browser
notification shows when the tab is in the background and the agent allowed them (issue 11, part 5)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from acd.events import AgentStateChanged, CallConnected, CallDisposed, CallOffered
from ivr.caller import CallerData
from tests.desktop.test_browser import signed_in_page

if TYPE_CHECKING:
    from conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# The page's notifications and visibility, as a tab in the background with notifications allowed sees them.
BACKGROUND_TAB = """
window.shown = [];
window.Notification = class { constructor(title, options) { window.shown.push([title, options.body]); } };
Notification.permission = "granted";
Object.defineProperty(document, "hidden", {get: () => true});
"""


async def test_an_offer_names_the_caller_in_the_title_and_a_notification_until_answered(
    browser: Any, live_server: LiveServer
) -> None:
    from playwright.async_api import expect

    async with signed_in_page(browser, live_server.base_url, "agent2") as page:
        page.set_default_timeout(5000)
        await page.wait_for_url("**/desktop")
        await page.add_init_script(BACKGROUND_TAB)
        await page.reload()
        await expect(page.locator("#conn")).to_have_text("live")
        await expect(page.locator("#btn-alerts")).to_be_hidden()  # allowed already: nothing to ask
        plain = await page.title()
        live_server.bus.publish(CallOffered(call_id="al-1", queue="support", agent_id="a2", at=time.time(),
                                            caller=CallerData(ani="+441632960001", customer_id="c1")))
        await expect(page).to_have_title(f"Incoming call: Ada Lovelace · {plain}")
        assert await page.evaluate("window.shown") == [["Incoming call", "Ada Lovelace"]]
        live_server.bus.publish(CallConnected(call_id="al-1", queue="support", agent_id="a2", wait_seconds=1.0,
                                              at=time.time()))
        await expect(page).to_have_title(plain)
        live_server.bus.publish(CallDisposed(call_id="al-1", agent_id="a2", disposition="resolved", notes="",
                                             at=time.time()))
        live_server.bus.publish(AgentStateChanged(agent_id="a2", state="logged_out", previous="on_call",
                                                  at=time.time()))


async def test_the_favicon_is_served(live_server: LiveServer) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as client, client.get(live_server.base_url + "/static/favicon.svg") as r:
        assert r.status == 200 and r.content_type == "image/svg+xml"
