"""The admin console through a real node: an admin adds an agent with skills on the admin page, and that
agent, signing in on the desktop, is routed a simulated call by the running ACD, with no restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sim_calls import ADMIN_FLOOR, CODE, keyed

from acd.events import CallOffered
from bus.events import DomainEvent
from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.wiring import crm_directory, desktop_app
from crm_core.customers import CustomerService
from crm_core.db import session_scope
from cti.sim import CallerScript

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
TIMEOUT_MS = 20_000


def node_on(tmp_path: Path) -> tuple[Node, list[DomainEvent]]:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}", http_port=0, ami_port=0, agi_port=0,
                        data_dir=str(tmp_path), raw=dict(ADMIN_FLOOR))
    node = Node(settings, directory_factory=crm_directory, say=lambda line: None)
    published: list[DomainEvent] = []
    node.bus.add_listener(published.append)
    return node, published


async def test_an_agent_added_on_the_admin_page_is_routed_a_call_without_a_restart(
    browser: Any, sign_in: Callable[..., Any], tmp_path: Path
) -> None:
    from playwright.async_api import expect

    node, published = node_on(tmp_path)
    admin_ctx = await browser.new_context()
    agent_ctx = await browser.new_context()
    try:
        await node.start(web_app=desktop_app)
        assert node.simulator is not None and node.sessions is not None
        with session_scope(node.sessions) as session:
            CustomerService(session, "test").create(name="Grace Tester", code=CODE, phones=["+14155550123"])
        base = f"http://127.0.0.1:{node.http_port}"

        admin = await admin_ctx.new_page()
        admin.set_default_timeout(TIMEOUT_MS)
        await sign_in(admin, base, "root", "pw-root")
        await admin.wait_for_url("**/wall")
        await admin.click("#admin-link")
        await admin.wait_for_url("**/admin")
        await expect(admin.locator("#admin-agents tbody")).to_contain_text("Ada Lovelace")
        await admin.fill("#agent-id", "2001")
        await admin.fill("#agent-name", "Grace Hopper")
        await admin.fill("#agent-phone", "PJSIP/20 01")  # refused by the server; the form keeps what was typed
        await admin.fill("#agent-password", "pw-grace-2001")
        await admin.fill("#skill-support", "7")
        await admin.check("#queue-support")
        await admin.click("#agent-add")
        await expect(admin.locator("#agent-msg")).to_have_text("phone: expected a dial string such as PJSIP/1001")
        await admin.fill("#agent-phone", "PJSIP/2001")
        await admin.click("#agent-add")
        await expect(admin.locator("#agent-msg")).to_have_text("Agent 2001 added: they can sign in now.")
        await expect(admin.locator("#admin-agents tbody")).to_contain_text("Grace Hopper")
        await expect(admin.locator("#admin-audit tbody")).to_contain_text("agent 2001")
        # Changed before the first sign-in: the running ACD routes with the new level.
        await admin.locator('tr[data-agent-id="2001"] button').click()
        await expect(admin.locator("#agent-id")).to_be_disabled()
        await expect(admin.locator("#skill-support")).to_have_value("7")
        await admin.fill("#skill-support", "9")
        await admin.click("#agent-add")
        await expect(admin.locator("#agent-msg")).to_have_text(
            "Agent 2001 changed: their next sign-in routes with it.")
        await expect(admin.locator('tr[data-agent-id="2001"]')).to_contain_text("support 9")
        await expect(admin.locator("#admin-audit tbody tr").first).to_contain_text('{"support":9}')
        assert node.acd is not None
        assert [c.skills for c in node.acd.agent_configs() if c.id == "2001"] == [(("support", 9),)]
        for width in (390, 1366, 1920):
            await admin.set_viewport_size({"width": width, "height": 900})
            await admin.screenshot(path=str(tmp_path / f"admin-{width}.png"), full_page=True)

        desk = await agent_ctx.new_page()
        desk.set_default_timeout(TIMEOUT_MS)
        await sign_in(desk, base, "2001", "pw-grace-2001")
        await desk.wait_for_url("**/desktop")
        await expect(desk.locator("#conn")).to_have_text("live")
        await desk.click("#btn-ready")
        await expect(desk.locator("#state")).to_have_text("ready")
        await node.simulator.place_inbound_call(
            "5551000", "4155550123", "Grace", script=CallerScript(digits=keyed(CODE), patience=120))
        await expect(desk.locator("#pop-name")).to_have_text("Grace Tester", timeout=40_000)
        assert [e.agent_id for e in published if isinstance(e, CallOffered)] == ["2001"]
    finally:
        for ctx in (admin_ctx, agent_ctx):
            await ctx.close()
        await node.stop()
    assert all((tmp_path / f"admin-{width}.png").stat().st_size > 0 for width in (390, 1366, 1920))
