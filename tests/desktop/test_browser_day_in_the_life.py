"""Issue 11's acceptance story, "a day in the life", through a real node and its PBX simulator (no fake ACD):
an agent signs in, goes ready and takes two calls from simulated callers who key their customer code in the
IVR, typing the notes and choosing the disposition during each call, which the hang-up saves; outside a call
they find a customer by name, open a ticket on the card and call the customer from it (their own phone is
rung first, then the number; a do-not-call number is refused on the page); My day counts the calls; they
sign out, the wall shows them logged out and the next caller waits in the queue instead of ringing them."""

from __future__ import annotations

import asyncio
import datetime as dt
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sim_calls import at_each_width, figure, keyed, wait_for
from sqlalchemy import select

from acd.events import CallOffered
from agent_desktop.outbound_desk import CUSTOMER_VARIABLE, MANUAL_VARIABLE
from bus.events import DomainEvent
from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.wiring import crm_directory, desktop_app
from crm_core.customers import CustomerService
from crm_core.db import session_scope
from crm_core.models import Interaction
from cti.sim import CallerScript

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
TIMEOUT_MS = 20_000
# Simulated seconds per real second: the IVR's prompts and the callers' keying pass five times faster.
SPEED = 5.0
CONTACT_CENTER: dict[str, Any] = {
    "skills": [{"name": "support"}],
    "queues": [{"name": "support", "skills": {"support": 1}, "dispositions": ["resolved", "escalated"],
                "wrap_up_seconds": 60}],
    "agents": [{"id": "1001", "name": "Ada Lovelace", "password": "pw-1001", "phone": "PJSIP/1001",
                "skills": {"support": 8}, "queues": ["support"]}],
    "users": [{"id": "sam", "name": "Sam Supervisor", "role": "supervisor", "password": "pw-sam",
               "phone": "PJSIP/9001"}],
}
# Numbers in places whose local day covers every UTC hour between them (Tokyo, Sydney, Delhi, London, New
# York, Los Angeles). The node's outbound service judges the calling window (08:00-21:00 in the callee's
# local time) by the real clock, so the test picks the number whose local time is now well inside it.
WINDOW_CANDIDATES = (("+81312345678", "Asia/Tokyo"), ("+61298765432", "Australia/Sydney"),
                     ("+911123456789", "Asia/Kolkata"), ("+442079460123", "Europe/London"),
                     ("+12122345600", "America/New_York"), ("+14155550177", "America/Los_Angeles"))
DNC_NUMBER = "+12025550143"


def number_in_its_calling_window(now: dt.datetime) -> str:
    """A candidate number whose local hour is 09-19 at ``now`` (an hour clear of both ends of the window)."""
    for number, zone in WINDOW_CANDIDATES:
        if 9 <= now.astimezone(zoneinfo.ZoneInfo(zone)).hour < 20:
            return number
    raise AssertionError(f"no candidate number is inside its calling window at {now}")


async def interaction_of(node: Node, call_id: str, timeout: float = 15.0) -> Interaction:
    """The agent's interaction row of ``call_id`` once its wrap-up is recorded (rows are written in batches)."""
    assert node.interactions is not None and node.sessions is not None
    found: list[Interaction] = []

    async def wrapped_up() -> bool:
        assert node.interactions is not None and node.sessions is not None
        await node.interactions.flush()
        with node.sessions() as session:
            found[:] = session.scalars(select(Interaction).where(Interaction.call_id == call_id,
                                                                 Interaction.agent_id == "1001")).all()
        return bool(found) and found[0].wrap_up_seconds is not None

    deadline = asyncio.get_running_loop().time() + timeout
    while not await wrapped_up():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no wrapped-up row for {call_id} in time; have {found}")
        await asyncio.sleep(0.1)
    return found[0]


