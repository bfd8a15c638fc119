"""The one declarative table of every HTTP route and WebSocket message, and who may use it.

The server enforces access from these tables alone (a route or message type missing here is
refused), the OpenAPI document and the docs page are generated from them, and the authorisation
test walks them for every role.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from agent_desktop import api_schemas
from agent_desktop.languages import LANGUAGES
from agent_desktop.text_input import (
    AGENT_ID,
    ARTICLE_QUERY,
    CALL_ID,
    CUSTOMER_ID,
    DIAL_NUMBER,
    EXPORT_FORMAT,
    NEXT_PATH,
    NUMBER_LOOKUP,
    PAGE_NUMBER,
    QUEUE,
    REPORT_AGENT,
    REPORT_BY,
    REPORT_CAMPAIGN,
    REPORT_END,
    REPORT_FORMAT,
    REPORT_FROM,
    REPORT_GROUPING,
    REPORT_MINUTES,
    REPORT_QUEUE,
    REPORT_QUICK,
    REPORT_START,
    REPORT_TO,
    REPORT_ZONE,
    SEARCH_TEXT,
    TextField,
)

AGENT = "agent"
SUPERVISOR = "supervisor"
CAMPAIGN_MANAGER = "campaign_manager"
ADMIN = "admin"
ROLES: tuple[str, ...] = (AGENT, SUPERVISOR, CAMPAIGN_MANAGER, ADMIN)

EVERYONE = frozenset(ROLES)
FLOOR_MANAGERS = frozenset({SUPERVISOR, ADMIN})
AGENTS_ONLY = frozenset({AGENT})
# Those who may act on a call: its own agent (checked per call by the handler) and the floor managers.
CALL_HANDLERS = frozenset({AGENT, SUPERVISOR, ADMIN})
# Campaigns, call lists and do-not-call lists.
CAMPAIGN_MANAGERS = frozenset({CAMPAIGN_MANAGER, ADMIN})
ADMINS = frozenset({ADMIN})

JsonSchema = Mapping[str, Any]
MAX_SOCKETS_PER_SESSION = 5  # a few tabs of one login; more is a leak or an attack

# The rule the customer routes enforce, shown on the docs page and in the OpenAPI description.
CUSTOMER_VISIBILITY = (
    "Who sees which customer: supervisors and admins may read any customer card. An agent reads a "
    "full card (notes, history, tickets) only for the customer on one of its own active calls, from "
    "the offer until the call is disposed. To identify a caller, an agent may search the CRM from "
    "its own active call; search results carry only the summary (id, code, name, company, phones, "
    "e-mail), never notes, history or tickets. Matching the call to a result shows that customer's "
    "full card on the pop by design, and publishes CustomerMatched naming the user, so every card "
    "opened that way is on the event log. A new match replaces the old one, whose card the agent can "
    "then no longer read. A colleague consulted about a call is shown its customer's full card on the "
    "consultation's pop, since the caller may be handed over to them. Outside a call, agents, supervisors "
    "and admins may search the CRM by name, phone, code or e-mail (summaries only, a page at a time) and "
    "open a customer's card from the results to serve them (tickets, history); every card opened that "
    "way writes an audit row (action viewed) naming the user."
)


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """A status a route answers with: what it means, and the JSON body it then holds (None: a page's
    HTML, no body for a redirect, or text of the ``media`` types)."""

    description: str
    schema: JsonSchema | None = None
    media: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class HttpRoute:
    """One HTTP route; ``roles`` None means public (no login needed). ``answers`` are the statuses its
    handler answers with; :meth:`all_answers` adds those of the guard."""

    method: str
    path: str
    name: str
    roles: frozenset[str] | None
    summary: str
    kind: str = "api"  # "api" answers JSON, "page" answers HTML and redirects to the login page
    answers: Mapping[int, Answer] = dataclasses.field(default_factory=dict)
    request_schema: JsonSchema | None = None
    query: tuple[TextField, ...] = ()  # query parameters; required when they may not be empty
    request_media: str = "application/json"  # the body's media type (an upload's is multipart/form-data)

    @property
    def public(self) -> bool:
        return self.roles is None

    @property
    def changes_state(self) -> bool:
        """Unsafe methods need a CSRF token."""
        return self.method not in ("GET", "HEAD", "OPTIONS")

    def allows(self, role: str | None) -> bool:
        return self.roles is None or (role is not None and role in self.roles)

    def all_answers(self) -> dict[int, Answer]:
        """Every status the route answers with: its handler's and those of the guard in front of it."""
        page = self.kind == "page"
        error = None if page else api_schemas.ERROR
        guard: dict[int, Answer] = {}
        if not self.public:
            guard[302 if page else 401] = Answer("Not logged in: to /login." if page else "Not logged in.", error)
            if self.roles != EVERYONE:
                guard[403] = Answer("The role may not use this.", error)
        if self.changes_state:
            guard[403] = Answer("The role may not use this, or the CSRF token is missing or wrong."
                                if 403 in guard else "The CSRF token is missing or wrong.", error)
            guard[400] = Answer("The body cannot be read, or a field breaks its rule (the message names it).",
                                error)
        return guard | dict(self.answers)


def _refusals(*statuses: int, **meaning: str) -> dict[int, Answer]:
    """JSON error answers; ``meaning`` (``s409="..."``) says what a status means on this route."""
    return {status: Answer(meaning.get(f"s{status}") or _ERROR_MEANINGS[status], api_schemas.ERROR)
            for status in statuses}


_ERROR_MEANINGS = {
    400: "A field breaks its rule or the body cannot be read; the message names the field.",
    404: "No such active call of yours, customer or agent.",
    409: "The call's or the agent's state does not allow this, or the ACD refused; the message says why.",
    413: "The body is too large.",
    429: "Too many requests; wait and try again.",
    502: "The PBX did not carry the action out.",
}
_ACCEPTED = {202: Answer("Sent to the ACD, whose events tell how it ended.", api_schemas.OK)}
_PAGE = {200: Answer("The page.")}


@dataclasses.dataclass(frozen=True, slots=True)
class WsMessage:
    """A message type a client may send over the WebSocket."""

    type: str
    roles: frozenset[str]
    summary: str
    fields: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class WsEvent:
    """A message type the server pushes; ``audience`` says who receives it."""

    type: str
    audience: str
    summary: str
    fields: Mapping[str, str] = dataclasses.field(default_factory=dict)


