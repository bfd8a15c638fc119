"""The campaign report over a campaign that dialled: its page, JSON and CSV/XLSX files agree, per campaign,
list and agent, with dispositions, agents' talk per logged-in hour, and the period filter."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from outbound_calls import running_campaign

from acd.events import AgentStateChanged
from agent_desktop.handling import CAMPAIGN_WALL
from crm_core.db import session_scope
from crm_core.eventlog import SqlEventLog
from crm_core.interactions import open_leg
from ivr.caller import CAMPAIGN_ID_KEY, LEAD_ID_KEY
from outbound.lead_store import outcome_tallies
from outbound.service import OutboundService
from reports.campaign_report import campaign_report

if TYPE_CHECKING:
    from conftest import Desk, LiveServer

LIST = "name,phone\r\nAda,212 234 5600\r\nBob,212 234 5601\r\nCy,212 234 5602\r\nDee,212 234 5603\r\n"


async def dialled_campaign(service: OutboundService, now: float, name: str = "Spring renewals") -> int:
    """A running campaign of four leads: one sale by a1 after 5 minutes of talk, one no-answer, one abandon;
    a1 logged in for the half hour before."""
    campaign_id = await running_campaign(service, LIST, name=name)
    SqlEventLog(service.sessions).append([
        AgentStateChanged(agent_id="a1", state="ready", previous="logged_out", at=now - 1800),
        AgentStateChanged(agent_id="a1", state="logged_out", previous="ready", at=now)])
    sale, missed, dropped = (service.next_lead(campaign_id) for _ in range(3))
    assert sale and missed and dropped
    with session_scope(service.sessions) as session:
        open_leg(session, "leg-1", call_id="out-1", direction="outbound", campaign=name, agent_id="a1",
                 ivr_data={CAMPAIGN_ID_KEY: str(campaign_id), LEAD_ID_KEY: str(sale.id)}, enter_at=now - 400,
                 talk_seconds=300.0)
    await service.dispose(campaign_id, sale.id, "sale", by="a1")
    await service.dial_ended(campaign_id, missed.id, "no_answer")
    await service.dial_ended(campaign_id, dropped.id, "abandoned")
    return campaign_id


async def test_the_report_counts_dials_contacts_dispositions_and_talk_per_agent_hour(desk: Desk) -> None:
    await dialled_campaign(desk.outbound, desk.clock())
    async with desk.session() as client:
        await desk.login(client, "super")
        async with client.get(desk.url("/api/reports/campaigns")) as response:
            assert response.status == 200
            tables = (await response.json())["tables"]
        [campaign] = tables["campaign"]
        assert (campaign["key"], campaign["dials"], campaign["contacts"], campaign["right_party_contacts"]) == (
            "Spring renewals", 3, 2, 1)
        assert campaign["disposition:sale"] == 1
        assert campaign["abandon_rate_us"] == 0.5  # one of the two people who answered was dropped
        assert campaign["talk_min_per_agent_hour"] == 10.0  # 5 minutes in a half hour logged in
        assert (campaign["penetration"], campaign["remaining_leads"]) == (0.75, 3)
        [listed] = tables["list"]
        assert listed["key"].startswith("Spring renewals / spring.csv #") and listed["dials"] == 3
        [agent] = tables["agent"]
        assert (agent["key"], agent["dials"], agent["talk_min_per_agent_hour"]) == ("a1", 1, 10.0)
        async with client.get(desk.url("/reports/campaigns")) as page:
            text = await page.text()
            assert page.status == 200 and "Spring renewals" in text and "Right-party contacts" in text
        async with client.get(desk.url("/reports/campaigns"), headers={"Accept-Language": "zh-CN"}) as page:
            text = await page.text()
            assert "外呼活动报表" in text and "本人接通数" in text and "放弃率（美国，30 天）" in text
        async with client.get(desk.url("/api/reports/campaigns?start=2001-01-01&end=2001-01-31")) as response:
            assert (await response.json())["tables"]["agent"] == []  # no dial then
        async with client.get(desk.url("/api/reports/campaigns?start=2001-02-30")) as response:
            assert response.status == 400 and "start" in (await response.json())["error"]


async def test_the_dialers_outcomes_count_whatever_detail_the_dialer_gives(desk: Desk) -> None:
    """The dialer tells why a dial ended in its detail (the PBX's reason and causes); the report and the wall's
    tallies still count the outcome."""
    campaign_id = await running_campaign(desk.outbound, LIST, name="Dialled")
    busy, machine = desk.outbound.next_lead(campaign_id), desk.outbound.next_lead(campaign_id)
    assert busy and machine
    await desk.outbound.dial_ended(campaign_id, busy.id, "busy", detail="originate reason 5, causes [17]")
    await desk.outbound.dial_ended(campaign_id, machine.id, "machine", detail="answering machine (hangup)")
    report = await campaign_report(desk.outbound, desk.clock() - 60, desk.clock() + 60)
    [row] = [r.row() for r in report.tables["campaign"]]
    assert (row["dials"], row["contacts"]) == (2, 0)
    with session_scope(desk.outbound.sessions) as session:
        assert outcome_tallies(session, [campaign_id], 0) == {campaign_id: {"busy": 1, "machine": 1}}
    story = await desk.outbound.story(busy.number.e164)
    assert any("busy (originate reason 5, causes [17])" in line.text for line in story.lines), story.lines


async def test_every_table_downloads_as_csv_and_xlsx_with_the_pages_figures(desk: Desk) -> None:
    await dialled_campaign(desk.outbound, desk.clock())
    async with desk.session() as client:
        await desk.login(client, "camp")
        async with client.get(desk.url("/reports/campaigns/export?by=list&format=csv")) as response:
            assert response.status == 200 and "attachment" in response.headers["Content-Disposition"]
            rows = list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"))))
        assert [(r["dials"], r["contacts"], r["disposition:sale"]) for r in rows] == [("3", "2", "1")]
        async with client.get(desk.url("/reports/campaigns/export?by=agent&format=xlsx")) as response:
            assert response.status == 200
            book = zipfile.ZipFile(io.BytesIO(await response.read()))
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        assert "a1" in sheet and "talk_min_per_agent_hour" in sheet
        async with client.get(desk.url("/reports/campaigns/export?by=queue&format=csv")) as response:
            assert response.status == 400
    async with desk.session() as client:
        await desk.login(client, "agent1")
        async with client.get(desk.url("/api/reports/campaigns")) as response:
            assert response.status == 403




async def test_the_wall_and_the_campaign_page_show_a_running_campaigns_live_figures(desk: Desk) -> None:
    campaign_id = await dialled_campaign(desk.outbound, desk.clock())
    await desk.app[CAMPAIGN_WALL].refresh()
    async with desk.session() as client:
        await desk.login(client, "camp")
        async with client.get(desk.url(f"/api/campaigns/{campaign_id}")) as response:
            live = (await response.json())["live"]
        assert (live["abandon_rate_us"], live["abandon_rate_ofcom"], live["colour"]) == (0.5, 0.5, "alert")
        assert live["answer_rate"] == 2 / 3 and live["talk_min_per_agent_hour"] == 10.0
        assert (live["penetration"], live["dial_level"]) == (0.75, None)  # no dialer wired here
    async with desk.session() as client:
        await desk.login(client, "super")
        async with client.ws_connect(desk.ws_url()) as ws:
            await ws.send_json({"type": "wall.subscribe"})
            snapshot = (await desk.messages_until(ws, "wall.snapshot"))[-1]
        assert [(c["name"], c["abandon_rate_us"]) for c in snapshot["campaigns"]] == [("Spring renewals", 0.5)]


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_a_supervisor_reads_the_report_and_downloads_a_table(
        browser: Any, live_server: LiveServer, sign_in: Any, screenshot_dir: Path, tmp_path: Path) -> None:
    campaign_id = await dialled_campaign(live_server.outbound, time.time(), name="Report in a browser")
    context = await browser.new_context(accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(15000)
    try:
        await sign_in(page, live_server.base_url, "super")
        await page.goto(live_server.base_url + "/reports/campaigns")
        row = page.locator("#report-campaign tr", has_text="Report in a browser")
        assert "50%" in await row.inner_text()  # the US abandon rate: one of two people dropped
        for width in (390, 1366, 1920):
            await page.set_viewport_size({"width": width, "height": 900})
            await page.screenshot(path=str(screenshot_dir / f"campaign-report-{width}.png"), full_page=True)
            if width == 390:
                assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        async with page.expect_download() as waiting:
            await page.click("#export-campaign-csv")
        saved = tmp_path / "campaigns.csv"
        await (await waiting.value).save_as(saved)
        rows = {r["key"]: r for r in csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig")))}
        found = rows["Report in a browser"]
        assert (found["dials"], found["contacts"], found["abandon_rate_us"], found["disposition:sale"]) == (
            "3", "2", "0.5", "1")
        await page.goto(live_server.base_url + "/wall")  # the same campaign's tile, within a refresh
        tile = page.locator("#campaign-tiles .campaign-tile", has_text="Report in a browser")
        await tile.wait_for()
        assert "50%" in await tile.locator(".level-alert").first.inner_text()
        await page.set_viewport_size({"width": 1366, "height": 900})
        await page.locator("#campaign-tiles").screenshot(path=str(screenshot_dir / "wall-campaign-tiles.png"))
        await context.clear_cookies()  # the campaign manager sees the same figures on the campaign's page
        await sign_in(page, live_server.base_url, "camp")
        await page.goto(f"{live_server.base_url}/campaigns/{campaign_id}")
        live = page.locator("#campaign-live .campaign-tile")
        await live.wait_for()
        assert "50%" in await live.locator(".level-alert").first.inner_text()
        assert "75%" in await live.inner_text()  # penetration
    finally:
        await context.close()
