"""The aiohttp application: pages, REST API and WebSocket endpoint put together over the hub and the stores.

Access is decided for every request by :mod:`agent_desktop.guard`, from the route table; each route's
handler comes from the module of its kind (pages, logging in, choosing the language, the agent's state,
calls, customers, the floor managers', the WebSocket). Pages and error texts speak the request's language
(:mod:`agent_desktop.catalogues`).
"""

from __future__ import annotations

import time

from aiohttp import web

from agent_desktop import (
    admin_routes,
    admin_setting_routes,
    agent_routes,
    agent_tool_routes,
    call_routes,
    campaign_report_routes,
    campaign_routes,
    customer_routes,
    dnc_routes,
    knowledge_routes,
    language_route,
    login_routes,
    outbound_call_routes,
    page_routes,
    report_routes,
    socket_route,
    supervisor_routes,
)
from agent_desktop.accounts import AccountStore
from agent_desktop.admin import AgentDirectory, SettingsAudit
from agent_desktop.agent_feed import AgentFeeds
from agent_desktop.auto_answer import AutoAnswerChoices
from agent_desktop.campaign_tiles import CampaignWall
from agent_desktop.catalogue import HTTP_ROUTES
from agent_desktop.catalogues import load_catalogues
from agent_desktop.config import DesktopConfig
from agent_desktop.crm_desk import CrmDesk
from agent_desktop.guard import guard
from agent_desktop.handling import (
    ACCOUNTS,
    AGENT_CONTROL,
    CAMPAIGN_WALL,
    CATALOGUES,
    CONFIG,
    CUSTOMERS,
    HUB,
    LANGUAGE_CHOICES,
    LIMITER,
    LOGIN_TRAFFIC,
    MANUAL_CALLS,
    OUTBOUND,
    PAUSE_REASONS,
    SESSIONS,
    SUPERVISION,
    TEMPLATES,
    Handler,
    PauseReasons,
    load_templates,
)
from agent_desktop.hub import DesktopHub
from agent_desktop.knowledge_base import KnowledgeBase
from agent_desktop.my_day import MyDay
from agent_desktop.outbound_desk import CallPlacer, CampaignDesk, NoPbx, PreviewDialer
from agent_desktop.security import LoginRateLimiter, RequestRateLimiter, SessionStore
from agent_desktop.services import AgentControl, CustomerLookup, DialLevels
from agent_desktop.staffing_panel import StaffingPanel
from agent_desktop.supervision import SupervisorActions
from agent_desktop.wall import WallProjection
from bus.clock import Clock
from bus.eventbus import EventBus
from outbound.service import OutboundService
from reports.campaign_report import campaign_tiles

HANDLERS: dict[str, Handler] = {
    **page_routes.HANDLERS,
    **login_routes.HANDLERS,
    **language_route.HANDLERS,
    **agent_routes.HANDLERS,
    **call_routes.HANDLERS,
    **customer_routes.HANDLERS,
    **supervisor_routes.HANDLERS,
    **campaign_routes.HANDLERS,
    **dnc_routes.HANDLERS,
    **socket_route.HANDLERS,
    **admin_routes.HANDLERS,
    **agent_tool_routes.HANDLERS,
    **knowledge_routes.HANDLERS,
    **admin_setting_routes.HANDLERS,
    **campaign_report_routes.HANDLERS,
    **outbound_call_routes.HANDLERS,
    **report_routes.HANDLERS,
}


