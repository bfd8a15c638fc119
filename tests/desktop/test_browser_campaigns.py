"""A campaign manager in a real browser (Debian's chromium): creates a campaign, uploads a GBK list with bad
rows and watches the progress bar move, downloads the error report, puts a number on the do-not-call list
and reads on its story page why it will not be dialled."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
TIMEOUT_MS = 15000
ROWS = 3000  # with the live server's small, slow import batches: a second and more of progress

# Every value the progress bar takes, from the moment the upload starts.
WATCH_PROGRESS = """() => {
  window.progressSeen = [];
  const bar = document.getElementById("upload-progress");
  new MutationObserver(() => window.progressSeen.push([Number(bar.value),
      document.getElementById("upload-state").textContent]))
    .observe(bar, {attributes: true, attributeFilter: ["value"]});
}"""


def gbk_list(path: Path) -> Path:
    """A Chinese list in GBK: good mobiles, two bad numbers, a row without one, a number twice."""
    rows = [["姓名", "手机", "城市"]]
    rows += [[f"客户{i}", f"138 {i // 10000:04d} {i % 10000:04d}", "北京"] for i in range(ROWS)]
    rows[10] = ["李四", "12345", "上海"]
    rows[20] = ["王五", "", "广州"]
    rows[30] = ["赵六", "138 0000 0001", "深圳"]  # line 3's number again
    rows[40] = ["钱七", "电话号码", "天津"]
    path.write_bytes("".join(",".join(row) + "\r\n" for row in rows).encode("gbk"))
    return path


async def test_a_campaign_manager_imports_a_list_and_stops_a_number(
        browser: Any, live_server: LiveServer, screenshot_dir: Path, tmp_path: Path) -> None:
    from playwright.async_api import expect

    context = await browser.new_context(accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        await page.goto(live_server.base_url + "/login")
        await page.fill("#username", "camp")
        await page.fill("#password", "pw-camp")
        await page.click("#login-submit")
        await page.wait_for_url("**/campaigns")  # a campaign manager's start page

        await page.click("#nav-new-campaign")
        await page.fill("#f-name", "春季回访")
        await page.fill("#f-caller-id", "+86 10 6552 9988")
        await page.fill("#f-queue", "sales")
        await page.select_option("#f-machine-rule", "message")
        await page.select_option("#f-formula", "ofcom")
        await page.fill("#f-false-positive", "4")
        await page.fill("#f-region", "CN")
        await page.fill("#f-preview-dial", "30")
        await page.fill("#f-machine-message", "spring/machine-note")
        await page.screenshot(path=str(screenshot_dir / "campaign-new.png"), full_page=True)
        await page.click("#campaign-save")
        await page.wait_for_url(re.compile(r".*/campaigns/\d+$"))
        await expect(page.locator("#campaign-title")).to_have_text("春季回访")
        await expect(page.locator("#campaign-status")).to_have_text("draft")
        await expect(page.locator("#history-rows tr")).to_have_count(19)  # every field, created by camp
        # the answering-machine rule and the abandon rule came back as saved
        await expect(page.locator("#f-machine-rule")).to_have_value("message")
        await expect(page.locator("#f-formula")).to_have_value("ofcom")
        await expect(page.locator("#f-false-positive")).to_have_value("4")
        await expect(page.locator("#f-machine-message")).to_have_value("spring/machine-note")
        await expect(page.locator("#f-abandon-message")).to_have_value("")  # the dialer's own
        await expect(page.locator("#f-preview-dial")).to_have_value("30")

        await page.evaluate(WATCH_PROGRESS)
        await page.set_input_files("#upload-file", str(gbk_list(tmp_path / "名单.csv")))
        await page.click("#upload-submit")
        await expect(page.locator("#upload-state")).to_have_text(re.compile("Importing"))
        await page.screenshot(path=str(screenshot_dir / "campaign-upload-progress.png"), full_page=True)
        await expect(page.locator("#upload-state")).to_have_text("done")
        seen = await page.evaluate("window.progressSeen")
        importing = [value for value, state in seen if state.startswith("Importing") and 0 < value < 100]
        assert len(set(importing)) >= 3, seen  # the bar moved while the server worked
        await expect(page.locator("#upload-summary")).to_contain_text(
            f"{ROWS - 4:,} added, 3 rejected, 1 repeated in the file")
        await page.screenshot(path=str(screenshot_dir / "campaign-upload-done.png"), full_page=True)

        async with page.expect_download() as waiting:
            await page.click("#upload-report")
        download = await waiting.value
        saved = tmp_path / "report.csv"
        await download.save_as(saved)
        report = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
        assert report[0] == ["line", "problem", "reason", "姓名", "手机", "城市"]
        assert report[1] == ["11", "rejected", "phone: '12345' is not a valid number", "李四", "12345", "上海"]
        assert report[2] == ["21", "rejected", "no phone number", "王五", "", "广州"]
        assert report[3][:3] == ["31", "duplicate", "number +8613800000001 repeats line 3"]
        assert report[4][:2] == ["41", "rejected"]
        await expect(page.locator("#job-rows tr")).to_have_count(1)

        await page.click("#nav-campaigns")
        row = page.locator("#campaign-rows tr", has_text="春季回访")
        await expect(row.locator(".figure-total")).to_have_text(f"{ROWS - 4:,}")
        await page.screenshot(path=str(screenshot_dir / "campaigns.png"), full_page=True)

        await page.click("#nav-dnc")
        await page.fill("#dnc-number", "+86 138 0000 0007")
        await page.fill("#dnc-reason", "客户要求不再来电")
        await page.click("#dnc-add")
        await expect(page.locator("#msg")).to_contain_text("+8613800000007 is on the list now")
        await page.screenshot(path=str(screenshot_dir / "dnc.png"), full_page=True)
        await page.click("#dnc-story-link")
        await page.wait_for_url("**/numbers?number=*")
        verdict = page.locator("#story-verdicts li")
        await expect(verdict).to_contain_text("春季回访")
        await expect(verdict).to_contain_text(
            "will not be dialled: on the internal do-not-call list (by camp: 客户要求不再来电) (rule: dnc)")
        await expect(page.locator("#story-lists")).to_contain_text("On the internal list since")
        await expect(page.locator("#story-lines")).to_contain_text("lead")
        await page.screenshot(path=str(screenshot_dir / "number-story.png"), full_page=True)

        # the same story in Chinese
        await page.click("#language-switcher button[lang='zh-CN']")
        await expect(page.locator("#story-verdicts li")).to_contain_text("不会被拨打")
        await page.screenshot(path=str(screenshot_dir / "number-story-zh.png"), full_page=True)
        # The choice is kept with camp's account: back to English for the tests that sign camp in later.
        await page.click("#language-switcher button[lang='en']")
        await expect(page.locator("#story-verdicts li")).to_contain_text("will not be dialled")
    finally:
        await context.close()
