"""The admin console's routes for queues, skills and pause reasons: each change is checked, applied to the
running ACD and to the pages' live views (the desktops' wrap-up codes, the wall's targets and alerts, the
not-ready reasons people may pick), kept over the seed of ``callcenter.toml`` and audited."""

from __future__ import annotations

from aiohttp import web

from acd.agents import SYSTEM_PAUSE_REASONS
from agent_desktop.admin_queues import EDITABLE_QUEUE_FIELDS, code_words, queue_fields, read_queue
from agent_desktop.admin_routes import AGENT_DIRECTORY, SETTINGS_AUDIT
from agent_desktop.handling import (
    HUB,
    PAUSE_REASONS,
    BadRequest,
    Conflict,
    Handler,
    NotFound,
    account_of,
    json_body,
    path_segment,
)
from agent_desktop.text_input import QUEUE
from agent_desktop.ui_text import UiText
from agent_desktop.wall import QueueTargets


async def admin_queues(request: web.Request) -> web.StreamResponse:
    directory = request.app[AGENT_DIRECTORY]
    return web.json_response({
        "queues": [queue_fields(q) for q in directory.queue_configs()],
        "skills": list(directory.skill_names()), "pause_reasons": list(request.app[PAUSE_REASONS].names),
    })


async def update_queue(request: web.Request) -> web.StreamResponse:
    directory = request.app[AGENT_DIRECTORY]
    name = path_segment(request, QUEUE, UiText("no such queue"))
    old = next((q for q in directory.queue_configs() if q.name == name), None)
    if old is None:
        raise NotFound(UiText("no such queue"))
    new, entry = read_queue(await json_body(request), old, directory.queue_names(), directory.skill_names())
    await directory.update_queue(new)  # the ACD routes with it from now on
    hub = request.app[HUB]
    hub.feeds.set_dispositions(name, new.dispositions)
    hub.wall.set_targets(name, QueueTargets.of(new))
    if hub.staffing is not None:  # the staffing advice aims at the new service level too
        hub.staffing.set_targets(name, QueueTargets.of(new))
    # Only what the console edits is kept: the file still says the queue's name, call skills and handle time.
    kept = {field: entry.get(field) for field in EDITABLE_QUEUE_FIELDS}  # max_length None: no limit
    await request.app[SETTINGS_AUDIT].queue_changed(account_of(request).id, queue_fields(old), entry, kept)
    return web.json_response(entry)


async def update_skills(request: web.Request) -> web.StreamResponse:
    directory = request.app[AGENT_DIRECTORY]
    old = list(directory.skill_names())
    new = code_words((await json_body(request)).get("names"), "names", at_least=1)
    used = {s for a in directory.agent_configs() for s, _ in a.skills}
    for q in directory.queue_configs():
        used |= {s for s, _ in q.skills} | {s for step in q.escalation for s, _ in step.lower} | {
            s for step in q.escalation for s in step.drop}
    missing = sorted(used - set(new))
    if missing:
        raise Conflict(UiText("still in use by agents or queues: %(skills)s", skills=", ".join(missing)))
    await directory.set_names(new, list(request.app[PAUSE_REASONS].names))
    await request.app[SETTINGS_AUDIT].names_changed(account_of(request).id, "skills", old, new)
    return web.json_response({"names": new})


async def update_pause_reasons(request: web.Request) -> web.StreamResponse:
    directory = request.app[AGENT_DIRECTORY]
    holder = request.app[PAUSE_REASONS]
    old = list(holder.names)
    new = code_words((await json_body(request)).get("names"), "names", at_least=1)
    for reason in new:
        if reason in SYSTEM_PAUSE_REASONS:
            raise BadRequest(UiText("names: %(reason)s is set by the ACD itself, never picked", reason=reason))
    await directory.set_names(list(directory.skill_names()), new)  # the ACD accepts them first
    holder.names = tuple(new)
    await request.app[SETTINGS_AUDIT].names_changed(account_of(request).id, "pause_reasons", old, new)
    return web.json_response({"names": new})


HANDLERS: dict[str, Handler] = {
    "admin_queues": admin_queues, "update_queue": update_queue, "update_skills": update_skills,
    "update_pause_reasons": update_pause_reasons,
}