def create_app(
    *,
    bus: EventBus,
    accounts: AccountStore,
    agent_control: AgentControl,
    customer_lookup: CustomerLookup,
    supervisor_actions: SupervisorActions,
    outbound: OutboundService,
    agent_directory: AgentDirectory,
    clock: Clock = time.time,
    config: DesktopConfig | None = None,
    limiter: LoginRateLimiter | None = None,
    login_traffic: RequestRateLimiter | None = None,
    wall_min_interval: float = 0.25,
    wall_max_interval: float = 1.0,
    dial_levels: DialLevels | None = None,
    call_placer: CallPlacer | None = None,
    preview_dialer: PreviewDialer | None = None,
) -> web.Application:
    """The desktop web application, driven by ``bus``, acting through ``agent_control`` for agents and
    ``supervisor_actions`` for the wall, ``outbound`` (started and stopped by its owner) for campaign managers, and
    ``agent_directory`` (the running ACD) for admins, whose changes are audited in the outbound service's database."""
    config = config or DesktopConfig()
    app = web.Application(middlewares=[guard], client_max_size=256 * 1024)
    # An agent the configuration does not list (a [[users]] agent account) goes by its account's name.
    agent_names = {a.agent_id: a.name for a in accounts if a.agent_id} | dict(config.agent_names)
    wall = WallProjection(
        clock=clock, queues=config.queues, targets=config.targets,
        memberships=config.memberships, agent_names=agent_names, tz=config.time_zone,
    )
    sessions = SessionStore(clock=clock)
    campaign_wall = CampaignWall(lambda: campaign_tiles(
        outbound, dial_levels=dial_levels.dial_levels() if dial_levels is not None else None,
        pacing=dial_levels.pacing_states() if dial_levels is not None else None))
    hub = DesktopHub(
        bus=bus, feeds=AgentFeeds(dispositions=config.dispositions, agent_names=agent_names), wall=wall,
        customer_lookup=customer_lookup, sessions=sessions, clock=clock,
        wall_min_interval=wall_min_interval, wall_max_interval=wall_max_interval,
        staffing=StaffingPanel(clock=clock, targets=config.targets),
        campaigns=campaign_wall,
    )
    app[HUB] = hub
    app[SESSIONS] = sessions
    app[ACCOUNTS] = accounts
    app[LIMITER] = limiter or LoginRateLimiter(clock=clock)
    app[LOGIN_TRAFFIC] = login_traffic or RequestRateLimiter(clock=clock, per_ip=config.login_requests_per_minute)
    app[AGENT_CONTROL] = agent_control
    app[CUSTOMERS] = customer_lookup
    app[SUPERVISION] = supervisor_actions
    app[CATALOGUES] = catalogues = load_catalogues()
    app[TEMPLATES] = load_templates(catalogues)
    app[LANGUAGE_CHOICES] = {}
    app[CONFIG] = config
    app[PAUSE_REASONS] = PauseReasons(config.pause_reasons)
    app[OUTBOUND] = outbound
    app[CAMPAIGN_WALL] = campaign_wall
    app[MANUAL_CALLS] = placer = call_placer or NoPbx()
    app[outbound_call_routes.OUTBOUND_DESK] = CampaignDesk(
        outbound, placer, agent_queues=lambda agent_id: config.memberships.get(agent_id, ()),
        dialer=preview_dialer)
    app[admin_routes.AGENT_DIRECTORY] = agent_directory
    app[admin_routes.SETTINGS_AUDIT] = SettingsAudit(outbound.sessions, clock)
    app[agent_tool_routes.CRM_DESK] = CrmDesk(outbound.sessions, clock)
    app[agent_tool_routes.MY_DAY] = MyDay(outbound.sessions, tz=config.time_zone, clock=clock)
    app[knowledge_routes.KNOWLEDGE] = KnowledgeBase(outbound.sessions, clock)
    app[agent_routes.AUTO_ANSWER] = auto_answer = AutoAnswerChoices(outbound.sessions, clock)
    for route in HTTP_ROUTES:
        app.router.add_route(route.method, route.path, HANDLERS[route.name], name=route.name)

    async def start_hub(app: web.Application) -> None:
        hub.start()
        # The ACD keeps the agents' auto-answer choices in memory only: hand it the stored ones.
        for agent_id, seconds in (await auto_answer.everyone()).items():
            await agent_control.set_auto_answer(agent_id, seconds)
        campaign_wall.start()

    async def stop_hub(app: web.Application) -> None:
        await campaign_wall.stop()
        await hub.stop()

    app.on_startup.append(start_hub)
    app.on_shutdown.append(stop_hub)
    return app