# Dots inside a name are allowed (a vendored "pico.classless.min.css"), never two in a row nor a slash.
STATIC_FILE_NAME = r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.(js|css|svg)$"
VENDOR_PACKAGE = r"^[a-z0-9_-]+$"
# What the paths' {parameters} may be; the routes answer 404 for anything else.
PATH_PARAMETERS: Mapping[str, JsonSchema] = {
    "call_id": CALL_ID.schema(), "customer_id": CUSTOMER_ID.schema(), "agent_id": AGENT_ID.schema(),
    "filename": {"type": "string", "pattern": STATIC_FILE_NAME},
    "package": {"type": "string", "pattern": VENDOR_PACKAGE},
    "campaign_id": {"type": "string", "pattern": r"^[0-9]{1,12}$"},
    "job_id": {"type": "string", "pattern": r"^[0-9]{1,12}$"},
    "account_id": {"type": "string", "minLength": 1, "maxLength": 128},
    "ticket_id": {"type": "string", "pattern": r"^[0-9]{1,12}$"},
    "article_id": {"type": "string", "pattern": r"^[0-9]{1,12}$"},
    "queue": QUEUE.schema(),
    "lead_id": {"type": "string", "pattern": r"^[0-9]{1,12}$"},
    "report": {"type": "string", "pattern": r"^(interval|queue|agent|disposition|ivr|campaign)$"},
    "outbound_report": {"type": "string", "pattern": r"^(campaign|disposition)$"},
}
_REACH = (
    "An agent may act only on its own call (404 otherwise), supervisors and admins on any; 409 when the "
    "call is not in a state that allows it, or the ACD refuses (the answer says why)."
)
_CALL_COMMAND = _ACCEPTED | _refusals(404, 409)
_CALL_TARGET_COMMAND = _ACCEPTED | _refusals(400, 404, 409)
_FLOOR_COMMAND = _ACCEPTED | _refusals(404, 409, 502, s404="No such agent id.",
                                       s409="The agent's state does not allow this; the message says why.")

_NO_CAMPAIGN = _refusals(404, s404="No such campaign.")
_OUTBOUND_PAGE = _PAGE | {404: Answer("No such campaign.")}
OUTBOUND_ROUTES: tuple[HttpRoute, ...] = (
    HttpRoute("GET", "/campaigns", "campaigns_page", CAMPAIGN_MANAGERS,
              "Campaigns with their live progress (a campaign manager's start page).", kind="page", answers=_PAGE),
    HttpRoute("GET", "/campaigns/new", "new_campaign_page", CAMPAIGN_MANAGERS, "The editor of a new campaign.",
              kind="page", answers=_PAGE),
    HttpRoute("GET", "/campaigns/{campaign_id}", "campaign_page", CAMPAIGN_MANAGERS,
              "A campaign: its editor, status, list uploads with their error reports, and its changes.",
              kind="page", answers=_OUTBOUND_PAGE),
    HttpRoute("GET", "/dnc", "dnc_page", CAMPAIGN_MANAGERS,
              "Do-not-call lists: add and remove numbers, the latest entries and changes, the national registry.",
              kind="page", answers=_PAGE),
    HttpRoute("GET", "/numbers", "number_page", CAMPAIGN_MANAGERS,
              "A number's story: its lists, whether it will be dialled and why not, every decision and dial.",
              kind="page", answers=_PAGE, query=(NUMBER_LOOKUP,)),
    HttpRoute("GET", "/api/campaigns", "campaigns", CAMPAIGN_MANAGERS,
              "Every campaign with its counts (recounted in the background when older than ten seconds).",
              answers={200: Answer("The campaigns.", api_schemas.CAMPAIGNS)}),
    HttpRoute("POST", "/api/campaigns", "create_campaign", CAMPAIGN_MANAGERS,
              "Create a campaign (a draft); audited with the user as actor. 400 names a field that breaks its rule.",
              answers={201: Answer("Created.", api_schemas.CAMPAIGN)} | _refusals(400),
              request_schema=api_schemas.CAMPAIGN_SETTINGS),
    HttpRoute("GET", "/api/campaigns/{campaign_id}", "campaign", CAMPAIGN_MANAGERS,
              "A campaign with its counts and, while it runs, the wall's live figures (live).",
              answers={200: Answer("The campaign.", api_schemas.CAMPAIGN_WITH_TILE)} | _NO_CAMPAIGN),
    HttpRoute("PUT", "/api/campaigns/{campaign_id}", "update_campaign", CAMPAIGN_MANAGERS,
              "Replace a campaign's settings; each changed field is audited, and a change to the calling hours, "
              "retry rules or attempt limits makes a new rule set version.",
              answers={200: Answer("Changed.", api_schemas.CAMPAIGN)} | _refusals(400) | _NO_CAMPAIGN,
              request_schema=api_schemas.CAMPAIGN_SETTINGS),
    HttpRoute("POST", "/api/campaigns/{campaign_id}/status", "campaign_status", CAMPAIGN_MANAGERS,
              "Start, pause, stop or finish a campaign (audited); 409 when its status does not allow the move.",
              answers={200: Answer("Moved.", api_schemas.CAMPAIGN)} | _refusals(400) | _NO_CAMPAIGN
              | _refusals(409, s409="The campaign's status does not allow this move; the message says which do."),
              request_schema=api_schemas.CAMPAIGN_STATUS),
    HttpRoute("GET", "/api/campaigns/{campaign_id}/history", "campaign_history", CAMPAIGN_MANAGERS,
              "Who changed what in a campaign and when, oldest first.",
              answers={200: Answer("The changes.", api_schemas.CAMPAIGN_HISTORY)} | _NO_CAMPAIGN),
    HttpRoute("POST", "/api/campaigns/{campaign_id}/lists", "upload_list", CAMPAIGN_MANAGERS,
              "Upload a call list (CSV or XLSX) into a campaign: it is imported in the background as one job, "
              "whose progress GET /api/imports/{job_id} gives. The columns are found by header (English and "
              "Chinese); phone_column and name_column name them instead.",
              answers={202: Answer("Queued.", api_schemas.IMPORT_JOB)} | _refusals(400) | _NO_CAMPAIGN
              | _refusals(413, s413="The file is larger than the upload limit."),
              request_schema=api_schemas.LIST_UPLOAD, request_media="multipart/form-data"),
    HttpRoute("GET", "/api/campaigns/{campaign_id}/lists", "campaign_imports", CAMPAIGN_MANAGERS,
              "The campaign's latest list imports, newest first.",
              answers={200: Answer("The imports.", api_schemas.IMPORT_JOBS)} | _NO_CAMPAIGN),
    HttpRoute("GET", "/api/imports/{job_id}", "import_job", CAMPAIGN_MANAGERS,
              "Where a list import stands (progress 0 to 1) and what it did.",
              answers={200: Answer("The import.", api_schemas.IMPORT_JOB)}
              | _refusals(404, s404="No such import.")),
    HttpRoute("GET", "/imports/{job_id}/report.csv", "import_report", CAMPAIGN_MANAGERS,
              "Download every row of an import that did not become a lead, as CSV (UTF-8 with BOM): line, "
              "problem, reason, then the row's cells under the file's header.", kind="page",
              answers={200: Answer("The report.", media=("text/csv",)), 404: Answer("No such import.")}),
    HttpRoute("GET", "/api/dnc", "dnc_lists", CAMPAIGN_MANAGERS,
              "The do-not-call lists: how many entries, the latest 100, the latest changes and the national "
              "registry in force.", answers={200: Answer("The lists.", api_schemas.DNC_LISTS)}),
    HttpRoute("POST", "/api/dnc", "dnc_add", CAMPAIGN_MANAGERS,
              "Put a number on the internal do-not-call list (or a campaign's): it is never released for "
              "dialling again while there, from now on, on every node within a minute. Audited.",
              answers={201: Answer("Listed.", api_schemas.DNC_CHANGE)} | _refusals(400) | _NO_CAMPAIGN,
              request_schema=api_schemas.DNC_ENTRY_BODY),
    HttpRoute("POST", "/api/dnc/remove", "dnc_remove", CAMPAIGN_MANAGERS,
              "Take a number off a do-not-call list, with a reason; audited. 409 when it is not on that list.",
              answers={200: Answer("Taken off.", api_schemas.DNC_CHANGE)} | _refusals(400) | _NO_CAMPAIGN
              | _refusals(409, s409="The number is not on that list."),
              request_schema=api_schemas.DNC_ENTRY_BODY),
    HttpRoute("GET", "/api/numbers/story", "number_story", CAMPAIGN_MANAGERS,
              "A number's story (query parameter number): the lists that hold it, each lead of it with what the "
              "rules decide now, and every import, decision, dial and do-not-call change in time order.",
              answers={200: Answer("The story.", api_schemas.STORY)} | _refusals(400), query=(DIAL_NUMBER,)),
)

