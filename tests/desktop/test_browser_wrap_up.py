"""Wrap-up in a real browser: what is typed during the call is saved at hang-up, the wrap-up time counts
down and can be stretched, and a wrap-up not saved is never lost behind the next call's pop."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from acd.events import AgentStateChanged, CallConnected, CallDisposed, CallEnded, CallOffered
from ivr.caller import CallerData
from tests.desktop.test_browser import signed_in_page

if TYPE_CHECKING:
    from conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


def talk(server: LiveServer, call_id: str, customer_id: str | None = None) -> None:
    """Offer ``call_id`` to agent a2 and connect it."""
    now = time.time()
    server.bus.publish(CallOffered(call_id=call_id, queue="support", agent_id="a2", at=now,
                                   caller=CallerData(ani="+441632960099", customer_id=customer_id)))
    server.bus.publish(CallConnected(call_id=call_id, queue="support", agent_id="a2", wait_seconds=1.0, at=now))
    server.bus.publish(AgentStateChanged(agent_id="a2", state="on_call", previous="reserved", call_id=call_id, at=now))


def hang_up(server: LiveServer, call_id: str, wrap_up_seconds: float = 60.0) -> None:
    now = time.time()
    server.bus.publish(CallEnded(call_id=call_id, queue="support", agent_id="a2", talk_seconds=30.0,
                                 outcome="answered", at=now))
    server.bus.publish(AgentStateChanged(agent_id="a2", state="wrap_up", previous="on_call", at=now,
                                         until=now + wrap_up_seconds))


def disposals(server: LiveServer, call_id: str) -> list[tuple[Any, ...]]:
    return [c for c in server.control.calls if c[0] == "dispose" and c[1] == call_id]


async def test_notes_typed_during_the_call_are_saved_at_hang_up_and_wrap_up_time_shows_and_stretches(
    browser: Any, live_server: LiveServer, screenshot_dir: Path
) -> None:
    from playwright.async_api import expect

    async with signed_in_page(browser, live_server.base_url, "agent2") as page:
        page.set_default_timeout(5000)
        await page.wait_for_url("**/desktop")
        await expect(page.locator("#conn")).to_have_text("live")
        talk(live_server, "wu-1", "c1")
        await expect(page.locator("#pop-name")).to_have_text("Ada Lovelace")
        await expect(page.locator("#btn-ready")).to_be_disabled()  # talking: Ready cannot be asked for
        await page.select_option("#wrapup-disposition", "resolved")
        await page.fill("#wrapup-notes", "typed while talking")
        assert not disposals(live_server, "wu-1")
        hang_up(live_server, "wu-1")
        await expect(page.locator("#msg")).to_have_text("Wrap-up saved")
        assert disposals(live_server, "wu-1") == [("dispose", "wu-1", "a2", "resolved", "typed while talking")]
        await expect(page.locator("#wrapup-countdown")).to_contain_text("Wrap-up time left: 0:5")
        await page.click("#btn-more-time")
        await expect(page.locator("#msg")).to_have_text("More wrap-up time asked for")
        assert live_server.control.calls[-1] == ("extend_wrap_up", "a2")
        await page.screenshot(path=str(screenshot_dir / "desktop-wrap-up-countdown.png"), full_page=True)
        live_server.bus.publish(CallDisposed(call_id="wu-1", agent_id="a2", disposition="resolved",
                                             notes="typed while talking", at=time.time()))
        await expect(page.locator("#pop")).to_be_hidden()


async def test_an_unsaved_wrap_up_stays_reachable_behind_the_next_call_and_its_end_is_told(
    browser: Any, live_server: LiveServer
) -> None:
    from playwright.async_api import expect

    async with signed_in_page(browser, live_server.base_url, "agent2") as page:
        page.set_default_timeout(5000)
        await page.wait_for_url("**/desktop")
        await expect(page.locator("#conn")).to_have_text("live")
        talk(live_server, "wu-2", "c1")
        await expect(page.locator("#pop-name")).to_have_text("Ada Lovelace")
        await page.fill("#wrapup-notes", "no disposition chosen yet")
        hang_up(live_server, "wu-2")
        live_server.bus.publish(AgentStateChanged(agent_id="a2", state="ready", previous="wrap_up", at=time.time()))
        await expect(page.locator("#msg")).to_contain_text("a wrap-up is not saved yet")
        talk(live_server, "wu-3")
        await expect(page.locator("#pop-name")).to_have_text("Unknown caller")
        await expect(page.locator("#wrapup-notes")).to_have_value("")
        pending = page.locator("#pending-list li")
        await expect(pending).to_have_count(1)
        await expect(pending).to_contain_text("Ada Lovelace")
        await pending.get_by_role("button").click()
        await expect(page.locator("#pop-name")).to_have_text("Ada Lovelace")
        await expect(page.locator("#wrapup-notes")).to_have_value("no disposition chosen yet")
        await page.select_option("#wrapup-disposition", "escalated")
        await page.click("#wrapup-save")
        await expect(page.locator("#msg")).to_have_text("Wrap-up saved")
        assert disposals(live_server, "wu-2") == [("dispose", "wu-2", "a2", "escalated", "no disposition chosen yet")]
        await expect(page.locator("#pending-wrapups")).to_be_hidden()
        # The session's server is shared: leave a2 as found, with no call and logged out.
        for call_id in ("wu-2", "wu-3"):
            live_server.bus.publish(CallDisposed(call_id=call_id, agent_id="a2", disposition="resolved", notes="",
                                                 at=time.time()))
        live_server.bus.publish(AgentStateChanged(agent_id="a2", state="logged_out", previous="on_call",
                                                  at=time.time()))


async def test_pasting_more_than_a_field_holds_says_what_was_kept(browser: Any, live_server: LiveServer) -> None:
    from playwright.async_api import expect

    async with signed_in_page(browser, live_server.base_url, "agent2") as page:
        await page.wait_for_url("**/desktop")
        talk(live_server, "wu-4")
        await expect(page.locator("#wrapup")).to_be_visible()
        await page.locator("#wrapup-notes").evaluate("""(field) => {
            const data = new DataTransfer();
            data.setData("text/plain", "x".repeat(5000));
            field.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true}));
        }""")
        await expect(page.locator("#wrapup .cut-note")).to_have_text(
            "Too long: only the first 4,000 characters were kept")
        live_server.bus.publish(CallDisposed(call_id="wu-4", agent_id="a2", disposition="resolved", notes="",
                                             at=time.time()))
        live_server.bus.publish(AgentStateChanged(agent_id="a2", state="logged_out", previous="on_call",
                                                  at=time.time()))
