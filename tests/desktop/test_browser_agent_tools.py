"""An agent's tools in a real browser (issue 11, part 6): search a customer outside a call, open the card,
open a ticket and move it, read the day's figures, and search the knowledge base from a pop; an admin
writes an article. Screenshots at 390, 1366 and 1920 px, none scrolling sideways."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sim_calls import at_each_width

from acd.events import AgentStateChanged, CallConnected, CallDisposed, CallEnded, CallOffered
from crm_core.customers import CustomerService
from crm_core.db import session_scope
from crm_core.knowledge import ArticleDraft, KnowledgeService
from ivr.caller import CallerData
from tests.desktop.test_browser import signed_in_page

if TYPE_CHECKING:
    from conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


def seed(live_server: LiveServer) -> None:
    with session_scope(live_server.outbound.sessions) as session:
        CustomerService(session, "seed").create(name="Zephyrine Quill", company="Quill & Ink",
                                                phones=["+14155550177"], email="zq@example.com")
        knowledge = KnowledgeService(session, "seed")
        knowledge.create(ArticleDraft(
            "重置门户密码", "请客户在登录页点击“忘记密码”，邮件中的链接一小时内有效。", "密码 登录", "zh-CN"))
        knowledge.create(ArticleDraft("Refund for a double charge", "Check the invoice number first.", "billing"))


async def test_an_agent_finds_a_customer_works_a_ticket_and_searches_the_knowledge_base_from_a_pop(
    browser: Any, live_server: LiveServer, screenshot_dir: Path
) -> None:
    from playwright.async_api import expect

    seed(live_server)
    async with signed_in_page(browser, live_server.base_url, "agent1") as page:
        await page.wait_for_url("**/desktop")
        await expect(page.locator("#conn")).to_have_text("live")
        # Outside a call: search, open the card, open a ticket, move it with a note.
        await page.fill("#cust-query", "zephyrine")
        await page.click("#cust-search-btn")
        await page.locator("#cust-results button", has_text="Zephyrine Quill").click()
        await expect(page.locator("#card-name")).to_have_text("Zephyrine Quill")
        await expect(page.locator("#card-phones")).to_have_text("+14155550177")
        # Click-to-dial from the card keeps the do-not-call rules (the number is put on the list first, so the
        # answer does not depend on the hour of the test in California's calling window).
        await live_server.outbound.dnc_add("+14155550177", campaign_id=None, reason="asked", actor="camp")
        await page.locator("#card-call button", has_text="Call").click()
        await expect(page.locator("#msg")).to_contain_text("not dialled: the number is on a do-not-call list")
        await page.fill("#ticket-subject", "Ink cartridge leaks")
        await page.fill("#ticket-description", "Second time this month.")
        await page.select_option("#ticket-priority", "high")
        await page.click("#ticket-open")
        await expect(page.locator("#cust-msg")).to_have_text("Ticket opened.")
        ticket = page.locator("#card-tickets .ticket").first
        await expect(ticket).to_contain_text("Ink cartridge leaks · Open · High")
        await ticket.locator("select").select_option("in_progress")
        await ticket.locator("input[aria-label=Note]").fill("replacement sent")
        await ticket.get_by_role("button", name="Update ticket").click()
        await expect(page.locator("#cust-msg")).to_have_text("Ticket updated.")
        ticket = page.locator("#card-tickets .ticket").first
        await expect(ticket).to_contain_text("In progress")
        await expect(ticket).to_contain_text("agent1 · replacement sent")
        await expect(ticket).to_contain_text("agent1 · Status: In progress")
        await expect(page.locator("#ticket-priority")).to_have_value("normal")  # the form is ready for the next
        await page.click("#my-day-refresh")
        await expect(page.locator("#day-calls")).to_have_text("0")
        await at_each_width(page, screenshot_dir, "desktop-customer-card")

        # On a call: the knowledge base from the pop, in Chinese.
        await page.set_viewport_size({"width": 1366, "height": 900})
        live_server.bus.publish(CallOffered(call_id="kb-1", queue="support", agent_id="a1", at=time.time(),
                                            caller=CallerData(ani="+441632960001", customer_id="c1",
                                                              intent="billing")))
        await expect(page.locator("#pop-name")).to_have_text("Ada Lovelace")
        await page.click("#pop-kb summary")  # opened, it looks up what the caller came for
        await expect(page.locator("#pop-kb-query")).to_have_value("billing")
        await expect(page.locator("#pop-kb-results")).to_contain_text("Refund for a double charge")
        await page.fill("#pop-kb-query", "密码")
        await page.click("#pop-kb-search")
        hit = page.locator("#pop-kb-results .kb-hit", has_text="重置门户密码")
        await hit.get_by_role("button").click()
        await expect(hit.locator(".kb-body")).to_contain_text("邮件中的链接一小时内有效")
        await at_each_width(page, screenshot_dir, "desktop-pop-knowledge")
        for event in (
            CallConnected(call_id="kb-1", queue="support", agent_id="a1", wait_seconds=1.0, at=time.time()),
            CallEnded(call_id="kb-1", queue="support", agent_id="a1", talk_seconds=5.0, at=time.time()),
            CallDisposed(call_id="kb-1", agent_id="a1", disposition="resolved", notes="", at=time.time()),
            AgentStateChanged(agent_id="a1", state="logged_out", previous="wrap_up", at=time.time()),
        ):
            live_server.bus.publish(event)


async def test_an_admin_writes_an_article_on_the_knowledge_page(
    browser: Any, live_server: LiveServer, screenshot_dir: Path
) -> None:
    from playwright.async_api import expect

    async with signed_in_page(browser, live_server.base_url, "root") as page:
        await page.wait_for_url("**/wall")
        await page.goto(live_server.base_url + "/admin/knowledge")
        await page.fill("#kb-title", "Opening hours")
        await page.fill("#kb-tags", "hours")
        await page.fill("#kb-body", "Monday to Friday, 9 to 5.")
        await page.click("#kb-save")
        await expect(page.locator("#kb-msg")).to_have_text("Article saved.")
        row = page.locator("#kb-articles tbody tr", has_text="Opening hours")
        await expect(row).to_contain_text("root")
        await row.get_by_role("button", name="Change").click()
        await expect(page.locator("#kb-body")).to_have_value("Monday to Friday, 9 to 5.")
        await page.fill("#kb-body", "Monday to Saturday, 9 to 5.")
        await page.click("#kb-save")
        await expect(page.locator("#kb-msg")).to_have_text("Article saved.")
        await at_each_width(page, screenshot_dir, "knowledge-admin")
    async with signed_in_page(browser, live_server.base_url, "agent2") as agent:
        await agent.wait_for_url("**/desktop")
        await agent.fill("#kb-query", "saturday")
        await agent.click("#kb-search")
        await agent.locator("#kb-results button", has_text="Opening hours").click()
        await expect(agent.locator("#kb-article-body")).to_have_text("Monday to Saturday, 9 to 5.")


async def test_auto_answer_connects_an_offered_call_without_a_hand_on_the_phone(
    browser: Any, live_server: LiveServer
) -> None:
    from playwright.async_api import expect

    async with signed_in_page(browser, live_server.base_url, "agent2") as page:
        await page.wait_for_url("**/desktop")
        await expect(page.locator("#conn")).to_have_text("live")
        await page.select_option("#auto-answer", "2")
        await expect(page.locator("#msg")).to_have_text("Your phone now answers calls by itself after 2 s.")
        assert live_server.control.auto_answer["a2"] == 2
        offered = time.monotonic()
        live_server.bus.publish(CallOffered(call_id="aa-1", queue="support", agent_id="a2", at=time.time(),
                                            caller=CallerData(ani="+441632960001", customer_id="c1")))
        await expect(page.locator("#pop-status")).to_have_attribute("data-status", "offered")
        await expect(page.locator("#pop-status")).to_have_attribute("data-status", "connected")
        assert time.monotonic() - offered >= 1.9  # it rang for the chosen delay first
        await expect(page.locator("#talk")).to_be_visible()
        await page.reload()  # the choice is the agent's, kept on the server
        await expect(page.locator("#auto-answer")).to_have_value("2")
        await page.select_option("#auto-answer", "")
        await expect(page.locator("#msg")).to_have_text("Auto-answer is off: answer your phone.")
        assert "a2" not in live_server.control.auto_answer
        for event in (
            CallEnded(call_id="aa-1", queue="support", agent_id="a2", talk_seconds=5.0, at=time.time()),
            CallDisposed(call_id="aa-1", agent_id="a2", disposition="resolved", notes="", at=time.time()),
            AgentStateChanged(agent_id="a2", state="logged_out", previous="wrap_up", at=time.time()),
        ):
            live_server.bus.publish(event)