# Campaign managers, supervisors and admins read the campaign report.
REPORT_READERS = frozenset({SUPERVISOR, CAMPAIGN_MANAGER, ADMIN})
_PERIOD = (REPORT_START, REPORT_END)
_PERIOD_NOTE = ("The period is start to end (dates YYYY-MM-DD, both included, in the wall's time zone); "
                "without them the last seven days. ")
# Before the report pages' /reports/{report} routes, which would otherwise take /reports/campaigns/export.
CAMPAIGN_REPORT_ROUTES: tuple[HttpRoute, ...] = (
    HttpRoute("GET", "/reports/campaigns", "campaign_report_page", REPORT_READERS,
              "The campaign report: per campaign, list and agent, dials, contacts, right-party contacts, "
              "dispositions, abandon rate (US and Ofcom), talk per agent-hour, penetration, remaining leads and "
              "expected completion, with each table to download. " + _PERIOD_NOTE, kind="page",
              answers=_PAGE | {400: Answer("A date cannot be read or the period is too long.")}, query=_PERIOD),
    HttpRoute("GET", "/api/reports/campaigns", "campaign_report_data", REPORT_READERS,
              "The campaign report's three tables as JSON. " + _PERIOD_NOTE,
              answers={200: Answer("The report.", api_schemas.CAMPAIGN_REPORT)} | _refusals(400), query=_PERIOD),
    HttpRoute("GET", "/reports/campaigns/export", "campaign_report_export", REPORT_READERS,
              "One table of the campaign report (by: campaign, list or agent) as CSV (UTF-8 with BOM) or XLSX "
              "(format). " + _PERIOD_NOTE, kind="page",
              answers={200: Answer("The file.", media=("text/csv", "application/vnd.openxmlformats-officedocument."
                                                    "spreadsheetml.sheet")),
                       400: Answer("A date, table or format cannot be read.")},
              query=(*_PERIOD, REPORT_GROUPING, REPORT_FORMAT)),
)

_DIAL_ANSWERS = {202: Answer("Placed: the agent's phone rings, then the number.", api_schemas.DIAL_PLACED),
                 409: Answer("The rules forbid the call now (rule: dnc or window, ...); the message says why.",
                             api_schemas.DIAL_REFUSED)} | _refusals(502, s502="The call could not be placed.")
_NO_PREVIEW = _refusals(404, s404="The lead is no longer the agent's preview.")
AGENT_OUTBOUND_ROUTES: tuple[HttpRoute, ...] = (
    HttpRoute("GET", "/api/calls/{call_id}/campaign", "campaign_call", AGENTS_ONLY,
              "A campaign's call of the agent (its caller data carries campaign_id and lead_id): the lead's data "
              "and the campaign's dispositions with their kinds. 409 when the call is no campaign's.",
              answers={200: Answer("The campaign call.", api_schemas.CAMPAIGN_CALL)} | _refusals(404, 409)),
    HttpRoute("POST", "/api/calls/{call_id}/campaign-disposition", "campaign_disposition", AGENTS_ONLY,
              "Wrap up a campaign's call with one of the campaign's dispositions: the outbound service takes the "
              "outcome (a call-back at callback_at for the agent or anyone; do-not-call onto the internal list, "
              "naming the agent), then the ACD ends the wrap-up.",
              answers=_ACCEPTED | _refusals(400, 404, 409), request_schema=api_schemas.CAMPAIGN_DISPOSITION_BODY),
    HttpRoute("GET", "/api/agent/preview", "agent_preview", AGENTS_ONLY,
              "The lead a preview campaign holds for the agent (the same until dialled or skipped), or null.",
              answers={200: Answer("The preview.", api_schemas.PREVIEW)}),
    HttpRoute("POST", "/api/agent/preview/{lead_id}/dial", "preview_dial", AGENTS_ONLY,
              "Dial the previewed lead (its lists and calling window are checked again first).",
              answers=_DIAL_ANSWERS | _NO_PREVIEW),
    HttpRoute("POST", "/api/agent/preview/{lead_id}/skip", "preview_skip", AGENTS_ONLY,
              "Skip the previewed lead with a reason (audited); it goes back to the campaign.",
              answers={200: Answer("Skipped.", api_schemas.OK)} | _NO_PREVIEW | _refusals(400),
              request_schema=api_schemas.PREVIEW_SKIP),
    HttpRoute("POST", "/api/agent/dial", "agent_dial", CALL_HANDLERS,
              "Click-to-dial: call a number (e.g. a customer's) from the agent's phone. Refused (409, with the "
              "rule) when the number is on a do-not-call list or outside its calling window. A supervisor or "
              "admin names the agent, and with override_reason dials past a refusal; the override is audited.",
              answers=_DIAL_ANSWERS | _refusals(400), request_schema=api_schemas.DIAL_BODY),
)

