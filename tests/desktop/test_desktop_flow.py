"""The whole desk through a real node: browser (Debian's chromium) -> web app -> ACD service -> AMI ->
PBX simulator -> FastAGI IVR -> back to the browser as a screen pop, the wall, and the event log; and an
unknown caller's customer created and matched from the pop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sim_calls import figure, keyed, wait_for

from acd.events import CallConnected, CallDisposed, CallEnded, CallOffered
from bus.events import DomainEvent
from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.wiring import crm_directory, desktop_app
from crm_core.customers import CustomerService
from crm_core.db import session_scope
from crm_core.eventlog import read_events
from cti.sim import CallerScript

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
TIMEOUT_MS = 20_000
CODE = "100008"
QUEUE = {"service_level": {"percent": 80, "seconds": 20}, "wrap_up_seconds": 120}

# Agent 1001 is driven from the browser; 1002 only logs in to the web to try to read 1001's pop.
CONTACT_CENTER: dict[str, Any] = {
    "skills": [{"name": "support"}, {"name": "sales"}],
    "queues": [
        {"name": "support", "skills": {"support": 1}, "dispositions": ["resolved", "escalated"], **QUEUE},
        {"name": "sales", "skills": {"sales": 1}, **QUEUE},
        {"name": "general", **QUEUE},
    ],
    "agents": [
        {"id": "1001", "name": "Ada Lovelace", "password": "pw-1001", "phone": "PJSIP/1001",
         "skills": {"support": 8}, "queues": ["support", "general"]},
        {"id": "1002", "name": "Alan Turing", "password": "pw-1002", "phone": "PJSIP/1002",
         "skills": {"support": 5}, "queues": ["support", "general"]},
    ],
    "users": [{"id": "sam", "name": "Sam Supervisor", "role": "supervisor", "password": "pw-sam",
               "phone": "PJSIP/9001"}],
}


def node_on(tmp_path: Path, simulator_speed: float = 1.0) -> tuple[Node, list[DomainEvent]]:
    """A node (not started) for CONTACT_CENTER on its simulator, and the list of what it will publish."""
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}", http_port=0, ami_port=0, agi_port=0,
                        data_dir=str(tmp_path), raw=dict(CONTACT_CENTER))
    node = Node(settings, directory_factory=crm_directory, say=lambda line: None, simulator_speed=simulator_speed)
    published: list[DomainEvent] = []
    node.bus.add_listener(published.append)
    return node, published


async def test_a_caller_pops_on_the_desktop_moves_the_wall_and_the_disposition_is_logged(
    browser: Any, sign_in: Callable[..., Any], screenshot_dir: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    node, published = node_on(tmp_path)
    agent_ctx = await browser.new_context()
    wall_ctx = await browser.new_context()
    other_ctx = await browser.new_context()
    try:
        await node.start(web_app=desktop_app)
        assert node.simulator is not None and node.sessions is not None and node.ami is not None
        with session_scope(node.sessions) as session:
            customer = CustomerService(session, "test").create(
                name="Grace Tester", code=CODE, company="Tester & Sons", phones=["+14155550123"]
            ).customer
            customer_id = str(customer.id)
        base = f"http://127.0.0.1:{node.http_port}"

        desk = await agent_ctx.new_page()
        wall = await wall_ctx.new_page()
        for page in (desk, wall):
            page.set_default_timeout(TIMEOUT_MS)
        await sign_in(desk, base, "1001", "pw-1001")
        await desk.wait_for_url("**/desktop")
        await expect(desk.locator("#conn")).to_have_text("live")
        await desk.click("#btn-ready")
        await expect(desk.locator("#state")).to_have_text("ready")

        await sign_in(wall, base, "sam", "pw-sam")
        await wall.wait_for_url("**/wall")
        ada = wall.locator('tr[data-agent-id="1001"]')
        await expect(ada).to_contain_text("ready")
        await expect(figure(wall, "support", "Answered")).to_have_text("0")

        # Not ready while the caller goes through the IVR, so the wall shows the call waiting.
        await desk.select_option("#nr-reason", "break")
        await desk.click("#btn-not-ready")
        await expect(desk.locator("#state")).to_have_text("not ready")
        await expect(ada).to_contain_text("break")
        caller = await node.simulator.place_inbound_call(
            "5551000", "4155550123", "Grace", script=CallerScript(digits=keyed(CODE), patience=120)
        )
        await expect(figure(wall, "support", "Waiting")).to_have_text("1", timeout=40_000)
        await desk.click("#btn-ready")

        await expect(desk.locator("#pop-name")).to_have_text("Grace Tester")
        await expect(desk.locator("#pop-code")).to_have_text(CODE)
        await expect(desk.locator("#pop-company")).to_have_text("Tester & Sons")
        await expect(desk.locator("#pop-ivr")).to_contain_text(CODE)
        offer = next(e for e in published if isinstance(e, CallOffered) and e.agent_id == "1001")
        assert offer.caller.customer_id == customer_id
        await expect(desk.locator("#pop-status")).to_have_text("connected")
        await expect(ada).to_contain_text("on call")
        await expect(figure(wall, "support", "Answered")).to_have_text("1")
        await expect(figure(wall, "support", "Waiting")).to_have_text("0")
        assert int(await wall.locator('.tile[data-queue="support"] .trend').first.get_attribute("data-points")) > 0

        # The supervisor listens in: the PBX rings the supervisor's phone into ChanSpy on Ada's channel.
        await ada.locator("button", has_text="Listen").click()
        await expect(wall.locator("#msg")).to_contain_text("listen")
        pbx = node.simulator.pbx
        await wait_for(lambda: any(
            c.name.startswith("PJSIP/9001-") and c.application == "ChanSpy" and c.app_data == "PJSIP/1001-,q"
            for c in pbx.channels.values()
        ))
        await desk.screenshot(path=str(screenshot_dir / "flow-desktop-on-call.png"), full_page=True)
        await wall.screenshot(path=str(screenshot_dir / "flow-wall-on-call.png"), full_page=True)

        # Another agent cannot read this pop's customer or save its wrap-up; an agent cannot open the wall.
        other = await other_ctx.new_page()
        other.set_default_timeout(TIMEOUT_MS)
        await sign_in(other, base, "1002", "pw-1002")
        await other.wait_for_url("**/desktop")
        card = await other.request.get(f"{base}/api/customers/{customer_id}")
        assert card.status == 404
        state = await (await other.request.get(f"{base}/api/agent/state")).json()
        assert state["pops"] == []
        refused = await other.goto(base + "/wall")
        assert refused is not None and refused.status == 403
        assert (await desk.request.get(f"{base}/api/customers/{customer_id}")).status == 200

        # The caller hangs up; the agent wraps up.
        await node.ami.hangup(caller)
        await expect(desk.locator("#pop-status")).to_have_text("ended")
        await expect(desk.locator("#state")).to_have_text("wrap up")
        await expect(ada).to_contain_text("wrap up")
        await desk.select_option("#wrapup-disposition", "escalated")
        await desk.fill("#wrapup-notes", "wants a refund")
        await desk.click("#wrapup-save")
        await expect(desk.locator("#msg")).to_have_text("Wrap-up saved")
        await expect(desk.locator("#pop")).to_be_hidden()
        await expect(desk.locator("#state")).to_have_text("ready")
        await expect(ada).to_contain_text("ready")
        await desk.screenshot(path=str(screenshot_dir / "flow-desktop-after-wrap-up.png"), full_page=True)
        await wall.screenshot(path=str(screenshot_dir / "flow-wall-after-wrap-up.png"), full_page=True)

        disposed = [e for e in published if isinstance(e, CallDisposed) and e.call_id == offer.call_id]
        assert [(e.agent_id, e.disposition, e.notes) for e in disposed] == [("1001", "escalated", "wants a refund")]
        assert node.recorder is not None
        await node.recorder.flush()
        with node.sessions() as session:
            logged = read_events(session, call_id=offer.call_id)
        assert any(isinstance(e, CallConnected) for e in logged)
        assert [(e.disposition, e.notes) for e in logged if isinstance(e, CallDisposed)] == [
            ("escalated", "wants a refund")
        ]
    finally:
        for ctx in (agent_ctx, wall_ctx, other_ctx):
            await ctx.close()
        await node.stop()


async def test_an_unknown_caller_is_created_from_the_pop_after_the_look_alike_warning(
    browser: Any, sign_in: Callable[..., Any], screenshot_dir: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    from agent_desktop.events import CustomerMatched
    from crm_core import audit, lookup

    # Ten times faster: the caller keys nothing and waits out the IVR's code prompts into "general".
    node, published = node_on(tmp_path, simulator_speed=10.0)
    hostile_company = '<img src=x onerror="document.title=\'pwned\'">'
    agent_ctx = await browser.new_context()
    try:
        await node.start(web_app=desktop_app)
        assert node.simulator is not None and node.sessions is not None
        with session_scope(node.sessions) as session:
            CustomerService(session, "test").create(name="Grace Tester", code=CODE, phones=["+14155550123"])
        base = f"http://127.0.0.1:{node.http_port}"
        desk = await agent_ctx.new_page()
        desk.set_default_timeout(TIMEOUT_MS)
        await sign_in(desk, base, "1001", "pw-1001")
        await desk.wait_for_url("**/desktop")
        await expect(desk.locator("#conn")).to_have_text("live")
        await desk.click("#btn-ready")
        await expect(desk.locator("#state")).to_have_text("ready")

        await node.simulator.place_inbound_call("5551000", "4155550188", "", script=CallerScript(patience=600))
        await expect(desk.locator("#pop-name")).to_have_text("Unknown caller")
        await expect(desk.locator("#pop-queue")).to_have_text("general")
        await expect(desk.locator("#finder")).to_have_attribute("open", "")
        await expect(desk.locator("#new-phone")).to_have_value("4155550188")

        # The same name as a stored customer: the desktop asks first, and nothing is stored yet.
        await desk.fill("#new-name", "Grace Tester")
        await desk.fill("#new-company", hostile_company)
        await desk.click("#new-create")
        await expect(desk.locator("#new-duplicates-list")).to_contain_text(
            f"Looks like {CODE} Grace Tester")
        await expect(desk.locator("#new-duplicates-list")).to_contain_text("use that one?")
        with node.sessions() as session:
            assert lookup.by_ani(session, "4155550188") == []
        await desk.screenshot(path=str(screenshot_dir / "flow-desktop-look-alike.png"), full_page=True)

        await desk.click("#new-create-anyway")  # a different person of the same name
        await expect(desk.locator("#pop-name")).to_have_text("Grace Tester")
        await expect(desk.locator("#pop-code")).to_have_text("100016")
        await expect(desk.locator("#pop-company")).to_have_text(hostile_company)
        await expect(desk.locator("#finder")).not_to_have_attribute("open", "")
        assert await desk.title() != "pwned"
        await desk.screenshot(path=str(screenshot_dir / "flow-desktop-created-from-pop.png"), full_page=True)

        # On second thoughts it was the stored one: find it from the pop and match the call to it.
        await desk.click("#finder-toggle")
        await desk.fill("#finder-query", "grace tester")
        await desk.click("#finder-search-btn")
        stored = desk.locator(f'#finder-results li:has-text("{CODE}")')
        await expect(desk.locator("#finder-results li")).to_have_count(2)
        await stored.locator("button").click()
        await expect(desk.locator("#pop-code")).to_have_text(CODE)
        await expect(desk.locator("#pop-company")).to_have_text("—")

        matched = [e for e in published if isinstance(e, CustomerMatched)]
        offer = next(e for e in published if isinstance(e, CallOffered) and e.agent_id == "1001")
        assert [(e.call_id, e.agent_id, e.customer_code, e.created, e.actor) for e in matched] == [
            (offer.call_id, "1001", "100016", True, "1001"), (offer.call_id, "1001", CODE, False, "1001")
        ]
        with node.sessions() as session:
            [created] = lookup.by_ani(session, "4155550188")
            assert (created.code, created.name, created.company) == ("100016", "Grace Tester", hostile_company)
            assert {row.actor for row in audit.history(session, "customer", created.id)} == {"1001"}
        assert str(created.id) == matched[0].customer_id
    finally:
        await agent_ctx.close()
        await node.stop()


async def test_hold_and_an_attended_transfer_through_the_acd_and_the_pbx(
    browser: Any, sign_in: Callable[..., Any], screenshot_dir: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    node, published = node_on(tmp_path)
    ada_ctx, alan_ctx = await browser.new_context(), await browser.new_context()
    try:
        await node.start(web_app=desktop_app)
        assert node.simulator is not None and node.sessions is not None
        pbx = node.simulator.pbx
        base = f"http://127.0.0.1:{node.http_port}"
        ada, alan = await ada_ctx.new_page(), await alan_ctx.new_page()
        for page, (user, password) in ((ada, ("1001", "pw-1001")), (alan, ("1002", "pw-1002"))):
            page.set_default_timeout(TIMEOUT_MS)
            await sign_in(page, base, user, password)
            await page.wait_for_url("**/desktop")
            await expect(page.locator("#conn")).to_have_text("live")
        with session_scope(node.sessions) as session:
            CustomerService(session, "test").create(name="Walter Held", code=CODE, phones=["+14155550199"])
        await ada.click("#btn-ready")
        await expect(ada.locator("#state")).to_have_text("ready")
        await node.simulator.place_inbound_call("5551000", "4155550199", "Walter",
                                                script=CallerScript(digits=keyed(CODE), patience=300))
        await expect(ada.locator("#pop-name")).to_have_text("Walter Held", timeout=40_000)
        await expect(ada.locator("#pop-status")).to_have_text("connected")
        offer = next(e for e in published if isinstance(e, CallOffered) and e.agent_id == "1001")
        caller = next(c for c in pbx.channels.values() if c.uniqueid == offer.call_id)

        def ada_line() -> Any:
            return next(c for c in pbx.channels.values() if c.name.startswith("PJSIP/1001-") and not c.gone)

        await ada.click("#btn-hold")
        await expect(ada.locator("#hold-state")).to_have_text("On hold")
        await wait_for(lambda: caller.application == "MusicOnHold" and ada_line().context == "callcenter-held")
        await ada.click("#btn-resume")
        await expect(ada.locator("#hold-state")).to_have_text("")
        await wait_for(lambda: caller.bridge is not None and caller.bridge is ada_line().bridge)

        await alan.click("#btn-ready")
        await expect(alan.locator("#state")).to_have_text("ready")
        await ada.click("#transfer-refresh")
        await ada.select_option("#transfer-target", label="Alan Turing")
        await ada.click("#consult-start")
        await expect(alan.locator("#pop-consultation")).to_contain_text("Ada Lovelace")
        await expect(ada.locator("#consult-state")).to_have_text("Consulting Alan Turing: talking")
        await wait_for(lambda: caller.application == "MusicOnHold")
        await ada.screenshot(path=str(screenshot_dir / "flow-desktop-consulting.png"), full_page=True)
        await ada.click("#consult-complete")
        await expect(alan.locator("#pop-title")).to_have_text("Caller")
        await expect(alan.locator("#talk")).to_be_visible()
        await expect(ada.locator("#wrapup")).to_be_visible()
        await wait_for(lambda: caller.bridge is not None and any(
            c.name.startswith("PJSIP/1002-") for c in caller.bridge.channels))
        await alan.screenshot(path=str(screenshot_dir / "flow-desktop-handed-over.png"), full_page=True)
        ended = [(e.agent_id, e.outcome) for e in published if isinstance(e, CallEnded) and e.call_id == offer.call_id]
        assert ended == [("1001", "transferred")]
    finally:
        for ctx in (ada_ctx, alan_ctx):
            await ctx.close()
        await node.stop()
