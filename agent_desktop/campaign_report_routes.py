"""The campaign report for campaign managers, supervisors and admins: a page of three tables (per campaign,
list and agent) for a period of whole days, its JSON, and each table as CSV or XLSX.

The period is ``start`` to ``end`` (dates, both included) in the wall's time zone ([wall] time_zone, else
the server's); without them, the last seven days up to today. Every figure comes from
:mod:`reports.campaign_report`, so the page and the files never disagree.
"""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from agent_desktop.handling import CONFIG, OUTBOUND, BadRequest, Handler, render
from agent_desktop.text_input import REPORT_END, REPORT_FORMAT, REPORT_GROUPING, REPORT_START, TextField
from agent_desktop.ui_text import UiText
from crm_core.table_files import csv_bytes, xlsx_bytes
from reports.campaign_kpis import GROUPINGS
from reports.campaign_report import CampaignReport, campaign_report
from reports.export import campaign_rows

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DEFAULT_DAYS = 7
MAX_DAYS = 400


def _date(request: web.Request, field: TextField, default: dt.date) -> dt.date:
    text = field.read(request.query, "")
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(UiText("%(field)s: a date such as 2026-03-31", field=field.name)) from None


def _period(request: web.Request) -> tuple[dt.date, dt.date, float, float]:
    """The dates asked for and the epoch seconds they span."""
    zone = request.app[CONFIG].time_zone
    today = dt.datetime.fromtimestamp(request.app[OUTBOUND].clock(), zone).date()
    end = _date(request, REPORT_END, today)
    start = _date(request, REPORT_START, end - dt.timedelta(days=DEFAULT_DAYS - 1))
    if start > end or (end - start).days >= MAX_DAYS:
        raise BadRequest(UiText("the period must start before it ends and span at most %(days)s days",
                                days=MAX_DAYS))

    def midnight(day: dt.date) -> float:
        return dt.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()

    return start, end, midnight(start), midnight(end + dt.timedelta(days=1))


async def _report(request: web.Request) -> tuple[dt.date, dt.date, CampaignReport]:
    start, end, since, until = _period(request)
    return start, end, await campaign_report(request.app[OUTBOUND], since, until)


async def campaign_report_page(request: web.Request) -> web.StreamResponse:
    start, end, report = await _report(request)
    tables = {by: campaign_rows(groups) for by, groups in report.tables.items()}
    return render(request, "campaign_report.html", {
        "start": start.isoformat(), "end": end.isoformat(), "tables": tables, "groupings": GROUPINGS,
        "tz": request.app[CONFIG].time_zone,
    })


async def campaign_report_data(request: web.Request) -> web.StreamResponse:
    _, _, report = await _report(request)
    return web.json_response(report.to_json())


async def campaign_report_export(request: web.Request) -> web.StreamResponse:
    by = REPORT_GROUPING.read(request.query, "campaign")
    kind = REPORT_FORMAT.read(request.query, "csv")
    if by not in GROUPINGS or kind not in FORMATS:
        raise BadRequest(UiText("by: one of %(groupings)s; format: csv or xlsx", groupings=", ".join(GROUPINGS)))
    start, end, report = await _report(request)
    header, rows = campaign_rows(report.tables[by])
    body = csv_bytes(header, rows) if kind == "csv" else xlsx_bytes(header, rows, sheet=f"by {by}")
    name = f"campaigns-by-{by}-{start.isoformat()}-{end.isoformat()}.{kind}"
    return web.Response(body=body, headers={"Content-Type": FORMATS[kind],
                                            "Content-Disposition": f'attachment; filename="{name}"'})


HANDLERS: dict[str, Handler] = {
    "campaign_report_page": campaign_report_page, "campaign_report_data": campaign_report_data,
    "campaign_report_export": campaign_report_export,
}
