"""Campaigns for campaign managers: the pages, the campaigns' API and call list uploads with their reports.

An upload is streamed to the data folder (never held in memory), then imported by the outbound service in
the background; the page polls the job for its progress. The campaign's texts are checked where they
enter (:mod:`agent_desktop.text_input`); the rest of the settings by :class:`CampaignSettings`, whose
English reasons are shown as they come.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from agent_desktop.campaign_tiles import CampaignWall
from agent_desktop.handling import (
    CAMPAIGN_WALL,
    CONFIG,
    OUTBOUND,
    BadRequest,
    Conflict,
    Handler,
    NotFound,
    RequestRefused,
    account_of,
    json_body,
    path_segment,
    render,
)
from agent_desktop.text_input import CAMPAIGN_TEXT, COLUMN_HEADER, ENCODING, RECORD_ID, TextField
from agent_desktop.ui_text import UiText
from outbound.abandon import FORMULAS
from outbound.campaign_store import CampaignNotFound, StoredCampaign
from outbound.campaigns import MACHINE_RULES, MODES, CampaignError, CampaignSettings, StatusError
from outbound.list_columns import LIST_COLUMNS
from outbound.list_import import JobNotFound
from outbound.rules import RETRYABLE
from outbound.service import OutboundService

NO_SUCH_CAMPAIGN = UiText("no such campaign")
NO_SUCH_IMPORT = UiText("no such import")
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
ENCODINGS = ("", "utf-8", "gb18030", "cp1252")
_CHUNK = 256 * 1024
REPORT_FOLDER = "reports"
REPORT_KEPT_SECONDS = 600.0  # a report file is written per download and deleted this long after


class TooLarge(RequestRefused):
    """An upload beyond :data:`MAX_UPLOAD_BYTES`; answered 413."""

    status = 413


def _record_id(request: web.Request, name: str, missing: UiText) -> int:
    text = path_segment(request, TextField(name, RECORD_ID.max_length, min_length=1), missing)
    if not text.isascii() or not text.isdigit():
        raise NotFound(missing)
    return int(text)


async def _campaign(request: web.Request) -> StoredCampaign:
    campaign_id = _record_id(request, "campaign_id", NO_SUCH_CAMPAIGN)
    try:
        return await request.app[OUTBOUND].campaign(campaign_id)
    except CampaignNotFound:
        raise NotFound(NO_SUCH_CAMPAIGN) from None


def _checked_texts(value: Any, where: str = "campaign") -> None:
    """Every text in a campaign body follows the edge's rule (valid Unicode, no control character)."""
    if isinstance(value, str):
        TextField(where, CAMPAIGN_TEXT.max_length * 10).check(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _checked_texts(key, where)
            _checked_texts(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            _checked_texts(item, where)


async def _settings_body(request: web.Request) -> dict[str, Any]:
    body = await json_body(request)
    _checked_texts(body)
    return body


async def _view(service: OutboundService, campaign: StoredCampaign, wall: CampaignWall | None = None
                ) -> dict[str, Any]:
    """The campaign with its counts and, on the campaign's own page, its live tile (None: not running)."""
    view = {**campaign.to_json(), "progress": (await service.progress(campaign)).to_json()}
    if wall is not None:
        tile = wall.tile(campaign.id)
        view["live"] = tile.to_json() if tile is not None else None
    return view


def _refused(exc: CampaignError) -> BadRequest:
    return BadRequest(UiText.as_is(str(exc)))  # the field and its rule, in English


# --- pages ------------------------------------------------------------------------------------------------


async def campaigns_page(request: web.Request) -> web.StreamResponse:
    return render(request, "campaigns.html", {})


def _editor(request: web.Request, campaign: StoredCampaign | None, settings: CampaignSettings) -> web.Response:
    data = {**settings.to_json(), **(campaign.to_json() if campaign else {})}
    return render(request, "campaign.html", {
        "campaign": campaign, "campaign_data": data, "modes": MODES, "formulas": FORMULAS,
        "machine_rules": MACHINE_RULES, "queues": request.app[CONFIG].queues, "outcomes": RETRYABLE,
        "list_columns": LIST_COLUMNS, "encodings": ENCODINGS,
    })


async def new_campaign_page(request: web.Request) -> web.StreamResponse:
    default_region = request.app[OUTBOUND].default_region
    return _editor(request, None, CampaignSettings(name="", caller_id="", queue="", default_region=default_region))


async def campaign_page(request: web.Request) -> web.StreamResponse:
    campaign = await _campaign(request)
    return _editor(request, campaign, campaign.settings)


# --- campaigns ------------------------------------------------------------------------------------------


async def campaigns(request: web.Request) -> web.StreamResponse:
    views = await request.app[OUTBOUND].campaigns()
    return web.json_response({"campaigns": [view.to_json() for view in views]})


async def campaign(request: web.Request) -> web.StreamResponse:
    return web.json_response(await _view(request.app[OUTBOUND], await _campaign(request), request.app[CAMPAIGN_WALL]))


async def create_campaign(request: web.Request) -> web.StreamResponse:
    service = request.app[OUTBOUND]
    body = await _settings_body(request)
    try:
        created = await service.create_campaign(body, actor=account_of(request).id)
    except CampaignError as exc:
        raise _refused(exc) from None
    return web.json_response(await _view(service, created), status=201)


async def update_campaign(request: web.Request) -> web.StreamResponse:
    service = request.app[OUTBOUND]
    current = await _campaign(request)
    body = await _settings_body(request)
    try:
        changed = await service.update_campaign(current.id, body, actor=account_of(request).id)
    except CampaignError as exc:
        raise _refused(exc) from None
    return web.json_response(await _view(service, changed))


async def campaign_status(request: web.Request) -> web.StreamResponse:
    service = request.app[OUTBOUND]
    current = await _campaign(request)
    wanted = TextField("status", 16, min_length=1).read(await json_body(request))
    try:
        moved = await service.set_status(current.id, wanted, actor=account_of(request).id)
    except StatusError as exc:
        raise Conflict(UiText.as_is(str(exc))) from None
    return web.json_response(await _view(service, moved))


async def campaign_history(request: web.Request) -> web.StreamResponse:
    current = await _campaign(request)
    return web.json_response({"changes": await request.app[OUTBOUND].campaign_history(current.id)})


# --- lists ----------------------------------------------------------------------------------------------


async def _save_upload(part: BodyPartReader, target: Path) -> int:
    """Stream the file part to ``target``; :class:`TooLarge` past the limit (nothing is kept then)."""
    size = 0
    try:
        with target.open("wb") as out:
            while chunk := await part.read_chunk(_CHUNK):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise TooLarge(UiText("the file is larger than %(limit)s MB",
                                          limit=MAX_UPLOAD_BYTES // 2**20))
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size


async def _read_upload(request: web.Request, service: OutboundService) -> tuple[Path, str, dict[str, str]]:
    """The uploaded file (saved), its name and the form's text fields."""
    if request.content_type != "multipart/form-data":
        raise BadRequest(UiText("upload the list as multipart/form-data with a file field"))
    try:
        reader = await request.multipart()
        fields: dict[str, str] = {}
        saved: tuple[Path, str] | None = None
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise BadRequest(UiText("the form cannot be read: %(reason)s", reason="nested parts"))
            if part.name == "file" and saved is None:
                name = TextField("file", 255).check(part.filename or "list.csv")
                target = service.upload_path(name)
                await _save_upload(part, target)
                saved = (target, name)
            elif part.name in ("encoding", "phone_column", "name_column", "csrf_token"):
                fields[part.name] = (await part.read_chunk(64 * 1024)).decode("utf-8", "strict")
    except (ValueError, LookupError, UnicodeDecodeError) as exc:
        if saved is not None:
            saved[0].unlink(missing_ok=True)
        raise BadRequest(UiText("the form cannot be read: %(reason)s", reason=str(exc))) from None
    if saved is None:
        raise BadRequest(UiText("file: required"))
    return saved[0], saved[1], fields


async def upload_list(request: web.Request) -> web.StreamResponse:
    service = request.app[OUTBOUND]
    current = await _campaign(request)
    path, name, fields = await _read_upload(request, service)
    try:
        encoding = ENCODING.read(fields, "")
        if encoding not in ENCODINGS:
            raise BadRequest(UiText("encoding must be one of: %(choices)s", choices=", ".join(ENCODINGS[1:])))
        columns = {field: header for field, key in (("phone", "phone_column"), ("name", "name_column"))
                   if (header := COLUMN_HEADER.read(fields, ""))}
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    job = await service.start_import(current.id, path, file_name=name, actor=account_of(request).id,
                                     columns=columns, encoding=encoding or None)
    return web.json_response(job.to_json(), status=202)


async def campaign_imports(request: web.Request) -> web.StreamResponse:
    current = await _campaign(request)
    jobs = await request.app[OUTBOUND].import_jobs(current.id)
    return web.json_response({"jobs": [job.to_json() for job in jobs]})


async def import_job(request: web.Request) -> web.StreamResponse:
    job_id = _record_id(request, "job_id", NO_SUCH_IMPORT)
    try:
        job = await request.app[OUTBOUND].import_job(job_id)
    except JobNotFound:
        raise NotFound(NO_SUCH_IMPORT) from None
    return web.json_response(job.to_json())


async def import_report(request: web.Request) -> web.StreamResponse:
    service = request.app[OUTBOUND]
    job_id = _record_id(request, "job_id", NO_SUCH_IMPORT)
    folder = service.data_dir / REPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):  # reports sent a while ago
        if old.stat().st_mtime < time.time() - REPORT_KEPT_SECONDS:
            old.unlink(missing_ok=True)
    target = folder / f"import-{job_id}-{secrets.token_hex(6)}.csv"
    try:
        await service.import_report(job_id, target)
    except JobNotFound:
        target.unlink(missing_ok=True)
        raise NotFound(NO_SUCH_IMPORT) from None
    return web.FileResponse(target, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="import-{job_id}-problems.csv"'})


HANDLERS: dict[str, Handler] = {
    "campaigns_page": campaigns_page, "new_campaign_page": new_campaign_page, "campaign_page": campaign_page,
    "campaigns": campaigns, "campaign": campaign, "create_campaign": create_campaign,
    "update_campaign": update_campaign, "campaign_status": campaign_status, "campaign_history": campaign_history,
    "upload_list": upload_list, "campaign_imports": campaign_imports, "import_job": import_job,
    "import_report": import_report,
}
