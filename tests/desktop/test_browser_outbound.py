"""An outbound call in a real browser (Debian's chromium): the events a connected campaign call produces
bring the pop with the lead's data and the customer's card; the campaign's call-back disposition asks for a
time and for whom, and goes to the campaign's scheduler; the Call button by the customer's phone says why it
does not dial."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from outbound_calls import connect_campaign_call, running_campaign

from acd.events import AgentStateChanged, CallDisposed, CallEnded
from crm_core.audit import setting_changes
from outbound.campaigns import PAUSED, RUNNING
from outbound.dial_events import ManualCallAnswered, ManualCallDisposed, ManualCallEnded, ManualCallPlaced
from tests.desktop.test_browser import signed_in_page

if TYPE_CHECKING:
    from conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
ROWS = "name,phone,plan\r\nGrace,212 555 0142,platinum\r\n"
PREVIEW_ROWS = "name,phone\r\nHopper,212 555 0143\r\nLovelace,212 555 0144\r\n"


async def test_an_agent_wraps_up_a_campaign_call_with_a_call_back_for_anyone(
        browser: Any, live_server: LiveServer, screenshot_dir: Path) -> None:
    from playwright.async_api import expect

    service = live_server.outbound
    campaign_id = await running_campaign(service, ROWS, name="Browser call-backs")
    lead = service.next_lead(campaign_id)  # what the dialer does before it dials
    assert lead is not None
    async with signed_in_page(browser, live_server.base_url, "agent1") as page:
        page.set_default_timeout(5000)
        await page.wait_for_url("**/desktop")
        await expect(page.locator("#conn")).to_have_text("live")
        connect_campaign_call(live_server.bus, time.time(), "out-b1", "a1", campaign_id, lead, customer_id="c1")
        await expect(page.locator("#pop-name")).to_have_text("Ada Lovelace")  # the CRM card, as for a caller
        await expect(page.locator("#campaign-call-name")).to_have_text("Browser call-backs")
        await expect(page.locator("#campaign-call-lead")).to_contain_text("platinum")
        # the dialer's campaign and lead ids are not shown as if the caller had keyed them into the IVR
        await expect(page.locator("#pop-ivr")).not_to_contain_text("lead_id")
        await expect(page.locator("#pop-ivr-section")).to_be_hidden()  # nothing else was keyed in
        assert await page.locator("#wrapup").is_hidden()  # the queue's wrap-up gives way to the campaign's
        assert await page.locator("#campaign-callback").is_hidden()
        await page.select_option("#campaign-disposition", "call back")
        await expect(page.locator("#campaign-callback")).to_be_visible()
        await page.click("#campaign-wrapup-save")  # no time yet: the browser asks for it, nothing is sent
        assert await page.locator("#callback-at:invalid").count() == 1
        assert not [c for c in live_server.control.calls if c[:2] == ("dispose", "out-b1")]
        tomorrow = dt.datetime.now() + dt.timedelta(days=1)
        await page.fill("#callback-at", tomorrow.strftime("%Y-%m-%dT10:30"))
        await page.check("input[name=callback-to][value=anyone]")
        await page.fill("#campaign-notes", "wants the platinum offer")
        for width in (390, 1366):
            await page.set_viewport_size({"width": width, "height": 900})
            await page.screenshot(path=str(screenshot_dir / f"desktop-campaign-call-{width}.png"), full_page=True)
            if width == 390:
                assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        await page.click("#campaign-wrapup-save")
        await expect(page.locator("#msg")).to_contain_text("Wrap-up saved; call-back on")
        assert ("dispose", "out-b1", "a1", "call back", "wants the platinum offer") in live_server.control.calls
        story = await service.story(lead.number.e164)
        expected = dt.datetime.combine(tomorrow.date(), dt.time(10, 30)).timestamp()  # the browser's zone is ours
        assert story.verdicts[0].decision.rule == "callback" and story.verdicts[0].decision.next_at == expected
        assert await service.callback_agent(lead.id) is None  # anyone may take it
        # The Call button by Ada's phone on the card: the sample number is a drama one, which the rules refuse.
        await page.locator("#pop-phones button").first.click()
        await expect(page.locator("#msg")).to_have_text(
            "not dialled: this is not a number that can be dialled ('+441632960001' is not a valid number)")
        # The ACD's word on the wrap-up: the pop goes (and the agent is free for the next test).
        now = time.time()
        live_server.bus.publish(CallEnded(call_id="out-b1", queue="sales", agent_id="a1", talk_seconds=30.0, at=now))
        live_server.bus.publish(CallDisposed(call_id="out-b1", agent_id="a1", disposition="call back", at=now))
        await expect(page.locator("#campaign-call")).to_be_hidden()  # another call of a1's may show now


async def test_a_preview_card_shows_the_lead_and_its_customer_and_skips_with_a_reason(
        browser: Any, live_server: LiveServer, screenshot_dir: Path) -> None:
    from playwright.async_api import expect

    service = live_server.outbound
    await running_campaign(service, PREVIEW_ROWS, name="Browser previews", mode="preview", queue="support")
    async with signed_in_page(browser, live_server.base_url, "agent1") as page:
        page.set_default_timeout(10000)  # the card is asked for every five seconds
        await page.wait_for_url("**/desktop")
        await expect(page.locator("#conn")).to_have_text("live")
        await page.click("#btn-ready")
        await expect(page.locator("#preview")).to_be_visible()
        await expect(page.locator("#preview-campaign")).to_have_text("Browser previews")
        first = await page.locator("#preview-name").inner_text()
        assert first in ("Hopper", "Lovelace")
        await page.set_viewport_size({"width": 390, "height": 900})
        await page.locator("#preview").screenshot(path=str(screenshot_dir / "desktop-preview-390.png"))
        assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        await page.click("#preview-skip")
        await expect(page.locator("#msg")).to_have_text("Say why you skip this lead")
        await page.fill("#preview-skip-reason", "already a customer")
        await page.click("#preview-skip")
        await expect(page.locator("#msg")).to_have_text("Lead skipped")
        await expect(page.locator("#preview-name")).not_to_have_text(first)
        await page.click("#preview-dial")
        await expect(page.locator("#msg")).to_contain_text("your phone rings first")
        await expect(page.locator("#preview")).to_be_hidden()
        await page.click("#btn-not-ready")  # no further preview for the tests after this one


async def test_a_preview_campaign_with_a_timer_dials_the_card_by_itself(
        browser: Any, live_server: LiveServer) -> None:
    from playwright.async_api import expect

    service = live_server.outbound
    for view in await service.campaigns():  # earlier tests' preview campaigns would show their cards first
        if view.campaign.status == RUNNING:
            await service.set_status(view.campaign.id, PAUSED, actor="camp")
    await running_campaign(service, "name,phone\r\nTuring,212 555 0145\r\n", name="Browser timed previews",
                           mode="preview", queue="support", preview_dial_seconds=5)
    async with signed_in_page(browser, live_server.base_url, "agent1") as page:
        page.set_default_timeout(10000)  # the card is asked for every five seconds
        await page.wait_for_url("**/desktop")
        await expect(page.locator("#conn")).to_have_text("live")
        await page.click("#btn-ready")
        await expect(page.locator("#preview-name")).to_have_text("Turing")
        await expect(page.locator("#preview-countdown")).to_contain_text("Dialled by itself in")
        shown = time.monotonic()
        await expect(page.locator("#msg")).to_contain_text("your phone rings first", timeout=9000)  # no click
        assert 3.0 <= time.monotonic() - shown <= 7.0
        await expect(page.locator("#preview")).to_be_hidden()
        await page.click("#btn-not-ready")


async def test_a_supervisor_dials_for_an_agent_past_a_do_not_call_refusal_with_a_reason(
        browser: Any, live_server: LiveServer, screenshot_dir: Path) -> None:
    from playwright.async_api import expect

    service = live_server.outbound
    await service.dnc_add("212 555 0177", campaign_id=None, reason="asked", actor="camp")
    live_server.bus.publish(AgentStateChanged(agent_id="a2", state="ready", previous="logged_out", at=time.time()))
    async with signed_in_page(browser, live_server.base_url, "super") as page:
        page.set_default_timeout(5000)
        await page.wait_for_url("**/wall")
        await expect(page.locator("#dial-for-agent option[value=a2]")).to_have_count(1)
        await page.select_option("#dial-for-agent", "a2")
        await page.fill("#dial-for-number", "212 555 0177")
        await page.click("#dial-for-submit")
        await expect(page.locator("#dial-for-msg")).to_contain_text("on a do-not-call list")
        await expect(page.locator("#dial-for-msg")).to_contain_text("Give a reason to dial anyway.")
        await page.fill("#dial-for-reason", "the customer rang and asked for this call")
        await page.click("#dial-for-submit")
        await expect(page.locator("#dial-for-msg")).to_have_text(
            "Dialled +12125550177 past the refusal; the audit trail keeps your reason")
        await page.locator("#dial-for").screenshot(path=str(screenshot_dir / "wall-dial-for.png"))
    with service.sessions() as session:
        rows = [r for r in setting_changes(session) if r.entity_type == "dial_override"]
    fields = {r.field: r.new_value for r in rows}
    assert {r.actor for r in rows} == {"super"} and rows[0].entity_key == "+12125550177"
    assert (fields["agent"], fields["reason"]) == ('"a2"', '"the customer rang and asked for this call"')


async def test_a_call_placed_by_hand_pops_its_customer_and_is_wrapped_up_after_the_talk(
        browser: Any, live_server: LiveServer, screenshot_dir: Path) -> None:
    """The placer's events (the PBX's part, played here) bring the pop of the customer dialled from; once the
    number answered and the talk ended, the agent's disposition and notes go to the placer, and the pop goes. A
    call nobody answered goes saying what it came to."""
    from playwright.async_api import expect

    bus = live_server.bus
    async with signed_in_page(browser, live_server.base_url, "agent1") as page:
        page.set_default_timeout(5000)
        await page.wait_for_url("**/desktop")
        await expect(page.locator("#conn")).to_have_text("live")
        bus.publish(ManualCallPlaced(call_id="manual-b1", agent_id="a1", number="+12125550142", customer_id="c1",
                                     at=time.time()))
        await expect(page.locator("#pop-name")).to_have_text("Ada Lovelace")
        await expect(page.locator("#pop-title")).to_have_text("Called by hand")
        await expect(page.locator("#pop-status")).to_have_text("dialling")
        await expect(page.locator("#pop-ani")).to_have_text("+12125550142")
        await expect(page.locator("#pop-wait")).to_be_hidden()  # it waited in no queue
        assert await page.locator("#wrapup").is_hidden()  # nobody to talk to yet
        bus.publish(ManualCallAnswered(call_id="manual-b1", agent_id="a1", at=time.time()))
        await expect(page.locator("#pop-status")).to_have_text("connected")
        await expect(page.locator("#wrapup")).to_be_visible()  # notes may be typed while talking
        assert await page.locator("#talk").is_hidden()  # hold and transfer are the ACD's calls' only
        await page.select_option("#wrapup-disposition", "follow_up")
        await page.fill("#wrapup-notes", "sends the contract on Monday")
        await page.set_viewport_size({"width": 390, "height": 900})
        await page.screenshot(path=str(screenshot_dir / "desktop-manual-call-390.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        assert not live_server.placer.wrap_ups
        bus.publish(ManualCallEnded(call_id="manual-b1", agent_id="a1", outcome="answered", ring_seconds=6.0,
                                    answered_at=time.time() - 60, at=time.time()))
        # chosen during the talk, saved at the hang-up as for any call; the placer's word takes the pop away
        await expect(page.locator("#msg")).to_have_text("Wrap-up saved")
        # gone from the screen (an earlier test's call of this agent may show in its place)
        await expect(page.locator("#pop:visible #pop-ani", has_text="+12125550142")).to_have_count(0)
        assert live_server.placer.wrap_ups[-1] == ("manual-b1", "a1", "follow_up", "sends the contract on Monday")
        bus.publish(ManualCallPlaced(call_id="manual-b2", agent_id="a1", number="+12125550143", at=time.time()))
        await expect(page.locator("#pop-status")).to_have_text("dialling")
        bus.publish(ManualCallEnded(call_id="manual-b2", agent_id="a1", outcome="busy", ring_seconds=3.0,
                                    at=time.time()))
        await expect(page.locator("#msg")).to_have_text("Your call to +12125550143: busy")
        await expect(page.locator("#pop:visible #pop-ani", has_text="+12125550143")).to_have_count(0)
        # the wrap-up of an answered call counts down to when the agent, paused for it, is made ready again (not to
        # be stretched)
        bus.publish(AgentStateChanged(at=time.time(), agent_id="a1", state="not_ready", previous="ready",
                                      reason="manual_call"))
        bus.publish(ManualCallPlaced(call_id="manual-b3", agent_id="a1", number="+12125550144", at=time.time()))
        bus.publish(ManualCallAnswered(call_id="manual-b3", agent_id="a1", at=time.time()))
        bus.publish(ManualCallEnded(call_id="manual-b3", agent_id="a1", outcome="answered", ring_seconds=4.0,
                                    answered_at=time.time() - 30, at=time.time(), wrap_up_until=time.time() + 45))
        await expect(page.locator("#wrapup-countdown")).to_have_text(re.compile(r"Wrap-up time left: 0:[34]\d"))
        assert await page.locator("#btn-more-time").is_hidden()
        await page.locator("#pop").screenshot(path=str(screenshot_dir / "desktop-manual-wrap-up-countdown-390.png"))
        await page.select_option("#wrapup-disposition", "resolved")
        await page.click("#wrapup-save")
        await expect(page.locator("#msg")).to_have_text("Wrap-up saved")
        await expect(page.locator("#wrapup-clock")).to_be_hidden()
        # an agent who is not paused for the call (ready again by hand, say) has nothing to count down to
        bus.publish(AgentStateChanged(at=time.time(), agent_id="a1", state="ready", previous="not_ready"))
        bus.publish(ManualCallPlaced(call_id="manual-b4", agent_id="a1", number="+12125550145", at=time.time()))
        bus.publish(ManualCallAnswered(call_id="manual-b4", agent_id="a1", at=time.time()))
        bus.publish(ManualCallEnded(call_id="manual-b4", agent_id="a1", outcome="answered", ring_seconds=4.0,
                                    answered_at=time.time() - 30, at=time.time(), wrap_up_until=time.time() + 45))
        await expect(page.locator("#pop-status")).to_have_text("ended")
        await expect(page.locator("#wrapup")).to_be_visible()
        assert await page.locator("#wrapup-clock").is_hidden()
        bus.publish(ManualCallDisposed(call_id="manual-b4", agent_id="a1", disposition="resolved", at=time.time()))
        await expect(page.locator("#pop:visible #pop-ani", has_text="+12125550145")).to_have_count(0)
