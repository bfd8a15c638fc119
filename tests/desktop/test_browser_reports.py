"""The report page in a browser: a recorded day's queue report as a table and a drawn chart, its CSV and XLSX
exports holding the very rows shown, the agent report, no sideways scrolling at 390 px; screenshots at 390,
1366 and 1920 px."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest
from report_day import day_start, write_day
from test_browser import signed_in_page

if TYPE_CHECKING:
    from conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
WIDTHS = (390, 1366, 1920)

TABLE_CELLS = """[...document.querySelectorAll('#report-table tr')]
  .map((tr) => [...tr.children].map((cell) => cell.textContent))"""
# Pixels the chart painted (anything not fully transparent).
PAINTED = """(() => { const c = document.getElementById('report-chart');
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < data.length; i += 4) if (data[i]) n++; return n; })()"""

WIDE = """[...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
  .map((e) => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)"""


def same(shown: str, stored: Any) -> bool:
    """A shown cell and a file's cell hold the same value (a number however it is written)."""
    if stored is None:
        return shown == ""
    if isinstance(stored, int | float):
        return float(shown) == float(stored)
    return shown == str(stored)


async def test_a_report_page_draws_its_table_and_chart_and_exports_them(
        browser: Any, live_server: LiveServer, screenshot_dir: Path, tmp_path: Path) -> None:
    from playwright.async_api import expect

    write_day(live_server.outbound.sessions, day_start(time.time()))
    async with signed_in_page(browser, live_server.base_url, "super") as page:
        await page.goto(live_server.base_url + "/reports")
        await page.select_option("#report-name", "queue")
        await expect(page.locator("#report-table tbody tr", has_text="support")).to_contain_text("0.5")
        await expect(page.locator("body")).to_have_attribute("data-chart", "drawn")
        assert await page.evaluate(PAINTED) > 1000
        shown = await page.evaluate(TABLE_CELLS)
        assert shown[0][:3] == ["Queue", "Offered", "Answered"]

        async with page.expect_download() as csv_download:
            await page.click("#export-csv")
        csv_path = tmp_path / "queue.csv"
        await (await csv_download.value).save_as(csv_path)
        with csv_path.open(encoding="utf-8-sig", newline="") as file:
            assert list(csv.reader(file)) == shown

        async with page.expect_download() as xlsx_download:
            await page.click("#export-xlsx")
        xlsx_path = tmp_path / "queue.xlsx"
        await (await xlsx_download.value).save_as(xlsx_path)
        sheet = openpyxl.load_workbook(xlsx_path).active
        assert sheet is not None
        stored = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert len(stored) == len(shown)
        for shown_row, stored_row in zip(shown, stored, strict=True):
            assert all(same(a, b) for a, b in zip(shown_row, stored_row, strict=True)), (shown_row, stored_row)

        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": 900})
            await page.wait_for_timeout(200)  # the chart redraws at its new size
            sideways = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            wide = await page.evaluate(WIDE)
            assert sideways <= 0, f"the report page scrolls sideways by {sideways} px at {width} px: {wide}"
            await page.screenshot(path=str(screenshot_dir / f"reports-queue-{width}.png"), full_page=True)

        await page.set_viewport_size({"width": 390, "height": 900})
        await page.select_option("#report-name", "agent")
        await expect(page.locator("#report-table thead")).to_contain_text("Not ready: lunch (s)")
        await expect(page.locator("#report-table tbody tr", has_text="a1")).to_contain_text("1800")
        assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        await page.screenshot(path=str(screenshot_dir / "reports-agent-390.png"), full_page=True)


async def test_a_campaign_manager_picks_from_the_outbound_reports_only_and_links_name_one(
        browser: Any, live_server: LiveServer) -> None:
    async with signed_in_page(browser, live_server.base_url, "camp") as page:
        await page.goto(live_server.base_url + "/reports")
        options = await page.locator("#report-name option").evaluate_all("(os) => os.map((o) => o.value)")
        assert options == ["campaign", "disposition"]
        await page.wait_for_selector("#report-result:not([hidden])")
        assert await page.locator("#report-msg").text_content() == ""
        # A link names the report and its filters (as the campaign pages may).
        await page.goto(live_server.base_url + "/reports?report=disposition&by=campaign")
        await page.wait_for_selector("#report-result:not([hidden])")
        assert (await page.input_value("#report-name"), await page.input_value("#report-by")) == (
            "disposition", "campaign")
        assert await page.locator("#report-table thead th").first.text_content() == "Campaign"
