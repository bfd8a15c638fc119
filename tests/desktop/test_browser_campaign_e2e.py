"""Issue 13's acceptance run, end to end on a real node with the PBX simulator and the dialer: a campaign manager
(browser) creates a predictive campaign and uploads a list with bad rows, ten agents sign in (two at browser
desktops, eight through the ACD, disposing by themselves), the campaign manager starts it, simulated callees
answer, ring busy or out, or are machines; one browser agent schedules a call-back for themself, the other puts a
number on the do-not-call list; then the retries, the call-back, the campaign report page and its CSV against the
event log, and the do-not-call number left alone by a second campaign that had it loaded."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from acd.events import CallConnected, CallDisposed
from bus.events import DomainEvent
from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.wiring import crm_directory, desktop_app
from crm_core.db import session_scope
from crm_core.eventlog import read_events
from cti.sim import PhoneBehaviour, PhoneOutcome
from cti.sim.config import CalleePopulation
from outbound import rules
from outbound.dial_events import CONNECTED, CampaignDialEnded, CampaignDialPlaced

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
TIMEOUT_MS = 40_000
SPEED = 20.0  # simulated seconds per real second: rings, greetings and talk
AGENTS = [f"{1001 + i}" for i in range(10)]
BY_HAND = AGENTS[:2]  # at browser desktops; the others dispose by themselves through the ACD
CONTACT_CENTER: dict[str, Any] = {
    "skills": [{"name": "sales"}],
    "queues": [{"name": "sales", "skills": {"sales": 1}, "wrap_up_seconds": 5}],
    "agents": [{"id": a, "name": f"Agent {a}", "password": f"pw-{a}", "phone": f"PJSIP/{a}",
                "skills": {"sales": 5}, "queues": ["sales"]} for a in AGENTS],
    "users": [{"id": "camp", "name": "Cam Paign", "role": "campaign_manager", "password": "pw-camp"}],
    "dialer": {"tick_seconds": 0.2},
}
# The 40 good leads: New York numbers, each with a fixed callee (in simulated seconds).
NUMBERS = [f"+1212234{5600 + i}" for i in range(40)]
KINDS = {
    "person": PhoneBehaviour(answer_after=2.0, greeting=0.4, talk_time=80.0),
    "busy": PhoneBehaviour(PhoneOutcome.BUSY, answer_after=1.0),
    "no_answer": PhoneBehaviour(PhoneOutcome.NO_ANSWER, answer_after=60.0),  # rings past the 15 s
    "machine": PhoneBehaviour(answer_after=3.0, greeting=5.0, talk_time=30.0),
}
KIND_OF = {number: list(KINDS)[i % len(KINDS)] for i, number in enumerate(NUMBERS)}
# A second campaign over the same numbers, loaded before the run and started after the do-not-call disposition.
FOLLOW_UP = {"name": "Issue 13 follow-ups", "caller_id": "+12125550199", "queue": "sales", "default_region": "US",
             "calling_hours": {"hours": [{"days": "mon-sun", "open": "00:00", "close": "24:00"}],
                               "on_holidays": True, "overrides": {}},
             "other_campaign_gap": 0}


def upload_list(path: Path) -> Path:
    """The list: a header, the 40 good leads, and three bad rows at lines 5, 12 and 20."""
    rows = [["name", "phone"], *[[f"Lead {i}", f"(212) 234-{5600 + i}"] for i in range(40)]]
    rows.insert(4, ["Bad Number", "12345"])
    rows.insert(11, ["No Number", ""])
    rows.insert(19, ["Twice", "(212) 234-5600"])  # line 2's number again
    path.write_text("".join(",".join(row) + "\r\n" for row in rows), encoding="utf-8")
    return path


async def follow_up_campaign(node: Node, tmp_path: Path) -> int:
    """FOLLOW_UP, in draft, with the 40 numbers loaded."""
    assert node.outbound is not None
    campaign = await node.outbound.create_campaign(FOLLOW_UP, actor="camp")
    upload = node.outbound.upload_path("follow-ups.csv")
    upload.write_text("name,phone\r\n" + "".join(f"F{i},{n}\r\n" for i, n in enumerate(NUMBERS)), encoding="utf-8")
    job = await node.outbound.start_import(campaign.id, upload, file_name="follow-ups.csv", actor="camp")
    await until(lambda: not upload.exists(), "the follow-up list to load")
    assert (await node.outbound.import_job(job.id)).added == len(NUMBERS)
    return campaign.id


async def until(found: Callable[[], object], what: str, seconds: float = 40.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if found():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"waited in vain for {what}")


async def test_a_predictive_campaign_runs_end_to_end_on_the_simulator(
        browser: Any, sign_in: Callable[..., Any], tmp_path: Path, screenshot_dir: Path) -> None:
    from playwright.async_api import expect

    settings = Settings(db_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}", http_port=0, ami_port=0, agi_port=0,
                        data_dir=str(tmp_path), ring_seconds=15, raw=dict(CONTACT_CENTER))
    node = Node(settings, directory_factory=crm_directory, say=lambda line: None, simulator_speed=SPEED)
    events: list[DomainEvent] = []
    node.bus.add_listener(events.append)
    first_call: dict[str, str] = {}  # a browser agent's first campaign call: theirs to dispose at the desk
    disposing: set[asyncio.Task[None]] = set()

    def auto_dispose(event: DomainEvent) -> None:
        """The headless agents (and the browser ones after their first call) say "not interested"."""
        assert isinstance(event, CallConnected) and node.acd_service is not None
        if event.agent_id in BY_HAND and event.agent_id not in first_call:
            first_call[event.agent_id] = event.call_id
            return
        task = asyncio.get_running_loop().create_task(
            node.acd_service.dispose(event.call_id, event.agent_id, "not interested", ""))
        disposing.add(task)
        task.add_done_callback(disposing.discard)

    node.bus.add_listener(auto_dispose, CallConnected)
    contexts = [await browser.new_context(accept_downloads=True) for _ in range(3)]
    try:
        await node.start(web_app=desktop_app)
        assert node.simulator is not None and node.acd_service is not None and node.dialer is not None
        assert node.outbound is not None and node.sessions is not None
        node.simulator.config.callees = CalleePopulation(always={n: KINDS[k] for n, k in KIND_OF.items()})
        follow_up_id = await follow_up_campaign(node, tmp_path)
        base = f"http://127.0.0.1:{node.http_port}"
        camp, *desks = [await ctx.new_page() for ctx in contexts]
        for page in (camp, *desks):
            page.set_default_timeout(TIMEOUT_MS)

        # 1. The campaign manager creates a predictive campaign that may call at any hour, and uploads the list.
        await sign_in(camp, base, "camp", "pw-camp")
        await camp.wait_for_url("**/campaigns")
        await camp.click("#nav-new-campaign")
        await camp.fill("#f-name", "Issue 13 renewals")
        await camp.select_option("#f-mode", "predictive")
        await camp.fill("#f-caller-id", "+1 212 555 0199")
        await camp.fill("#f-queue", "sales")
        await camp.fill("#f-region", "US")
        await camp.fill("#f-hours", "mon-sun 00:00-24:00")
        await camp.check("#f-holidays")
        await camp.click("#campaign-save")
        await camp.wait_for_url(re.compile(r".*/campaigns/\d+$"))
        campaign_id = int(camp.url.rsplit("/", 1)[1])
        await expect(camp.locator("#campaign-status")).to_have_text("draft")
        await camp.set_input_files("#upload-file", str(upload_list(tmp_path / "renewals.csv")))
        await camp.click("#upload-submit")
        await expect(camp.locator("#upload-state")).to_have_text("done")
        await expect(camp.locator("#upload-summary")).to_contain_text(
            "40 added, 2 rejected, 1 repeated in the file")
        async with camp.expect_download() as waiting:
            await camp.click("#upload-report")
        saved = tmp_path / "errors.csv"
        await (await waiting.value).save_as(saved)
        report = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
        assert [row[:2] for row in report[1:]] == [["5", "rejected"], ["12", "rejected"], ["20", "duplicate"]]
        assert report[3][2] == "number +12122345600 repeats line 2"

        # 2. Ten agents: two at browser desktops (ready first, so the first people reach them), eight through
        # the ACD.
        for agent, desk in zip(BY_HAND, desks, strict=True):
            await sign_in(desk, base, agent, f"pw-{agent}")
            await desk.wait_for_url("**/desktop")
            await expect(desk.locator("#conn")).to_have_text("live")
            await desk.click("#btn-ready")
            await until(lambda a=agent: node.acd_service is not None and any(
                v.agent_id == a and v.state.value == "ready" for v in node.acd_service.agents_of("sales")),
                f"agent {agent} to be ready")
        for agent in AGENTS[len(BY_HAND):]:
            await node.acd_service.set_ready(agent)

        # 3. The campaign manager starts it; the dialer dials.
        await camp.click("#btn-run")
        await expect(camp.locator("#campaign-status")).to_have_text("running")
        # a new predictive campaign dials one line per free agent until its model has learned, and says so
        live = camp.locator("#campaign-live .campaign-tile")
        await expect(live).to_contain_text("One line per free agent until its model has seen enough calls.",
                                           timeout=15000)
        await expect(live.locator(".figure", has_text="Pacing")).to_contain_text("learning")
        await camp.locator("#campaign-live").screenshot(path=str(screenshot_dir / "e2e-campaign-pacing.png"))
        started = time.time()

        # The first browser agent: a call-back tomorrow at 10:30, for themself.
        callback_desk, dnc_desk = desks
        await expect(callback_desk.locator("#campaign-call-name")).to_have_text("Issue 13 renewals")
        callback_pop = await callback_desk.locator("#campaign-call-lead").inner_text()
        await expect(callback_desk.locator("#campaign-wrapup")).to_be_visible()  # once the call is connected
        await callback_desk.select_option("#campaign-disposition", "call back")
        tomorrow = dt.date.today() + dt.timedelta(days=1)
        await callback_desk.fill("#callback-at", f"{tomorrow:%Y-%m-%d}T10:30")
        await callback_desk.check("input[name=callback-to][value=me]")
        await callback_desk.click("#campaign-wrapup-save")
        await expect(callback_desk.locator("#msg")).to_contain_text("Wrap-up saved; call-back on")
        await callback_desk.screenshot(path=str(screenshot_dir / "e2e-campaign-callback.png"), full_page=True)
        # The second: the person asks never to be called again.
        await expect(dnc_desk.locator("#campaign-call-name")).to_have_text("Issue 13 renewals")
        dnc_pop = await dnc_desk.locator("#campaign-call-lead").inner_text()
        await expect(dnc_desk.locator("#campaign-wrapup")).to_be_visible()
        await dnc_desk.select_option("#campaign-disposition", "do not call")
        await dnc_desk.click("#campaign-wrapup-save")
        await expect(dnc_desk.locator("#msg")).to_contain_text("Wrap-up saved")
        dnc_disposed_at = time.time()

        placed = lambda: {e.attempt_id: e for e in events if isinstance(e, CampaignDialPlaced)}  # noqa: E731
        ended = lambda: {e.attempt_id: e for e in events if isinstance(e, CampaignDialEnded)}  # noqa: E731
        await until(lambda: {e.number for e in placed().values()} == set(NUMBERS), "every lead to be dialled")
        await until(lambda: set(ended()) == set(placed()), "every dial to end")
        hopper = node.outbound.hopper(campaign_id)
        assert hopper is not None
        lead_of = {e.number: e.lead_id for e in placed().values()}
        lead_numbers = {lead: number for number, lead in lead_of.items()}
        callback_lead = placed()[first_call[BY_HAND[0]]].lead_id
        dnc_lead = placed()[first_call[BY_HAND[1]]].lead_id
        dnc_number = lead_numbers[dnc_lead]
        assert KIND_OF[lead_numbers[callback_lead]] == KIND_OF[dnc_number] == "person"
        for pop, number in ((callback_pop, lead_numbers[callback_lead]), (dnc_pop, dnc_number)):  # the lead's pop
            assert f"Lead {NUMBERS.index(number)}\n" in pop + "\n" and number in pop, (pop, number)
        outcomes = {placed()[a].number: e.outcome for a, e in ended().items()}
        assert {KIND_OF[n] for n, o in outcomes.items() if o == "busy"} == {"busy"}
        assert Counter(KIND_OF[n] for n, o in outcomes.items() if o == CONNECTED)["person"] >= 2

        # 4a. Busy, unanswered and machine-answered leads are retried after their rules' delays.
        retried = {"busy": 10 * rules.MINUTE, "no_answer": 3 * rules.HOUR, "machine": 4 * rules.HOUR}
        assert {outcomes[n] for n, kind in KIND_OF.items() if kind != "person"} == set(retried)
        # the dialer hands each outcome to the hopper in the background, just after it publishes the end
        await until(lambda: all(hopper.history(lead_of[n]).attempts for n, o in outcomes.items() if o in retried),
                    "every retried lead's outcome to be kept")
        for number, outcome in outcomes.items():
            if outcome not in retried:
                continue
            lead = hopper.lead(lead_of[number])
            history = hopper.history(lead.id)
            assert history.last_outcome == outcome and history.attempts == 1
            end = next(e for e in ended().values() if e.lead_id == lead.id)
            decision = hopper.eligibility.decide(lead, history, time.time())
            delay = retried[outcome]
            assert not decision.released and decision.rule == rules.RULE_RETRY, (number, decision)
            assert decision.next_at is not None and abs(decision.next_at - (end.at + delay)) < 5.0, (number, decision)

        # 4b. The call-back: due tomorrow at 10:30 (the browser's zone is ours), for the agent who took it.
        await until(lambda: hopper.history(callback_lead).callback_at is not None, "the call-back to be kept")
        due = dt.datetime.combine(tomorrow, dt.time(10, 30)).timestamp()
        assert hopper.history(callback_lead).callback_at == due
        assert await node.outbound.callback_agent(callback_lead) == BY_HAND[0]

        # 4c. The do-not-call number is on the internal list at once (for every campaign).
        story = await node.outbound.story(dnc_number)
        assert all(v.decision.rule == rules.RULE_DNC for v in story.verdicts), story.verdicts
        assert time.time() - dnc_disposed_at < 60

        # 4d. The report page and its CSV count what the event log says (once every talk is disposed of).
        talks = {a for a, e in ended().items() if e.outcome == CONNECTED}
        await until(lambda: talks <= {e.call_id for e in events if isinstance(e, CallDisposed)},
                    "every connected call to be disposed of")
        await until(lambda: all(hopper.history(placed()[a].lead_id).last_outcome is not None for a in talks),
                    "the dispositions to reach the leads")
        await asyncio.sleep(0.2)  # and their rows to be stored
        with session_scope(node.sessions) as session:
            logged = read_events(session, types=[CampaignDialPlaced, CampaignDialEnded, CallDisposed])
        attempts = {e.attempt_id for e in logged if isinstance(e, CampaignDialPlaced) and e.campaign_id == campaign_id}
        contacts = [e for e in logged if isinstance(e, CampaignDialEnded) and e.attempt_id in attempts
                    and e.outcome in (CONNECTED, "abandoned")]
        disposed = Counter(e.disposition for e in logged if isinstance(e, CallDisposed) and e.call_id in attempts)
        assert disposed["call back"] == disposed["do not call"] == 1 and len(attempts) == len(NUMBERS)
        assert sum(disposed.values()) == len(talks)
        await camp.goto(base + "/reports/campaigns")
        table = camp.locator("#report-campaign table")
        header = [h.strip() for h in await table.locator("thead th").all_inner_texts()]
        cells = [c.strip() for c in await table.locator("tbody tr", has_text="Issue 13 renewals")
                 .locator("td").all_inner_texts()]
        shown = dict(zip(header, cells, strict=True))
        assert shown["Dials"] == str(len(attempts)) and shown["Contacts"] == str(len(contacts)), shown
        assert all(shown[name] == str(count) for name, count in disposed.items()), (shown, disposed)
        async with camp.expect_download() as waiting:
            await camp.click("#export-campaign-csv")
        saved = tmp_path / "report.csv"
        await (await waiting.value).save_as(saved)
        [row] = [r for r in csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig")))
                 if r["key"] == "Issue 13 renewals"]
        assert (row["dials"], row["contacts"]) == (str(len(attempts)), str(len(contacts)))
        for name, count in disposed.items():
            assert row[f"disposition:{name}"] == str(count), (name, row)

        # 4e. Within the minute the follow-up campaign, which had the number loaded, dials every other number
        # but not that one.
        await node.outbound.set_status(follow_up_id, "running", actor="camp")
        follow_ups = lambda: {e.number for e in placed().values() if e.campaign_id == follow_up_id}  # noqa: E731
        await until(lambda: follow_ups() == set(NUMBERS) - {dnc_number}, "the follow-ups to be dialled")
        await asyncio.sleep(1.0)  # the dialer's rounds go on (every 0.2 s)
        with session_scope(node.sessions) as session:
            logged = read_events(session, types=[CampaignDialPlaced])
        assert [e.campaign_id for e in logged if isinstance(e, CampaignDialPlaced) and e.number == dnc_number] == [
            campaign_id]
        assert time.time() - dnc_disposed_at < 60
        assert time.time() - started < 90
    finally:
        for context in contexts:
            await context.close()
        await node.stop()