ADMIN_ROUTES: tuple[HttpRoute, ...] = (
    HttpRoute("GET", "/admin", "admin_page", ADMINS, "The admin console: agents, passwords, audit trail.",
              kind="page", answers=_PAGE),
    HttpRoute("GET", "/api/admin/agents", "admin_agents", ADMINS,
              "The running ACD's agents (with whether they have a web login), queues and skills.",
              answers={200: Answer("The agents.", api_schemas.ADMIN_AGENTS)}),
    HttpRoute("POST", "/api/admin/agents", "add_agent", ADMINS,
              "Add an agent with its skills, queues and web login to the running ACD (no restart); audited.",
              answers={201: Answer("Added; ready to log in.", api_schemas.ADMIN_AGENT)} | _refusals(
                  409, s409="An agent or account with this id exists, or the ACD refused."),
              request_schema=api_schemas.NEW_AGENT),
    HttpRoute("PUT", "/api/admin/agents/{agent_id}", "update_agent", ADMINS,
              "Change a logged-out agent's name, phone, skills and queues in the running ACD; audited with the "
              "old and new values.",
              answers={200: Answer("Changed; the next login routes with it.", api_schemas.ADMIN_AGENT)} | _refusals(
                  404, 409, s404="No such agent.", s409="The agent is logged in (log it out first), or the ACD "
                  "refused."),
              request_schema=api_schemas.AGENT_CHANGE),
    HttpRoute("POST", "/api/admin/accounts/{account_id}/password", "reset_password", ADMINS,
              "Set a new password for an account; audited (without the password).",
              answers={200: Answer("Reset.", api_schemas.OK)} | _refusals(404, s404="No such account."),
              request_schema=api_schemas.PASSWORD_RESET),
    HttpRoute("GET", "/api/admin/audit", "admin_audit", ADMINS,
              "The latest setting changes, newest first: who, when, what, old and new value.",
              answers={200: Answer("The changes.", api_schemas.SETTING_CHANGES)}),
    HttpRoute("POST", "/api/me/password", "change_password", EVERYONE,
              "Change your own password; the current one is required (400 when it is wrong).",
              answers={200: Answer("Changed.", api_schemas.OK)}, request_schema=api_schemas.PASSWORD_CHANGE),
    HttpRoute("GET", "/account", "account_page", EVERYONE, "Your account: change your own password.",
              kind="page", answers=_PAGE),
    HttpRoute("GET", "/api/admin/accounts", "admin_accounts", ADMINS,
              "Every web login with its role (never a password).",
              answers={200: Answer("The accounts.", api_schemas.ADMIN_ACCOUNTS)}),
    HttpRoute("POST", "/api/admin/accounts", "add_account", ADMINS,
              "Add a supervisor, campaign manager or admin login (agents are added as agents); audited.",
              answers={201: Answer("Added; ready to log in.", api_schemas.ADMIN_ACCOUNT)} | _refusals(
                  409, s409="An agent or account with this id exists."),
              request_schema=api_schemas.NEW_USER),
    HttpRoute("PUT", "/api/admin/accounts/{account_id}", "update_account", ADMINS,
              "Change a user's name, role (supervisor, campaign manager, admin) or phone, from their next request; "
              "audited with the old and new values.",
              answers={200: Answer("Changed.", api_schemas.ADMIN_ACCOUNT)} | _refusals(
                  404, 409, s404="No such account.", s409="An agent's login (change the agent), or your own role."),
              request_schema=api_schemas.USER_CHANGE),
    HttpRoute("GET", "/api/admin/queues", "admin_queues", ADMINS,
              "The running ACD's queues as [[queues]] entries, the skills and the pause reasons.",
              answers={200: Answer("The queues.", api_schemas.ADMIN_QUEUES)}),
    HttpRoute("PUT", "/api/admin/queues/{queue}", "update_queue", ADMINS,
              "Change a queue's service level, alert thresholds, dispositions, wrap-up, escalation steps or hours "
              "in the running ACD, the desktops and the wall (no restart); kept over callcenter.toml; audited.",
              answers={200: Answer("Changed and applied.", api_schemas.ADMIN_QUEUE)} | _refusals(
                  404, s404="No such queue."),
              request_schema=api_schemas.QUEUE_CHANGE),
    HttpRoute("PUT", "/api/admin/skills", "update_skills", ADMINS,
              "Replace the list of skills (a skill an agent or queue uses cannot go); audited.",
              answers={200: Answer("Changed.", api_schemas.NAME_LIST)} | _refusals(
                  409, s409="A skill to remove is still in use."),
              request_schema=api_schemas.NAME_LIST),
    HttpRoute("PUT", "/api/admin/pause-reasons", "update_pause_reasons", ADMINS,
              "Replace the not-ready reasons people may pick, in the ACD and the pages at once; audited.",
              answers={200: Answer("Changed.", api_schemas.NAME_LIST)}, request_schema=api_schemas.NAME_LIST),
)