async def test_a_day_in_the_life_of_an_agent(
    browser: Any, sign_in: Callable[..., Any], screenshot_dir: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    settings = Settings(db_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}", http_port=0, ami_port=0, agi_port=0,
                        data_dir=str(tmp_path), raw=dict(CONTACT_CENTER))
    node = Node(settings, directory_factory=crm_directory, say=lambda line: None, simulator_speed=SPEED)
    published: list[DomainEvent] = []
    node.bus.add_listener(published.append)
    reachable = number_in_its_calling_window(dt.datetime.now(dt.UTC))
    contexts = [await browser.new_context() for _ in range(2)]
    try:
        await node.start(web_app=desktop_app)
        assert node.simulator is not None and node.sessions is not None and node.ami is not None
        assert node.acd is not None and node.outbound is not None
        with session_scope(node.sessions) as session:
            service = CustomerService(session, "test")
            grace = service.create(name="Grace Tester", company="Tester & Sons", phones=[reachable, DNC_NUMBER])
            henry = service.create(name="Henry Second", phones=["+14155550188"])
            grace_id = grace.customer.id
            callers = [(grace.customer.code, "Grace Tester", "4155550123"),
                       (henry.customer.code, "Henry Second", "4155550188")]
        await node.outbound.dnc_add(DNC_NUMBER, campaign_id=None, reason="asked not to be called", actor="sam")
        base = f"http://127.0.0.1:{node.http_port}"
        desk, wall = [await ctx.new_page() for ctx in contexts]
        for page in (desk, wall):
            page.set_default_timeout(TIMEOUT_MS)
        await sign_in(wall, base, "sam", "pw-sam")
        await wall.wait_for_url("**/wall")
        ada = wall.locator('tr[data-agent-id="1001"]')

        # 1. Signed in and ready, the agent takes two calls, wrapping each up while still talking.
        await sign_in(desk, base, "1001", "pw-1001")
        await desk.wait_for_url("**/desktop")
        await expect(desk.locator("#conn")).to_have_text("live")
        await desk.click("#btn-ready")
        await expect(desk.locator("#state")).to_have_text("ready")
        await expect(ada).to_contain_text("ready")
        taken: list[str] = []
        for n, (code, name, ani) in enumerate(callers, start=1):
            caller = await node.simulator.place_inbound_call(
                "5551000", ani, name, script=CallerScript(digits=keyed(code), patience=600))
            await expect(desk.locator("#pop-name")).to_have_text(name)
            await expect(desk.locator("#pop-code")).to_have_text(code)
            await expect(desk.locator("#pop-status")).to_have_text("connected")
            await expect(ada).to_contain_text("on call")
            call_id = next(e.call_id for e in published
                           if isinstance(e, CallOffered) and e.agent_id == "1001" and e.call_id not in taken)
            taken.append(call_id)
            disposition, notes = ("escalated", "wants a refund") if n == 1 else ("resolved", "address changed")
            await desk.select_option("#wrapup-disposition", disposition)
            await desk.fill("#wrapup-notes", notes)
            if n == 1:  # Grace's two numbers on the pop, each with its Call button, are set apart
                gap = await desk.evaluate("""() => { const [a, b] = document.querySelectorAll('#pop-phones .phone');
                  return b.getBoundingClientRect().left - a.getBoundingClientRect().right; }""")
                assert gap >= 8, f"the pop's second number touches the first one's Call button ({gap} px)"
                await at_each_width(desk, screenshot_dir, "day-desktop-on-call")
            await node.ami.hangup(caller)
            await expect(desk.locator("#msg")).to_have_text("Wrap-up saved")
            await expect(desk.locator("#pop")).to_be_hidden()
            await expect(desk.locator("#state")).to_have_text("ready")
            row = await interaction_of(node, call_id)
            assert (row.customer_code, row.disposition, row.notes) == (code, disposition, notes)
            assert row.wrap_up_seconds is not None and 0 <= row.wrap_up_seconds < 30
            assert row.talk_seconds is not None and row.talk_seconds > 0

        # 2. Outside a call: find Grace by name, open her card (the first call's notes on it), open a ticket.
        await desk.fill("#cust-query", "grace")
        await desk.click("#cust-search-btn")
        await desk.locator("#cust-results button", has_text="Grace Tester").click()
        await expect(desk.locator("#card-name")).to_have_text("Grace Tester")
        await expect(desk.locator("#card-history")).to_contain_text("wants a refund")
        await desk.fill("#ticket-subject", "Refund for the March invoice")
        await desk.fill("#ticket-description", "Promised on the phone today.")
        await desk.click("#ticket-open")
        await expect(desk.locator("#cust-msg")).to_have_text("Ticket opened.")
        await expect(desk.locator("#card-tickets .ticket").first).to_contain_text("Refund for the March invoice")

        # 3. Click-to-dial from the card: the do-not-call number is refused on the page and never dialled;
        # the other rings the agent's own phone, which then dials the number through the outbound route.
        pbx = node.simulator.pbx
        phone = desk.locator("#card-call .phone", has_text=DNC_NUMBER)
        await phone.get_by_role("button", name="Call").click()
        await expect(desk.locator("#msg")).to_contain_text("not dialled: the number is on a do-not-call list")
        await desk.locator("#card-call .phone", has_text=reachable).get_by_role("button", name="Call").click()
        await expect(desk.locator("#msg")).to_have_text(f"Calling {reachable}: your phone rings first")
        dialled = f"Local/{reachable}@callcenter-outbound"
        await wait_for(lambda: any(c.name.startswith("PJSIP/1001-") and c.application == "Dial"
                                   and c.app_data == dialled for c in pbx.channels.values()))
        [agent_leg] = [c for c in pbx.channels.values() if c.app_data == dialled]
        assert agent_leg.answered_at is not None  # the agent's phone answered before the number is dialled
        assert (agent_leg.variables.get(MANUAL_VARIABLE), agent_leg.variables.get(CUSTOMER_VARIABLE)) == (
            "1", str(grace_id))
        assert not any(DNC_NUMBER in c.app_data or DNC_NUMBER in c.name for c in pbx.channels.values())
        await at_each_width(desk, screenshot_dir, "day-desktop-card-dialled")
        # the pop of the call placed by hand follows it: Grace picks up, and the agent hangs up after a word
        await expect(desk.locator("#pop-status")).to_have_text("connected", timeout=20_000)
        for channel in [c.name for c in pbx.channels.values() if c.app_data == dialled and not c.gone]:
            await node.ami.hangup(channel)
        # Over, its pop asks for the wrap-up (the agent stays paused meanwhile); saved, the call is kept in the
        # history as one dialled by hand with its disposition and notes, and the agent is ready again.
        await expect(desk.locator("#pop-title")).to_have_text("Called by hand")
        await expect(desk.locator("#pop-status")).to_have_text("ended")
        await expect(desk.locator("#state")).to_have_text("not ready")
        await desk.select_option("#wrapup-disposition", "follow_up")
        await desk.fill("#wrapup-notes", "sends the refund form")
        await desk.click("#wrapup-save")
        await expect(desk.locator("#msg")).to_have_text("Wrap-up saved")
        await expect(desk.locator("#state")).to_have_text("ready")

        def by_hand() -> list[Interaction]:
            with session_scope(node.sessions) as session:
                return list(session.scalars(select(Interaction).where(Interaction.direction == "manual")))

        await wait_for(lambda: any(row.disposition for row in by_hand()))
        [kept] = by_hand()
        assert (kept.agent_id, kept.customer_id, kept.ani) == ("1001", grace_id, reachable)
        assert (kept.outcome, kept.disposition, kept.notes) == ("answered", "follow_up", "sends the refund form")

        # 4. My day counts both calls, and the one placed by hand apart, with their dispositions and notes.
        await desk.click("#my-day-refresh")
        await expect(desk.locator("#day-calls")).to_have_text("2")
        await expect(desk.locator("#day-manual")).to_have_text("1 (1)")
        history = desk.locator("#day-history tbody")
        await expect(history).to_contain_text("wants a refund")
        await expect(history).to_contain_text("address changed")
        await expect(history.locator("tr", has_text="dialled by hand")).to_contain_text("Grace Tester")
        await expect(history.locator("tr", has_text="dialled by hand")).to_contain_text("sends the refund form")
        await at_each_width(desk, screenshot_dir, "day-desktop-my-day")

        # 5. Signed out, the agent is logged out on the wall and the next caller waits instead of ringing them.
        await desk.click("#web-logout")
        await desk.wait_for_url("**/login**")
        await expect(ada).to_contain_text("logged out")
        assert node.acd.agent("1001").state.value == "logged_out"
        await node.simulator.place_inbound_call(
            "5551000", "4155550123", "Grace", script=CallerScript(digits=keyed(callers[0][0]), patience=600))
        await wait_for(lambda: node.acd is not None and node.acd.waiting("support") == 1, timeout=30)
        await asyncio.sleep(3.0)  # 15 simulated seconds in the queue; a ready agent is offered a call at once
        assert node.acd.waiting("support") == 1
        await expect(figure(wall, "support", "Waiting")).to_have_text("1")
        await expect(figure(wall, "support", "Answered")).to_have_text("2")
        assert [e.call_id for e in published if isinstance(e, CallOffered)] == taken
        await at_each_width(wall, screenshot_dir, "day-wall-signed-out")
    finally:
        for ctx in contexts:
            await ctx.close()
        await node.stop()
