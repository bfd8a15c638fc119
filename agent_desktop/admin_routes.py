"""The admin console's routes: the page, the agents of the running ACD (listed and added, with a web
login), the other users (supervisors, campaign managers, admins: listed and added), accounts' passwords
(reset by an admin, changed by their owner) and the audit trail of changes."""

from __future__ import annotations

import asyncio
import dataclasses

from aiohttp import web

from acd.config import AgentConfig
from agent_desktop.accounts import Account
from agent_desktop.admin import (
    USER_ROLES,
    AgentDirectory,
    SettingsAudit,
    account_fields,
    agent_fields,
    read_agent,
    read_new_agent,
    read_new_user,
    read_user,
)
from agent_desktop.admin_fields import ACCOUNT_ID, CHANGED_PASSWORD, NEW_PASSWORD, OLD_PASSWORD
from agent_desktop.catalogue import AGENT
from agent_desktop.handling import (
    ACCOUNTS,
    HUB,
    BadRequest,
    Conflict,
    Handler,
    NotFound,
    account_of,
    json_body,
    path_segment,
    render,
)
from agent_desktop.text_input import AGENT_ID
from agent_desktop.ui_text import UiText

AGENT_DIRECTORY = web.AppKey("agent_directory", AgentDirectory)
SETTINGS_AUDIT = web.AppKey("settings_audit", SettingsAudit)


async def admin_page(request: web.Request) -> web.StreamResponse:
    directory = request.app[AGENT_DIRECTORY]
    return render(request, "admin.html", {
        "queues": directory.queue_names(), "skills": directory.skill_names(), "user_roles": USER_ROLES,
    })


async def account_page(request: web.Request) -> web.StreamResponse:
    return render(request, "account.html", {})


async def admin_agents(request: web.Request) -> web.StreamResponse:
    directory = request.app[AGENT_DIRECTORY]
    accounts = request.app[ACCOUNTS]
    logins = {a.agent_id for a in accounts if a.agent_id}
    return web.json_response({
        "agents": [agent_fields(c) | {"login": c.id in logins} for c in directory.agent_configs()],
        "queues": list(directory.queue_names()), "skills": list(directory.skill_names()),
    })


async def add_agent(request: web.Request) -> web.StreamResponse:
    directory = request.app[AGENT_DIRECTORY]
    accounts = request.app[ACCOUNTS]
    new = read_new_agent(await json_body(request), directory)
    config = new.config
    if accounts.get(config.id) is not None or any(a.id == config.id for a in directory.agent_configs()):
        raise Conflict(UiText("an agent or account %(id)s exists already", id=config.id))
    password_hash = await asyncio.to_thread(accounts.hasher.hash, new.password)
    await directory.add_agent(config)  # the ACD refuses (409) before any account exists
    account = Account(id=config.id, name=config.name, role=AGENT, password_hash=password_hash, agent_id=config.id)
    accounts.add(account)
    _show_agent(request, config)
    await request.app[SETTINGS_AUDIT].agent_added(account_of(request).id, config, account)
    return web.json_response(agent_fields(config), status=201)


def _show_agent(request: web.Request, config: AgentConfig) -> None:
    """The wall's tiles count the agent in its queues, and the wall and desktops show its name, at once."""
    hub = request.app[HUB]
    hub.wall.set_membership(config.id, config.queues, config.name)
    hub.feeds.set_name(config.id, config.name)


async def update_agent(request: web.Request) -> web.StreamResponse:
    directory = request.app[AGENT_DIRECTORY]
    agent_id = path_segment(request, AGENT_ID, UiText("no such agent"))
    old = next((c for c in directory.agent_configs() if c.id == agent_id), None)
    if old is None:
        raise NotFound(UiText("no such agent"))
    new = read_agent(await json_body(request), directory, agent_id)
    await directory.update_agent(new)  # the ACD refuses (409) while the agent is logged in
    _show_agent(request, new)
    await request.app[SETTINGS_AUDIT].agent_changed(account_of(request).id, old, new)
    return web.json_response(agent_fields(new))


async def reset_password(request: web.Request) -> web.StreamResponse:
    accounts = request.app[ACCOUNTS]
    account_id = path_segment(request, ACCOUNT_ID, UiText("no such account"))
    if accounts.get(account_id) is None:
        raise NotFound(UiText("no such account"))
    password = NEW_PASSWORD.read(await json_body(request))
    accounts.set_password_hash(account_id, await asyncio.to_thread(accounts.hasher.hash, password))
    changed = accounts.get(account_id)
    assert changed is not None
    await request.app[SETTINGS_AUDIT].password_set(account_of(request).id, changed, "reset_password")
    return web.json_response({"ok": True})


async def change_password(request: web.Request) -> web.StreamResponse:
    accounts = request.app[ACCOUNTS]
    account = account_of(request)
    body = await json_body(request)
    old, new = OLD_PASSWORD.read(body), CHANGED_PASSWORD.read(body)
    current = accounts.get(account.id) or account
    if not await asyncio.to_thread(accounts.password_matches, current, old):
        raise BadRequest(UiText("the current password is wrong"))
    accounts.set_password_hash(account.id, await asyncio.to_thread(accounts.hasher.hash, new))
    await request.app[SETTINGS_AUDIT].password_set(account.id, accounts.get(account.id) or account, "change_password")
    return web.json_response({"ok": True})


async def admin_accounts(request: web.Request) -> web.StreamResponse:
    return web.json_response({"accounts": [account_fields(a) for a in request.app[ACCOUNTS]]})


async def add_account(request: web.Request) -> web.StreamResponse:
    accounts = request.app[ACCOUNTS]
    new = read_new_user(await json_body(request))
    if accounts.get(new.id) is not None or any(a.id == new.id for a in request.app[AGENT_DIRECTORY].agent_configs()):
        raise Conflict(UiText("an agent or account %(id)s exists already", id=new.id))
    password_hash = await asyncio.to_thread(accounts.hasher.hash, new.password)
    account = Account(id=new.id, name=new.name, role=new.role, password_hash=password_hash, phone=new.phone)
    accounts.add(account)
    await request.app[SETTINGS_AUDIT].account_added(account_of(request).id, account)
    return web.json_response(account_fields(account), status=201)


async def update_account(request: web.Request) -> web.StreamResponse:
    accounts = request.app[ACCOUNTS]
    account_id = path_segment(request, ACCOUNT_ID, UiText("no such account"))
    old = accounts.get(account_id)
    if old is None:
        raise NotFound(UiText("no such account"))
    name, role, phone = read_user(await json_body(request))
    if old.agent_id is not None:
        raise Conflict(UiText("an agent's login stays an agent: change the agent instead"))
    if old.id == account_of(request).id and role != old.role:
        raise Conflict(UiText("you cannot change your own role"))  # so the console always keeps an admin
    new = dataclasses.replace(old, name=name, role=role, phone=phone)
    accounts.replace(new)
    await request.app[SETTINGS_AUDIT].account_changed(account_of(request).id, old, new)
    return web.json_response(account_fields(new))


async def admin_audit(request: web.Request) -> web.StreamResponse:
    return web.json_response({"changes": await request.app[SETTINGS_AUDIT].latest()})


HANDLERS: dict[str, Handler] = {
    "admin_page": admin_page, "admin_agents": admin_agents, "add_agent": add_agent, "update_agent": update_agent,
    "reset_password": reset_password, "change_password": change_password, "admin_audit": admin_audit,
    "admin_accounts": admin_accounts, "add_account": add_account, "account_page": account_page,
    "update_account": update_account,
}