_NO_TICKET = _refusals(404, s404="No such ticket.")
_NO_ARTICLE = _refusals(404, s404="No such article.")
# An agent's everyday tools outside a call (issue 11, part 6) and the knowledge base its admins write.
AGENT_TOOL_ROUTES: tuple[HttpRoute, ...] = (
    HttpRoute("GET", "/api/crm/customers", "crm_customer_search", CALL_HANDLERS,
              "Search customers outside a call: an exact customer code or phone number, else every word of q in "
              "the name, company or e-mail; 20 a page (page from 0), by name. Summaries only.",
              answers={200: Answer("A page of customers; more says whether another follows.",
                                   api_schemas.CUSTOMER_PAGE)} | _refusals(400), query=(SEARCH_TEXT, PAGE_NUMBER)),
    HttpRoute("GET", "/api/crm/customers/{customer_id}", "crm_customer_card", CALL_HANDLERS,
              "A customer's card outside a call: details, the latest interactions and every ticket with its trail. "
              "Each read is audited (action viewed) with the user as actor. See the customer visibility rule.",
              answers={200: Answer("The card.", api_schemas.CRM_CARD)} | _refusals(404, s404="No such customer.")),
    HttpRoute("POST", "/api/crm/customers/{customer_id}/tickets", "ticket_create", CALL_HANDLERS,
              "Open a ticket for the customer (status open), audited with the user as actor.",
              answers={201: Answer("Opened.", api_schemas.TICKET_ANSWER)} | _refusals(400)
              | _refusals(404, s404="No such customer."), request_schema=api_schemas.NEW_TICKET),
    HttpRoute("POST", "/api/crm/tickets/{ticket_id}", "ticket_update", CALL_HANDLERS,
              "Change a ticket: subject, description, status (one of next_statuses) and a note, all or nothing; "
              "each change is audited with the user as actor.",
              answers={200: Answer("Changed.", api_schemas.TICKET_ANSWER)} | _refusals(400) | _NO_TICKET
              | _refusals(409, s409="The ticket's status does not allow this move."),
              request_schema=api_schemas.TICKET_CHANGE_BODY),
    HttpRoute("GET", "/api/agent/my-day", "agent_my_day", AGENTS_ONLY,
              "The agent's own day since local midnight: calls, AHT (on call plus wrap-up over calls, as the "
              "reports define it), seconds in each state and by not-ready reason, and the calls taken.",
              answers={200: Answer("The day.", api_schemas.MY_DAY)}),
    HttpRoute("GET", "/api/agent/auto-answer", "agent_auto_answer", AGENTS_ONLY,
              "The agent's auto-answer delay (null: the agent answers) and the delays to choose from.",
              answers={200: Answer("The choice.", api_schemas.AUTO_ANSWER)}),
    HttpRoute("PUT", "/api/agent/auto-answer", "agent_set_auto_answer", AGENTS_ONLY,
              "Choose auto-answer: the ACD rings the agent's own phone asking it to answer by itself after that "
              "many seconds (SIP Call-Info answer-after), from the next call on; null turns it off. The phone "
              "answering is the call's one answer path. Audited with the agent as actor.",
              answers={200: Answer("Chosen.", api_schemas.AUTO_ANSWER)} | _refusals(400, 409),
              request_schema=api_schemas.AUTO_ANSWER_CHOICE),
    HttpRoute("GET", "/api/knowledge", "knowledge_search", CALL_HANDLERS,
              "Search the knowledge base: articles holding every word of q (any language, Chinese included) in "
              "title, tags or body, title matches first; the latest articles for an empty q. Body excerpts only.",
              answers={200: Answer("Up to 20 articles.", api_schemas.ARTICLES)} | _refusals(400),
              query=(ARTICLE_QUERY,)),
    HttpRoute("GET", "/api/knowledge/{article_id}", "knowledge_article", CALL_HANDLERS, "A whole article.",
              answers={200: Answer("The article.", api_schemas.ARTICLE_ANSWER)} | _NO_ARTICLE),
    HttpRoute("GET", "/admin/knowledge", "knowledge_page", ADMINS, "The knowledge base editor.", kind="page",
              answers=_PAGE),
    HttpRoute("POST", "/api/admin/knowledge", "knowledge_create", ADMINS,
              "Write a new article; audited with the admin as actor.",
              answers={201: Answer("Stored.", api_schemas.ARTICLE_ANSWER)} | _refusals(400),
              request_schema=api_schemas.ARTICLE_DRAFT),
    HttpRoute("PUT", "/api/admin/knowledge/{article_id}", "knowledge_update", ADMINS,
              "Replace an article's title, body, tags and language; each changed field is audited.",
              answers={200: Answer("Changed.", api_schemas.ARTICLE_ANSWER)} | _refusals(400) | _NO_ARTICLE,
              request_schema=api_schemas.ARTICLE_DRAFT),
    HttpRoute("DELETE", "/api/admin/knowledge/{article_id}", "knowledge_delete", ADMINS,
              "Remove an article; the audit keeps its title.",
              answers={200: Answer("Removed.", api_schemas.OK)} | _NO_ARTICLE),
)

# The report pages: every report for the floor managers; campaign managers read the campaign and
# disposition reports (the outbound ones). Query parameters: the period (from/to or a quick pick), the zone,
# the interval size, the disposition report's grouping, and queue/agent/campaign filters.
REPORT_FILTERS = (REPORT_FROM, REPORT_TO, REPORT_QUICK, REPORT_ZONE, REPORT_MINUTES, REPORT_BY, REPORT_QUEUE,
                  REPORT_AGENT, REPORT_CAMPAIGN)
READERS_OF_REPORTS = FLOOR_MANAGERS | CAMPAIGN_MANAGERS
_REPORT_ANSWERS = {200: Answer("The report: columns (keys and translated labels), rows, chart and headline "
                               "figures.", api_schemas.REPORT)} | _refusals(
    400, 404, s400="A filter breaks its rule (a day not YYYY-MM-DD, an unknown zone, a period ending before it "
    "starts, an interval table over 31 days); the message says which.", s404="No such report.")
