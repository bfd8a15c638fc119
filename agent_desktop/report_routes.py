"""The report pages and their data: one page with a report picker, the reports' JSON (table, chart,
headline figures) and each table as CSV or XLSX, exactly as the page shows it.

Floor managers read every report at ``/api/reports/{report}``; the campaign and disposition reports are
also at ``/api/outbound-reports/{outbound_report}``, which campaign managers may read too. The figures come
from the rollups (:mod:`reports.rollup_store`) in the outbound service's database, where the recorder
writes the interaction rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from aiohttp import web

from agent_desktop.catalogue import CAMPAIGN_MANAGER
from agent_desktop.handling import (
    CONFIG,
    HUB,
    OUTBOUND,
    BadRequest,
    Handler,
    NotFound,
    account_of,
    catalogue_of,
    render,
)
from agent_desktop.text_input import (
    EXPORT_FORMAT,
    REPORT_AGENT,
    REPORT_BY,
    REPORT_CAMPAIGN,
    REPORT_FROM,
    REPORT_MINUTES,
    REPORT_QUEUE,
    REPORT_QUICK,
    REPORT_TO,
    REPORT_ZONE,
)
from agent_desktop.ui_text import CodeWord, UiText
from crm_core.table_files import csv_bytes, xlsx_bytes
from reports.definitions import KpiSettings
from reports.rollup_reports import REPORTS, Report, ReportQuery, ReportRefused, build_report, quick_period
from reports.rollup_store import store_reader
from reports.rollups import ZoneNotQuarterHour, local_period

OUTBOUND_REPORTS = ("campaign", "disposition")
# Shares are shown and exported as fractions (0.5, not 50%), so a spreadsheet can compute with them: the
# headers say so.
_COLUMNS = {
    "queue": UiText("Queue"), "interval_start": UiText("Interval"), "offered": UiText("Offered"),
    "answered": UiText("Answered"), "answered_in_sl": UiText("Answered in SL"), "abandoned": UiText("Abandoned"),
    "short_abandoned": UiText("Short abandons"), "callbacks": UiText("Call-backs asked"),
    "callbacks_answered": UiText("Call-backs answered"), "transfers": UiText("Transfers"),
    "consultations": UiText("Consultations"),
    "service_level": UiText("Service level (0-1)"), "asa": UiText("ASA (s)"),
    "abandon_rate": UiText("Abandon rate (0-1)"),
    "aht": UiText("AHT (s)"), "agent_id": UiText("Agent"), "ready_seconds": UiText("Ready (s)"),
    "reserved_seconds": UiText("Reserved (s)"), "on_call_seconds": UiText("On call (s)"),
    "wrap_up_seconds": UiText("Wrap-up (s)"), "not_ready_seconds": UiText("Not ready (s)"),
    "calls": UiText("Calls"), "occupancy": UiText("Occupancy (0-1)"), "utilisation": UiText("Utilisation (0-1)"),
    "campaign": UiText("Campaign"), "direction": UiText("Direction"), "disposition": UiText("Disposition"),
    "outcome": UiText("Outcome"), "last_node": UiText("Last IVR node"), "share": UiText("Share (0-1)"),
    "result": UiText("Result"),
}
_NOT_READ_PREFIX = "not_ready:"


def _label(column: str) -> UiText:
    if column.startswith(_NOT_READ_PREFIX):
        reason = column.removeprefix(_NOT_READ_PREFIX)
        return UiText("Not ready: %(reason)s (s)", reason=CodeWord("pause reason", reason) if reason else
                      UiText("no reason"))
    return _COLUMNS[column]


def _site_zone(request: web.Request) -> str:
    zone = request.app[CONFIG].time_zone
    return zone.key if zone is not None else "UTC"


def _allowed(request: web.Request) -> tuple[str, ...]:
    return OUTBOUND_REPORTS if account_of(request).role == CAMPAIGN_MANAGER else REPORTS


def _day(text: str, today: dt.date) -> dt.date:
    if not text:
        return today
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(UiText("a day is written YYYY-MM-DD, not %(text)s", text=text)) from None


def _query(request: web.Request, names: Sequence[str], path_name: str) -> tuple[ReportQuery, dt.date, dt.date]:
    name = request.match_info[path_name]
    if name not in names:
        raise NotFound(UiText("no such report"))
    q = request.query
    zone_name = REPORT_ZONE.read(q, "") or _site_zone(request)
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(UiText("no time zone %(zone)s (IANA names, e.g. Europe/Paris)", zone=zone_name)) from None
    today = dt.datetime.fromtimestamp(request.app[HUB].clock(), zone).date()
    quick = REPORT_QUICK.read(q, "")
    first, last = _day(REPORT_FROM.read(q, ""), today), _day(REPORT_TO.read(q, ""), today)
    try:
        if quick:
            first, last = quick_period(quick, today)
        start, end = local_period(zone, first, last)
        minutes = REPORT_MINUTES.read(q, "") or "60"
        query = ReportQuery(name, start, end, zone, minutes=int(minutes) if minutes.isdigit() else 0,
                            by=REPORT_BY.read(q, "") or "queue", queue=REPORT_QUEUE.read(q, ""),
                            agent_id=REPORT_AGENT.read(q, ""), campaign=REPORT_CAMPAIGN.read(q, ""))
    except ZoneNotQuarterHour as exc:
        raise BadRequest(UiText("reports need a zone whose offset is whole quarter-hours: %(why)s",
                                why=UiText.as_is(str(exc)))) from None
    except ReportRefused as exc:
        raise BadRequest(UiText.as_is(str(exc))) from None
    except ValueError:
        raise BadRequest(UiText("the period ends before it starts, or is no quick pick")) from None
    return query, first, last


async def _report(request: web.Request, query: ReportQuery) -> Report:
    sessions = request.app[OUTBOUND].sessions
    now = request.app[HUB].clock()

    def read() -> Report:
        with sessions() as session:
            return build_report(query, store_reader(session, now), KpiSettings())

    return await asyncio.to_thread(read)


def _headers(request: web.Request, report: Report) -> list[str]:
    catalogue = catalogue_of(request)
    return [catalogue.text(_label(c)) for c in report.columns]


async def _data(request: web.Request, names: Sequence[str], path_name: str) -> web.StreamResponse:
    query, first, last = _query(request, names, path_name)
    report = await _report(request, query)
    return web.json_response({**report.to_dict(), "labels": _headers(request, report),
                              "period": {"from": first.isoformat(), "to": last.isoformat(), "tz": query.zone.key,
                                         "start": query.start, "end": query.end}})


async def _export(request: web.Request, names: Sequence[str], path_name: str) -> web.StreamResponse:
    query, first, last = _query(request, names, path_name)
    kind = EXPORT_FORMAT.read(request.query)
    if kind not in ("csv", "xlsx"):
        raise BadRequest(UiText("format must be csv or xlsx"))
    report = await _report(request, query)
    header = _headers(request, report)
    name = f"{report.name}-{first.isoformat()}-{last.isoformat()}.{kind}"
    if kind == "csv":
        body, media = csv_bytes(header, report.rows), "text/csv; charset=utf-8"
    else:
        body = xlsx_bytes(header, report.rows, report.name)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return web.Response(body=body, headers={"Content-Type": media,
                                            "Content-Disposition": f'attachment; filename="{name}"'})


async def reports_page(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    return render(request, "reports.html", {
        "reports": _allowed(request), "outbound_reports": OUTBOUND_REPORTS, "queues": config.queues,
        "site_zone": _site_zone(request), "zones": sorted(available_timezones()),
        "pause_reasons": config.pause_reasons,
    })


async def report_data(request: web.Request) -> web.StreamResponse:
    return await _data(request, REPORTS, "report")


async def report_export(request: web.Request) -> web.StreamResponse:
    return await _export(request, REPORTS, "report")


async def outbound_report_data(request: web.Request) -> web.StreamResponse:
    return await _data(request, OUTBOUND_REPORTS, "outbound_report")


async def outbound_report_export(request: web.Request) -> web.StreamResponse:
    return await _export(request, OUTBOUND_REPORTS, "outbound_report")


HANDLERS: dict[str, Handler] = {
    "reports_page": reports_page, "report_data": report_data, "report_export": report_export,
    "outbound_report_data": outbound_report_data, "outbound_report_export": outbound_report_export,
}
