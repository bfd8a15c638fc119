"""The admin console's second pass through a real node and a browser, with no restart anywhere: an admin
tightens the support queue's alert threshold and changes its dispositions, adds a supervisor, makes a
campaign manager a supervisor, resets a password and adds an agent with a skill; the supervisor's wall
turns the queue's tile red (and says so to screen readers) while a call waits too long, the new agent is
offered that call and their desktop offers the new wrap-up codes, the wall counts the call in the agent's
figures, and the supervisor changes their own password (a wrong current one refused)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sim_calls import ADMIN_FLOOR, CODE, WIDTHS, keyed, no_sideways_scroll

from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.wiring import crm_directory, desktop_app
from crm_core import staff
from crm_core.customers import CustomerService
from crm_core.db import session_scope
from cti.sim import CallerScript

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
TIMEOUT_MS = 20_000


async def add_user(admin: Any, user_id: str, name: str, role: str) -> None:
    from playwright.async_api import expect

    await admin.fill("#user-id", user_id)
    await admin.fill("#user-name", name)
    await admin.select_option("#user-role", role)
    await admin.fill("#user-password", f"pw-{user_id}-first")
    await admin.click("#user-add")
    await expect(admin.locator("#user-msg")).to_have_text(f"User {user_id} added: they can sign in now.")


async def test_admin_changes_apply_to_the_running_node_and_show_on_wall_and_desktop(
    browser: Any, sign_in: Callable[..., Any], tmp_path: Path, screenshot_dir: Path
) -> None:
    from playwright.async_api import expect

    settings = Settings(db_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}", http_port=0, ami_port=0, agi_port=0,
                        data_dir=str(tmp_path), raw=dict(ADMIN_FLOOR))
    node = Node(settings, directory_factory=crm_directory, say=lambda line: None)
    contexts = [await browser.new_context() for _ in range(3)]
    try:
        await node.start(web_app=desktop_app)
        assert node.simulator is not None and node.sessions is not None and node.acd is not None
        with session_scope(node.sessions) as session:
            CustomerService(session, "test").create(name="Grace Tester", code=CODE, phones=["+14155550123"])
        base = f"http://127.0.0.1:{node.http_port}"
        admin, boss, desk = [await ctx.new_page() for ctx in contexts]
        for page in (admin, boss, desk):
            page.set_default_timeout(TIMEOUT_MS)

        # The queue: a wrong value is refused by name and the form keeps it; then the threshold and codes.
        await sign_in(admin, base, "root", "pw-root")
        await admin.wait_for_url("**/wall")
        await admin.goto(base + "/admin")
        await expect(admin.locator("#queue-sl-percent")).to_have_value("80")
        await admin.fill("#queue-alert-wait", "3")
        await admin.fill("#queue-dispositions", "resolved, Refund")
        await admin.click("#queue-save")
        await expect(admin.locator("#queue-msg")).to_have_text(
            "dispositions: Refund: lower-case letters, digits, '_' and '-' only")
        await expect(admin.locator("#queue-dispositions")).to_have_value("resolved, Refund")
        await admin.fill("#queue-dispositions", "resolved, refund")
        await admin.click("#queue-save")
        await expect(admin.locator("#queue-msg")).to_have_text(
            "Queue support saved: the ACD, the desktops and the wall use it now.")
        support = node.acd.config.queue("support")
        assert (support.alert_wait_seconds, support.dispositions) == (3.0, ("resolved", "refund"))
        await expect(admin.locator("#admin-audit tbody")).to_contain_text('["resolved","refund"]')

        # A new skill: the ACD knows it, and the agent form has a level field for it, without a reload.
        await admin.fill("#skill-names", "support, sales, french")
        await admin.click("#names-save")
        await expect(admin.locator("#names-msg")).to_have_text("Skills and pause reasons saved.")
        await expect(admin.locator("#skill-french")).to_be_visible()
        assert node.acd.config.skills == ("support", "sales", "french")

        # A supervisor, added and then given a new password by the admin.
        await add_user(admin, "boss", "Barbara Boss", "supervisor")
        await expect(admin.locator('#admin-accounts tr[data-account-id="boss"]')).to_contain_text("supervisor")
        # A campaign manager, then made a supervisor in the users' table.
        await add_user(admin, "cam", "Cam Manager", "campaign_manager")
        cam = admin.locator('#admin-accounts tr[data-account-id="cam"]')
        await cam.locator("select").select_option("supervisor")
        await cam.get_by_role("button", name="Save the role").click()
        await expect(admin.locator("#user-msg")).to_have_text("The role of cam is now supervisor.")
        await expect(admin.locator('#admin-accounts tr[data-account-id="cam"] select')).to_have_value("supervisor")
        await admin.fill("#reset-account", "boss")
        await admin.fill("#reset-password", "pw-boss-reset")
        await admin.click("#reset-submit")
        await expect(admin.locator("#reset-msg")).to_have_text("The password of boss is reset.")

        # An agent with the support skill, added while the node runs.
        await admin.fill("#agent-id", "2001")
        await admin.fill("#agent-name", "Grace Hopper")
        await admin.fill("#agent-phone", "PJSIP/2001")
        await admin.fill("#agent-password", "pw-grace-2001")
        await admin.fill("#skill-support", "7")
        await admin.check("#queue-support")
        await admin.click("#agent-add")
        await expect(admin.locator("#agent-msg")).to_have_text("Agent 2001 added: they can sign in now.")
        for width in WIDTHS:
            await no_sideways_scroll(admin, width, screenshot_dir, "admin-settings")

        await sign_in(boss, base, "boss", "pw-boss-reset")
        await boss.wait_for_url("**/wall")
        # A call waits in support with nobody ready: past 3 s the tile alerts, in colour and in words.
        await node.simulator.place_inbound_call(
            "5551000", "4155550123", "Grace", script=CallerScript(digits=keyed(CODE), patience=120))
        tile = boss.locator('.tile[data-queue="support"]')
        await expect(tile).to_have_class("tile alerting", timeout=40_000)
        await expect(tile.locator(".alert-text")).to_contain_text("Alert: longest wait")
        await expect(boss.locator("#wall-alerts")).to_contain_text("support — Alert: longest wait")
        for width in WIDTHS:
            await no_sideways_scroll(boss, width, screenshot_dir, "wall-alert")

        # The new agent gets the call, with the queue's new codes to wrap it up.
        await sign_in(desk, base, "2001", "pw-grace-2001")
        await desk.wait_for_url("**/desktop")
        await expect(desk.locator("#conn")).to_have_text("live")
        await desk.click("#btn-ready")
        await expect(desk.locator("#pop-name")).to_have_text("Grace Tester", timeout=40_000)
        await expect(desk.locator("#wrapup-disposition option")).to_have_text(["choose…", "resolved", "refund"])
        row = boss.locator('#agents tr[data-agent-id="2001"]')
        await expect(row.locator("td.answered")).to_have_text("1", timeout=40_000)
        await expect(tile).not_to_have_class("tile alerting")

        # The supervisor changes their own password: the wrong current one is refused.
        await boss.click("#account-link")
        await boss.wait_for_url("**/account")
        await boss.fill("#old-password", "not my password")
        await boss.fill("#new-password", "pw-boss-mine")
        await boss.click("#password-submit")
        await expect(boss.locator("#password-msg")).to_have_text("the current password is wrong")
        await boss.fill("#old-password", "pw-boss-reset")
        await boss.fill("#new-password", "pw-boss-mine")
        await boss.click("#password-submit")
        await expect(boss.locator("#password-msg")).to_have_text(
            "Your password is changed: use the new one next time you sign in.")
        for width in WIDTHS:
            await no_sideways_scroll(boss, width, screenshot_dir, "account")
        with session_scope(node.sessions) as session:  # kept for the next start, as the queue's change is
            stored = {a["id"]: a["role"] for a in staff.accounts(session)}
            assert stored["boss"] == "supervisor"
            assert staff.with_settings(session, ADMIN_FLOOR)["queues"][0]["alerts"] == {"longest_wait": 3.0}
    finally:
        for ctx in contexts:
            await ctx.close()
        await node.stop()
