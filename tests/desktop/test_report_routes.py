"""The report API: the figures of a recorded day, period and zone filters, who may read which report, and
exports that hold the page's table."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TYPE_CHECKING, Any

import openpyxl
from report_day import day_start, write_day

if TYPE_CHECKING:
    from conftest import Desk


async def get(desk: Desk, user: str, path: str) -> tuple[int, Any, Any]:
    async with desk.session() as client:
        await desk.login(client, user)
        async with client.get(desk.url(path), allow_redirects=False) as response:
            body = await response.read()
            kind = response.headers.get("Content-Type", "")
            return response.status, (await response.json() if "json" in kind else body), response.headers


def rows_by_key(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row[0]: dict(zip(report["columns"], row, strict=True)) for row in report["rows"]}


async def test_the_queue_and_agent_reports_hold_the_recorded_day(desk: Desk) -> None:
    write_day(desk.outbound.sessions, day_start(desk.clock()))
    status, report, _ = await get(desk, "super", "/api/reports/queue?quick=today&tz=UTC")
    assert status == 200, report
    queues = rows_by_key(report)
    support = queues["support"]
    assert (support["offered"], support["answered"], support["answered_in_sl"], support["abandoned"]) == (4, 3, 2, 1)
    assert support["service_level"] == 0.5 and support["asa"] == round(55 / 3, 1)
    assert queues["*"]["offered"] == 5 and report["labels"][0] == "Queue"
    status, agents, _ = await get(desk, "super", "/api/reports/agent?quick=today&tz=UTC")
    a1 = rows_by_key(agents)["a1"]
    assert (a1["calls"], a1["not_ready:lunch"]) == (3, 1800.0)
    # A day that is yesterday in the zone holds nothing of it.
    status, none, _ = await get(desk, "super", "/api/reports/queue?quick=yesterday&tz=UTC")
    assert rows_by_key(none)["*"]["offered"] == 0


async def test_intervals_follow_the_zone_and_their_size(desk: Desk) -> None:
    start = day_start(desk.clock())
    write_day(desk.outbound.sessions, start)
    # The calls are from 01:00 UTC on: 06:45 in Kathmandu, the same day; the abandon at 01:46 is 07:31 there.
    day = dt.datetime.fromtimestamp(start, dt.UTC).date().isoformat()
    path = f"/api/reports/interval?from={day}&to={day}&tz=Asia/Kathmandu&minutes=30"
    status, report, _ = await get(desk, "root", path)
    assert status == 200, report
    starts = [row[0] for row in report["rows"]]
    assert len(starts) == 48 and starts[0].endswith("T00:00:00+05:45") and starts[1].endswith("T00:30:00+05:45")
    offered = {row[0][11:16]: row[report["columns"].index("offered")] for row in report["rows"]}
    assert sum(offered.values()) == 5 and (offered["06:30"], offered["07:00"], offered["07:30"]) == (2, 2, 1)


async def test_bad_filters_are_refused_with_what_is_wrong(desk: Desk) -> None:
    for query, words in (("tz=Mars/Olympus", "no time zone"), ("from=2026-13-01", "YYYY-MM-DD"),
                         ("from=2026-02-01&to=2026-01-01", "ends before it starts"),
                         ("from=2026-01-01&to=2026-03-01", "31 days"), ("minutes=45", "15, 30 or 60")):
        status, body, _ = await get(desk, "super", f"/api/reports/interval?{query}")
        assert status == 400 and words in body["error"], (query, body)
    status, _, _ = await get(desk, "super", "/api/reports/payroll")
    assert status == 404


async def test_campaign_managers_read_the_outbound_reports_only(desk: Desk) -> None:
    write_day(desk.outbound.sessions, day_start(desk.clock()))
    status, _, _ = await get(desk, "camp", "/api/reports/queue")
    assert status == 403
    status, report, _ = await get(desk, "camp", "/api/outbound-reports/disposition?quick=today&tz=UTC&by=agent_id")
    assert status == 200
    assert [row[:4] for row in report["rows"]] == [["a1", "inbound", "escalated", 2], ["a1", "inbound", "resolved", 1],
                                                   ["a2", "inbound", "resolved", 1]]
    status, _, _ = await get(desk, "camp", "/api/outbound-reports/queue")
    assert status == 404
    status, _, _ = await get(desk, "agent1", "/api/outbound-reports/campaign")
    assert status == 403


async def test_exports_hold_the_table_as_shown(desk: Desk) -> None:
    write_day(desk.outbound.sessions, day_start(desk.clock()))
    _, report, _ = await get(desk, "super", "/api/reports/queue?quick=today&tz=UTC")
    status, body, headers = await get(desk, "super", "/reports/queue/export?quick=today&tz=UTC&format=csv")
    assert status == 200 and 'filename="queue-' in headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert lines[0] == report["labels"]
    assert lines[1:] == [["" if v is None else str(v) for v in row] for row in report["rows"]]
    status, body, _ = await get(desk, "super", "/reports/queue/export?quick=today&tz=UTC&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == report["labels"] and cells[1:] == report["rows"]
    status, _, _ = await get(desk, "super", "/reports/queue/export?format=pdf")
    assert status == 400