_EXPORT_ANSWERS = {200: Answer("The table as shown on the page, as a file.", media=(
    "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
    400: Answer("A filter breaks its rule, or format is not csv or xlsx (the page says which)."),
    404: Answer("No such report.")}
REPORT_ROUTES: tuple[HttpRoute, ...] = (
    HttpRoute("GET", "/reports", "reports_page", READERS_OF_REPORTS,
              "The reports: pick one, its period, zone and filters; a table, a chart and CSV/XLSX export.",
              kind="page", answers=_PAGE),
    HttpRoute("GET", "/api/reports/{report}", "report_data", FLOOR_MANAGERS,
              "A report (interval, queue, agent, disposition, ivr, campaign) from the rollups.",
              answers=_REPORT_ANSWERS, query=REPORT_FILTERS),
    HttpRoute("GET", "/reports/{report}/export", "report_export", FLOOR_MANAGERS,
              "A report's table as CSV or XLSX (query parameter format), exactly as the page shows it.",
              kind="page", answers=_EXPORT_ANSWERS, query=(*REPORT_FILTERS, EXPORT_FORMAT)),
    HttpRoute("GET", "/api/outbound-reports/{outbound_report}", "outbound_report_data", READERS_OF_REPORTS,
              "The campaign or disposition report, for campaign managers too.",
              answers=_REPORT_ANSWERS, query=REPORT_FILTERS),
    HttpRoute("GET", "/outbound-reports/{outbound_report}/export", "outbound_report_export", READERS_OF_REPORTS,
              "The campaign or disposition report's table as CSV or XLSX.",
              kind="page", answers=_EXPORT_ANSWERS, query=(*REPORT_FILTERS, EXPORT_FORMAT)),
)

HTTP_ROUTES: tuple[HttpRoute, ...] = (
    HttpRoute("GET", "/healthz", "healthz", None, "Liveness probe.", answers={200: Answer("Alive.", api_schemas.OK)}),
    HttpRoute("GET", "/static/{filename}", "static", None, "Scripts and style sheets.", kind="page",
              answers={200: Answer("The file.", media=("text/javascript", "text/css")), 404: Answer("No such file.")}),
    HttpRoute("GET", "/static/vendor/{package}/{filename}", "vendor_static", None,
              "Third-party style sheets and scripts we ship (static/vendor/<package>/, each with its licence).",
              kind="page", answers={200: Answer("The file.", media=("text/javascript", "text/css")),
                                    404: Answer("No such file.")}),
    HttpRoute("GET", "/login", "login_page", None, "Login form.", kind="page",
              answers=_PAGE | {302: Answer("Logged in already: to the start page."),
                               429: Answer("Too many requests from this address; the page says how long to wait.")}),
    HttpRoute("POST", "/login", "login", None, "Log in (form: username, password, csrf_token).", kind="page",
              answers={303: Answer("Logged in: to the start page."), 400: Answer("The form cannot be read, or a "
                       "field breaks its rule."), 401: Answer("Wrong user name or password."),
                       429: Answer("Too many failed logins or requests; the page says how long to wait.")}),
    HttpRoute("POST", "/logout", "logout", EVERYONE, "End the web session.", kind="page",
              answers={303: Answer("Logged out: to /login.")}),
    HttpRoute("GET", "/", "home", EVERYONE, "Redirect to the page of the user's role.", kind="page",
              answers={302: Answer("To the page of the user's role.")}),
    HttpRoute("GET", "/desktop", "desktop", AGENTS_ONLY, "Agent desktop page.", kind="page", answers=_PAGE),
    HttpRoute("GET", "/wall", "wall", FLOOR_MANAGERS, "Supervisor wall page.", kind="page", answers=_PAGE),
    HttpRoute("GET", "/api/docs", "api_docs", EVERYONE, "This documentation as HTML.", kind="page", answers=_PAGE),
    HttpRoute("GET", "/api/openapi.json", "openapi", EVERYONE, "The OpenAPI 3.1 document.",
              answers={200: Answer("The document.", api_schemas.OPENAPI_DOCUMENT)}),
    HttpRoute("GET", "/api/me", "me", EVERYONE, "The logged-in account and its CSRF token.",
              answers={200: Answer("The account.", api_schemas.me(ROLES))}),
    HttpRoute("POST", "/api/me/language", "choose_language", None,
              "Choose the language of the pages and of the error texts: remembered in a cookie, and for the "
              "account when logged in (otherwise the browser's Accept-Language decides, else English). Public, "
              "since the login page offers it too. A form post (the pages' switcher, with next: the page to go "
              "back to) is answered 303 to that page.",
              answers={200: Answer("The language now chosen.", api_schemas.LANGUAGE_CHOSEN),
                       303: Answer("A form post: back to the page it came from.")}
              | _refusals(400, s400="Not a language of the pages, or the form cannot be read."),
              request_schema=api_schemas.language_choice([language.tag for language in LANGUAGES],
                                                         NEXT_PATH.schema())),
    HttpRoute("GET", "/api/agent/state", "agent_state", AGENTS_ONLY, "The agent's own state and active pops.",
              answers={200: Answer("The state, as pushed in agent.state, and the pops, as in call.offered.",
                                   api_schemas.AGENT_STATE)}),
    HttpRoute("POST", "/api/agent/ready", "agent_ready", AGENTS_ONLY, "Ask the ACD to make the agent ready.",
              answers=_ACCEPTED | _refusals(409)),
    HttpRoute("POST", "/api/agent/not-ready", "agent_not_ready", AGENTS_ONLY,
              "Ask the ACD to make the agent not ready with a reason.",
              answers=_ACCEPTED | _refusals(400, 409), request_schema=api_schemas.NOT_READY),
    HttpRoute("POST", "/api/agent/logout", "agent_logout", AGENTS_ONLY, "Log the agent out of the ACD.",
              answers=_ACCEPTED | _refusals(409)),
    HttpRoute("POST", "/api/agent/wrap-up/extend", "agent_extend_wrap_up", AGENTS_ONLY,
              "Ask the ACD for more wrap-up time (30 s a time, within the queue's wrap-up limit); agent.state "
              "then carries the new end in 'until'.",
              answers=_ACCEPTED | _refusals(409)),
    HttpRoute(
        "POST",
        "/api/calls/{call_id}/disposition",
        "call_disposition",
        AGENTS_ONLY,
        "Save the wrap-up of one of the agent's own calls; the disposition must be in the queue's list. Saved "
        "during the talk it is kept and recorded when the call ends. A call the agent placed by hand takes the "
        "default dispositions; its wrap-up is kept in its history and ends the agent's pause for it.",
        answers=_ACCEPTED | _refusals(400, 404, 409),
        request_schema=api_schemas.DISPOSITION_BODY,
    ),
    HttpRoute(
        "POST",
        "/api/calls/{call_id}/transfer",
        "call_transfer",
        CALL_HANDLERS,
        "Blind-transfer a talking call to a queue or to a ready agent: the agent's part ends (wrap-up "
        "follows) and the caller, keeping customer and IVR data, waits in that queue afresh or rings that "
        "agent (waiting in the call's queue if the agent does not answer). Not during a consultation. "
        + _REACH,
        answers=_CALL_TARGET_COMMAND,
        request_schema=api_schemas.CALL_TARGET,
    ),
    HttpRoute(
        "POST",
        "/api/calls/{call_id}/hold",
        "call_hold",
        CALL_HANDLERS,
        "Put the caller of a talking call on hold (music); pushed as call.hold. " + _REACH,
        answers=_CALL_COMMAND,
    ),
    HttpRoute(
        "POST",
        "/api/calls/{call_id}/resume",
        "call_resume",
        CALL_HANDLERS,
        "Bring the caller on hold back (not during a consultation: cancel it instead). " + _REACH,
        answers=_CALL_COMMAND,
    ),
    HttpRoute(
        "POST",
        "/api/calls/{call_id}/consult",
        "call_consult",
        CALL_HANDLERS,
        "Attended transfer, first step: hold the caller and call a ready agent, or whoever a queue offers "
        "it to, about the call. The colleague's pop says it is a consultation from this agent and shows "
        "the caller's data; progress is pushed as call.consult. " + _REACH,
        answers=_CALL_TARGET_COMMAND,
        request_schema=api_schemas.CALL_TARGET,
    ),
    HttpRoute(
        "POST",
        "/api/calls/{call_id}/consult/complete",
        "call_consult_complete",
        CALL_HANDLERS,
        "Attended transfer, last step: once the colleague has answered, hand them the caller; the agent's "
        "part ends (wrap-up follows) and the colleague's pop becomes the caller's call. " + _REACH,
        answers=_CALL_COMMAND,
    ),
    HttpRoute(
        "POST",
        "/api/calls/{call_id}/consult/cancel",
        "call_consult_cancel",
        CALL_HANDLERS,
        "Call the consultation off, ringing or talking: the agent is back with the caller. " + _REACH,
        answers=_CALL_COMMAND,
    ),
    HttpRoute(
        "GET",
        "/api/transfer-targets",
        "transfer_targets",
        CALL_HANDLERS,
        "Where a call may be transferred or a consultation go: every queue, and the agents ready right "
        "now (id and name, by name), leaving out the asking agent.",
        answers={200: Answer("The targets.", api_schemas.TRANSFER_TARGETS)},
    ),
    HttpRoute(
        "GET",
        "/api/customers/{customer_id}",
        "customer_card",
        CALL_HANDLERS,
        "A customer card; an agent may read only the customer matched to one of its own active calls "
        "(404 otherwise). See the customer visibility rule.",
        answers={200: Answer("The card.", api_schemas.CUSTOMER_CARD)} | _refusals(404, s404="No such customer."),
    ),
    HttpRoute(
        "GET",
        "/api/calls/{call_id}/customer-search",
        "call_customer_search",
        CALL_HANDLERS,
        "Find customers for an active call's pop: exact customer code or phone number first, then names and "
        "companies that resemble q. An agent may search only for its own active calls (404 otherwise). "
        "Results are summaries only: no notes, history or tickets.",
        answers={200: Answer("Up to 10 customers.", api_schemas.CUSTOMERS_FOUND)} | _refusals(400, 404),
        query=(SEARCH_TEXT,),
    ),
    HttpRoute(
        "POST",
        "/api/calls/{call_id}/customer",
        "call_customer_match",
        CALL_HANDLERS,
        "Say which stored customer is on an active call; the pop then shows that card (pushed as "
        "call.customer) and CustomerMatched, naming the user, is published. An agent may match only "
        "its own calls, and then reads that customer's full card while the call is active.",
        answers={200: Answer("Matched.", api_schemas.CUSTOMER)} | _refusals(400, 404),
        request_schema=api_schemas.CUSTOMER_MATCH,
    ),
    HttpRoute(
        "POST",
        "/api/calls/{call_id}/customer/new",
        "call_customer_create",
        CALL_HANDLERS,
        "Create a customer from an active call's pop and match the call to it (audited with the user "
        "as actor). When stored customers look like it, nothing is created unless allow_duplicates is "
        "true: the answer is 409 with the look-alikes under duplicates. 400 names an invalid field.",
        answers={201: Answer("Created and matched.", api_schemas.CUSTOMER),
                 409: Answer("Held back: stored customers look like it.", api_schemas.LOOK_ALIKES)}
        | _refusals(400, 404),
        request_schema=api_schemas.NEW_CUSTOMER,
    ),
    HttpRoute("GET", "/api/wall", "wall_snapshot", FLOOR_MANAGERS, "Queue tiles and agent grid, as pushed.",
              answers={200: Answer("The wall.", api_schemas.WALL)}),
    HttpRoute("GET", "/api/stats/pops", "pop_stats", FLOOR_MANAGERS, "Offer-to-pop delivery latency figures.",
              answers={200: Answer("The figures.", api_schemas.POP_STATS)}),
    HttpRoute(
        "POST",
        "/api/agents/{agent_id}/not-ready",
        "force_not_ready",
        FLOOR_MANAGERS,
        "Force an agent to not ready.",
        answers=_FLOOR_COMMAND | _refusals(400),
        request_schema=api_schemas.NOT_READY,
    ),
    HttpRoute("POST", "/api/agents/{agent_id}/ready", "force_ready", FLOOR_MANAGERS,
              "Make a paused agent ready (refused for an agent logged out, ringing, talking or wrapping up).",
              answers=_FLOOR_COMMAND),
    HttpRoute("POST", "/api/agents/{agent_id}/logout", "force_logout", FLOOR_MANAGERS, "Force an agent out.",
              answers=_FLOOR_COMMAND),
    HttpRoute(
        "POST",
        "/api/agents/{agent_id}/spy",
        "spy_on_call",
        FLOOR_MANAGERS,
        "Listen to, whisper to or barge into the agent's call: rings the supervisor's own phone, "
        "which then joins the call (Asterisk ChanSpy). 409 when the agent is not on a call or the "
        "account has no phone.",
        answers=_FLOOR_COMMAND | _refusals(400),
        request_schema=api_schemas.SPY,
    ),
    *OUTBOUND_ROUTES,
    *ADMIN_ROUTES,
    *AGENT_TOOL_ROUTES,
    *CAMPAIGN_REPORT_ROUTES,
    *AGENT_OUTBOUND_ROUTES,
    *REPORT_ROUTES,
    HttpRoute("GET", "/ws", "ws", EVERYONE, "WebSocket: see the message catalogue.", kind="page",
              answers={101: Answer("Switched to the WebSocket protocol.")} | _refusals(
                  400, 403, 429, s400="Not a WebSocket handshake.", s403="Cross-origin WebSocket refused.",
                  s429=f"This session has {MAX_SOCKETS_PER_SESSION} sockets open already; close a page.")),
)

WS_MESSAGES: tuple[WsMessage, ...] = (
    WsMessage("ping", EVERYONE, "Keepalive; answered by pong.",
              {"id": "optional text (at most 64 characters) or number, echoed in the pong"}),
    WsMessage(
        "resync",
        EVERYONE,
        "Sent after every (re)connect: the server replays what the client missed.",
        {"last_seq": "highest seq the client has seen (0 on a fresh page)"},
    ),
    WsMessage("wall.subscribe", FLOOR_MANAGERS, "Start receiving wall.snapshot pushes."),
    WsMessage(
        "pop.ack",
        AGENTS_ONLY,
        "The page has shown the pop; the server records the offer-to-screen latency.",
        {"call_id": "the popped call"},
    ),
)

WS_EVENTS: tuple[WsEvent, ...] = (
    WsEvent("hello", "every connection", "First message: who the server thinks you are.",
            {"role": "account role", "agent_id": "agent id or null", "server_time": "epoch seconds"}),
    WsEvent("pong", "the sender of ping", "Answer to ping.",
            {"id": "the ping's id", "server_time": "epoch seconds"}),
    WsEvent("agent.state", "the agent itself", "The agent's ACD state changed (also replayed on resync).",
            {"seq": "sequence", "state": "logged_out|ready|not_ready|reserved|on_call|wrap_up",
             "reason": "not-ready reason or null", "since": "epoch seconds"}),
    WsEvent("call.offered", "the offered agent only",
            "Screen pop: the ACD is ringing this agent. Replayed whole, with the latest status, hold and "
            "consultation state, when the page missed any change to it.",
            {"seq": "sequence", "call_id": "call", "queue": "queue", "ani": "caller number",
             "tier": "tier", "intent": "intent", "ivr_data": "[[key, value], ...]",
             "customer": "customer card or null", "dispositions": "allowed wrap-up codes",
             "offered_at": "epoch seconds", "status": "as in call.update, or offered",
             "held_since": "epoch seconds the caller has been on hold since, or null",
             "consult": "the consultation this agent holds about the call (as in call.consult), or null",
             "consultation": "{call_id, agent_id, agent_name}: this call is a colleague's consultation "
                             "about their caller on call_id, not a caller; null for a caller",
             "manual": "true for a call the agent placed by hand",
             "wrap_up_until": "epoch seconds the wrap-up time of an answered call placed by hand runs out (the "
                              "agent is ready again then), or null"}),
    WsEvent("call.update", "the call's agent only",
            "The popped call moved on: connected, ended (wrap-up), withdrawn (not answered, or a "
            "consultation called off) or disposed.",
            {"seq": "sequence", "call_id": "call", "status": "connected|ended|withdrawn|disposed",
             "outcome": "what a call placed by hand came to, when it is withdrawn (busy, no_answer, ...)",
             "wrap_up_until": "when ended: as in call.offered, for a call placed by hand"}),
    WsEvent("call.hold", "the call's agent only", "The caller was put on hold or is back.",
            {"seq": "sequence", "call_id": "call", "held_since": "epoch seconds, or null when back",
             "held_seconds": "how long the hold lasted (when back), else null"}),
    WsEvent("call.consult", "the consulting agent only",
            "The agent's consultation about the call started, rang a colleague, was answered, or ended.",
            {"seq": "sequence", "call_id": "the caller's call",
             "consult": "{consult_id, target_agent, target_queue, target_name, colleague, colleague_name, "
                        "state: ringing|talking, since}, or null once over",
             "outcome": "completed|cancelled|failed when it ended, else null"}),
    WsEvent("call.consultation", "the consulted colleague only",
            "The consultation on this pop was completed: it is now the caller's call, wrapped up as usual.",
            {"seq": "sequence", "call_id": "the consultation's call", "consultation": "null",
             "outcome": "completed"}),
    WsEvent("call.customer", "the call's agent only",
            "The pop's customer was matched or created from the pop: show this card instead.",
            {"seq": "sequence", "call_id": "call", "customer_code": "code", "tier": "tier",
             "customer": "customer card", "created": "true when created from the pop"}),
    WsEvent("resync.done", "the sender of resync", "Replay finished; drop pops not listed.",
            {"seq": "current sequence", "active_calls": "call ids still active for this agent"}),
    WsEvent("wall.snapshot", "subscribed supervisors and admins",
            "Coalesced wall figures, pushed at least once a second.",
            {"at": "epoch seconds", "queues": "queue tiles", "agents": "agent grid",
             "campaigns": "running campaigns' tiles (dial level, pacing: predictive|learning|at_limit or null, "
                          "abandon rates, answer rate, talk, penetration)"}),
    WsEvent("error", "the sender of a refused or bad message", "A message was refused.",
            {"code": "forbidden|bad_request|unknown_type", "request_type": "the refused type",
             "message": "human-readable reason"}),
)

ROUTES_BY_KEY: dict[tuple[str, str], HttpRoute] = {(r.method, r.path): r for r in HTTP_ROUTES}
WS_MESSAGES_BY_TYPE: dict[str, WsMessage] = {m.type: m for m in WS_MESSAGES}


def route_for(method: str, path: str) -> HttpRoute | None:
    """The table entry for a matched route (HEAD is governed by the GET entry)."""
    return ROUTES_BY_KEY.get(("GET" if method == "HEAD" else method, path))
