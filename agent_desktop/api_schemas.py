"""The JSON bodies of the desktop's API as JSON Schema: what requests carry (with the limits of
:mod:`agent_desktop.text_input`) and what answers hold. The route table (:mod:`agent_desktop.catalogue`)
names them per route and status; the OpenAPI document is built from it.

``PAUSE_REASON_REF`` points at a component the OpenAPI document fills from the configuration, since the
reasons an agent may pick are configured per call center.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent_desktop.admin_fields import (
    AGENT_NAME,
    CHANGED_PASSWORD,
    DIAL_STRING,
    NEW_AGENT_ID,
    NEW_PASSWORD,
    OLD_PASSWORD,
    SKILL_OR_QUEUE,
)
from agent_desktop.text_input import (
    ARTICLE_BODY,
    ARTICLE_LANGUAGE,
    ARTICLE_TAGS,
    ARTICLE_TITLE,
    COMPANY,
    CUSTOMER_ID,
    CUSTOMER_NAME,
    DISPOSITION,
    EMAIL,
    NOTES,
    PHONE,
    QUEUE,
    TARGET_AGENT,
    TICKET_DESCRIPTION,
    TICKET_NOTE,
    TICKET_STATUS,
    TICKET_SUBJECT,
)
from outbound.campaigns import SOUND_NAME
from outbound.pacing import AT_LIMIT, LEARNING, PREDICTING

JsonSchema = Mapping[str, Any]

PAUSE_REASON_COMPONENT = "PauseReason"
PAUSE_REASON_REF = {"$ref": f"#/components/schemas/{PAUSE_REASON_COMPONENT}"}


def _object(required: tuple[str, ...] = (), **properties: JsonSchema) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = list(required)
    return schema


def _array(items: JsonSchema) -> dict[str, Any]:
    return {"type": "array", "items": dict(items)}


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


_TEXT = {"type": "string"}
_NUMBER = {"type": "number"}
_INTEGER = {"type": "integer"}
_BOOLEAN = {"type": "boolean"}

ERROR = _object(("error",), error=_TEXT)
OK = _object(("ok",), ok=_BOOLEAN)

# --- requests ----------------------------------------------------------------------------------------
NOT_READY = _object(("reason",), reason=PAUSE_REASON_REF)
DISPOSITION_BODY = _object(("disposition",), disposition=DISPOSITION.schema(), notes=NOTES.schema())
# Where a transfer or consultation goes: exactly one of a queue or an agent (see GET /api/transfer-targets).
CALL_TARGET = {
    **_object(queue=QUEUE.schema(), agent={**TARGET_AGENT.schema(), "description": "an agent id"}),
    "oneOf": [{"required": ["queue"]}, {"required": ["agent"]}],
}
CUSTOMER_MATCH = _object(("customer_id",), customer_id=CUSTOMER_ID.schema())
NEW_CUSTOMER = _object(("name",), name=CUSTOMER_NAME.schema(), company=COMPANY.schema(), phone=PHONE.schema(),
                       email=EMAIL.schema(), allow_duplicates=_BOOLEAN)
SPY = _object(("mode",), mode={"type": "string", "enum": ["listen", "whisper", "barge"]})

# --- answers -----------------------------------------------------------------------------------------


def me(roles: tuple[str, ...]) -> dict[str, Any]:
    """The answer of ``/api/me``."""
    return _object(("id", "name", "role", "agent_id", "csrf_token", "language"), id=_TEXT, name=_TEXT,
                   role={"type": "string", "enum": list(roles)}, agent_id=_nullable("string"), csrf_token=_TEXT,
                   language={"type": "string", "description": "the pages' language (BCP 47), as chosen"})


def language_choice(tags: list[str], next_path: dict[str, Any]) -> dict[str, Any]:
    """The body of ``POST /api/me/language``."""
    return _object(("language",), language={"type": "string", "enum": tags},
                   next={**next_path, "description": "form posts: a path of this site"})


LANGUAGE_CHOSEN = _object(("language",), language=_TEXT)


AGENT_STATE_MESSAGE = _object(("type", "agent_id", "state", "reason", "since"), type={"const": "agent.state"},
                              agent_id=_TEXT, state=_TEXT, reason=_nullable("string"), since=_nullable("number"),
                              call_id=_nullable("string"), until=_nullable("number"), seq=_INTEGER)
POP_MESSAGE = _object(("type", "call_id", "queue", "status"), type={"const": "call.offered"}, call_id=_TEXT,
                      queue=_TEXT, status=_TEXT, seq=_INTEGER, dispositions=_array(_TEXT))
AGENT_STATE = _object(("state", "pops"), state=AGENT_STATE_MESSAGE, pops=_array(POP_MESSAGE))
TRANSFER_TARGETS = _object(("queues", "agents"), queues=_array(_TEXT),
                           agents=_array(_object(("agent_id", "name"), agent_id=_TEXT, name=_TEXT)))
CUSTOMER_SUMMARY = _object(("customer_id", "code", "name", "company", "phones", "email"), customer_id=_TEXT,
                           code=_TEXT, name=_TEXT, company=_TEXT, phones=_array(_TEXT), email=_TEXT)
CUSTOMER_CARD = _object(
    ("customer_id", "code", "name", "company", "tier", "phones", "email", "language", "notes", "custom_fields",
     "last_interactions", "open_tickets"),
    customer_id=_TEXT, code=_TEXT, name=_TEXT, company=_TEXT, tier=_nullable("string"), phones=_array(_TEXT),
    email=_TEXT, language=_TEXT, notes=_TEXT,
    custom_fields=_array({"type": "array", "items": _TEXT, "minItems": 2, "maxItems": 2}),
    last_interactions=_array(_object(
        ("at", "direction"), at=_NUMBER, direction=_TEXT, queue=_nullable("string"), agent_id=_nullable("string"),
        outcome=_nullable("string"), disposition=_nullable("string"), notes=_TEXT)),
    open_tickets=_array(_object(("ticket_id", "subject", "status", "opened_at"), ticket_id=_TEXT, subject=_TEXT,
                                status=_TEXT, opened_at=_NUMBER)),
)
CUSTOMERS_FOUND = _object(("customers",), customers=_array(CUSTOMER_SUMMARY))
CUSTOMER = _object(("customer",), customer=CUSTOMER_SUMMARY)
LOOK_ALIKES = _object(("error", "duplicates"), error=_TEXT,
                      duplicates=_array(_object(("customer", "reason"), customer=CUSTOMER_SUMMARY, reason=_TEXT)))
_FIGURES = _object(("answered", "answered_in_sl", "abandoned", "service_level", "asa", "abandon_rate"),
                   answered=_INTEGER, answered_in_sl=_INTEGER, abandoned=_INTEGER,
                   service_level=_nullable("number"), asa=_nullable("number"), abandon_rate=_nullable("number"))
_TRAFFIC = _object(("calls_per_hour", "handle_seconds", "patience_seconds"), calls_per_hour=_NUMBER,
                   handle_seconds=_NUMBER, patience_seconds=_nullable("number"))
_ADVICE = _object(("traffic", "erlang_c_agents", "erlang_a_agents"), traffic=_TRAFFIC, erlang_c_agents=_INTEGER,
                  erlang_a_agents=_nullable("integer"))
# Per queue, pushed with the wall (reports.staffing): traffic of the last window and a week ago, advice.
STAFFING = _array(_object(
    ("queue", "now", "week_ago", "advice_now", "advice_next_hour", "logged_in", "with_logged_in"), queue=_TEXT,
    now=_TRAFFIC, week_ago=_TRAFFIC, advice_now=_ADVICE, advice_next_hour=_ADVICE, logged_in=_INTEGER,
    with_logged_in={"type": ["object", "null"], "properties": {
        "agents": _INTEGER, "service_level": _NUMBER, "asa": _nullable("number"),
        "service_level_a": _nullable("number"), "abandon_rate_a": _nullable("number")}},
    window_seconds=_NUMBER, sl_target=_NUMBER, sl_seconds=_NUMBER))
WALL = _object(
    ("at", "queues", "agents"), at=_NUMBER, day=_TEXT, time_zone=_nullable("string"), utc_offset=_NUMBER,
    staffing=STAFFING,
    queues=_array(_object(("queue", "waiting", "callbacks", "longest_wait", "today", "last_30_min"), queue=_TEXT,
                          waiting=_INTEGER, callbacks=_INTEGER, longest_wait=_NUMBER, today=_FIGURES,
                          last_30_min=_FIGURES, agents={"type": "object", "additionalProperties": _INTEGER},
                          colours={"type": "object", "additionalProperties": _TEXT},
                          trends={"type": "object", "additionalProperties": _array(_nullable("number"))},
                          alerts=_array({"type": "string", "enum": ["longest_wait", "service_level"]}),
                          thresholds={"type": "object", "additionalProperties": _nullable("number")})),
    agents=_array(_object(("agent_id", "name", "state", "reason", "since", "time_in_state", "call_id", "queue"),
                          agent_id=_TEXT, name=_TEXT, state=_TEXT, reason=_nullable("string"), since=_NUMBER,
                          time_in_state=_NUMBER, call_id=_nullable("string"), queue=_nullable("string"),
                          held_since=_nullable("number"), answered_today=_INTEGER,
                          aht_today=_nullable("number"))),
)
_LATENCY = _object(("count", "p50_ms", "p99_ms", "max_ms"), count=_INTEGER, p50_ms=_nullable("number"),
                   p99_ms=_nullable("number"), max_ms=_nullable("number"))
POP_STATS = _object(("connections", "offer_to_send", "offer_to_ack"), connections=_INTEGER,
                    offer_to_send=_LATENCY, offer_to_ack=_LATENCY)
OPENAPI_DOCUMENT = _object(("openapi", "info", "paths"), openapi=_TEXT, info={"type": "object"},
                           paths={"type": "object"})

# --- outbound ------------------------------------------------------------------------------------------
_HOURS = _array(_object(("days", "open", "close"), days={"type": "string", "maxLength": 40},
                        open={"type": "string", "maxLength": 5}, close={"type": "string", "maxLength": 5}))
_WINDOW = _object(hours=_HOURS, on_holidays=_BOOLEAN)
#: A sound name, or empty.
_SOUND = {"type": "string", "maxLength": 64, "pattern": f"^({SOUND_NAME.pattern})?$"}
_RETRY = _object(retry=_BOOLEAN, delay={"type": "number", "minimum": 0})
CAMPAIGN_SETTINGS = _object(
    ("name", "caller_id", "queue"),
    name={"type": "string", "minLength": 1, "maxLength": 100},
    mode={"type": "string", "enum": ["preview", "progressive", "predictive"]},
    caller_id={"type": "string", "minLength": 1, "maxLength": 40, "description": "E.164, e.g. +12125550100"},
    queue={"type": "string", "minLength": 1, "maxLength": 64},
    skills=_array({"type": "string", "minLength": 1, "maxLength": 64}),
    default_region={"type": "string", "minLength": 2, "maxLength": 2, "description": "of national numbers"},
    calling_hours={**_WINDOW, "properties": {**_WINDOW["properties"],
                                             "overrides": {"type": "object", "additionalProperties": _WINDOW}}},
    retry=_object(busy=_RETRY, no_answer=_RETRY, machine=_RETRY, abandoned=_RETRY, failed=_RETRY,
                  invalid=_RETRY),
    max_attempts={"type": "integer", "minimum": 1, "maximum": 100},
    max_attempts_per_day={"type": "integer", "minimum": 1, "maximum": 50},
    other_campaign_gap={"type": "number", "minimum": 0},
    dispositions=_array(_object(("name", "kind"), name={"type": "string", "minLength": 1, "maxLength": 64},
                                kind={"type": "string", "enum": ["final", "retry", "callback", "do_not_call"]})),
    abandon_target={"type": "number", "minimum": 0, "maximum": 0.5},
    abandon_formula={"type": "string", "enum": ["us", "ofcom"],
                     "description": "the rule predictive pacing keeps: US 30 days, or Ofcom 24 h AMD-adjusted"},
    amd_false_positive={"type": "number", "minimum": 0, "maximum": 0.5,
                        "description": "share of AMD's machines that were people (Ofcom's estimate)"},
    machine_rule={"type": "string", "enum": ["hangup", "message", "agent"]},
    machine_message={**_SOUND, "description": "the campaign's recording for machines (empty: the dialer's)"},
    abandon_message={**_SOUND, "description": "the campaign's recording for a person no agent was free for "
                                              "(empty: the dialer's)"},
    preview_dial_seconds={"oneOf": [{"type": "null"}, {"type": "integer", "minimum": 5, "maximum": 600}],
                          "description": "preview: the lead is dialled by itself after this long (null: never)"},
)
CAMPAIGN_STATUS = _object(("status",), status={"type": "string",
                                              "enum": ["draft", "running", "paused", "stopped", "finished"]})
_COUNTS = {"type": "object", "additionalProperties": _INTEGER}
PROGRESS = _object(
    ("at", "total", "dialable_now", "later_today", "later", "never", "never_by_reason", "penetration"),
    at=_NUMBER, total=_INTEGER, dialable_now=_INTEGER, later_today=_INTEGER, later=_INTEGER, never=_INTEGER,
    never_by_reason=_COUNTS, waiting_by_reason=_COUNTS, dialled=_INTEGER, dials_last_hour=_INTEGER,
    penetration=_NUMBER, expected_completion=_nullable("number"))
CAMPAIGN = {**CAMPAIGN_SETTINGS, "required": ["id", "name", "status", "rules_version", "progress"],
            "properties": {**CAMPAIGN_SETTINGS["properties"], "id": _INTEGER, "status": _TEXT,
                           "rules_version": _INTEGER, "created_by": _TEXT, "created_at": _NUMBER,
                           "updated_at": _NUMBER, "progress": PROGRESS}}
CAMPAIGNS = _object(("campaigns",), campaigns=_array(CAMPAIGN))
CAMPAIGN_HISTORY = _object(("changes",), changes=_array(_object(
    ("at", "actor", "action"), at=_NUMBER, actor=_TEXT, action=_TEXT, field=_nullable("string"),
    old=_nullable("string"), new=_nullable("string"))))
LIST_UPLOAD = _object(
    ("file",), file={"type": "string", "format": "binary", "maxLength": 512 * 1024 * 1024,
                     "description": "CSV or XLSX"},
    encoding={"type": "string", "enum": ["", "utf-8", "gb18030", "cp1252"]},
    phone_column={"type": "string", "maxLength": 200}, name_column={"type": "string", "maxLength": 200})
IMPORT_JOB = _object(
    ("id", "campaign_id", "file_name", "status", "progress", "rows_read", "added", "rejected"),
    id=_INTEGER, campaign_id=_INTEGER, file_name=_TEXT,
    status={"type": "string", "enum": ["queued", "running", "done", "failed"]}, progress=_NUMBER,
    encoding=_nullable("string"), columns={"type": "object"}, rows_read=_INTEGER, added=_INTEGER,
    duplicate_in_file=_INTEGER, duplicate_in_campaign=_INTEGER, rejected=_INTEGER, on_dnc=_INTEGER,
    linked_customers=_INTEGER, error=_nullable("string"), created_by=_TEXT, created_at=_NUMBER,
    started_at=_nullable("number"), finished_at=_nullable("number"))
IMPORT_JOBS = _object(("jobs",), jobs=_array(IMPORT_JOB))
DNC_ENTRY_BODY = _object(("number", "reason"), number={"type": "string", "minLength": 1, "maxLength": 40},
                         reason={"type": "string", "minLength": 1, "maxLength": 500},
                         campaign_id={"type": ["integer", "null"], "description": "a campaign's own list; "
                                                                                  "none: the internal list"})
DNC_CHANGE = _object(("id", "action", "e164", "at", "actor", "reason"), id=_INTEGER, campaign_id=_nullable("integer"),
                     action={"type": "string", "enum": ["add", "remove"]}, e164=_TEXT, at=_NUMBER, actor=_TEXT,
                     role=_nullable("string"), reason=_TEXT)
_LISTING = _object(("e164", "added_at", "added_by", "reason"), campaign_id=_nullable("integer"), e164=_TEXT,
                   added_at=_NUMBER, added_by=_TEXT, reason=_TEXT)
DNC_LISTS = _object(
    ("total", "entries", "changes", "registry"), total=_INTEGER, entries=_array(_LISTING),
    changes=_array(DNC_CHANGE),
    registry={"type": ["object", "null"], "properties": {"source_name": _TEXT, "numbers": _INTEGER,
                                                          "imported_at": _NUMBER, "imported_by": _TEXT}})
STORY = _object(
    ("e164", "at", "on_registry", "listings", "verdicts", "lines"), e164=_TEXT, at=_NUMBER, on_registry=_BOOLEAN,
    listings=_array(_LISTING),
    verdicts=_array(_object(("lead_id", "campaign_id", "campaign_name", "rule", "reason", "text"),
                            lead_id=_INTEGER, campaign_id=_INTEGER, campaign_name=_TEXT, campaign_status=_TEXT,
                            will_be_dialled=_BOOLEAN, released=_BOOLEAN, rule=_TEXT, reason=_TEXT,
                            next_at=_nullable("number"), rules_version=_TEXT, text=_TEXT)),
    lines=_array(_object(("at", "kind", "text"), at=_NUMBER, kind=_TEXT, text=_TEXT,
                         campaign_id=_nullable("integer"), lead_id=_nullable("integer"), rule=_nullable("string"))))

# The admin console.
_LEVELS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 10}}
_NAMES = _array(SKILL_OR_QUEUE.schema())
ADMIN_AGENT = _object(("id", "name", "phone", "skills", "queues"), id=_TEXT, name=_TEXT, phone=_TEXT,
                      skills=_LEVELS, queues=_array(_TEXT))
NEW_AGENT = _object(("id", "name", "phone", "password", "queues"), id=NEW_AGENT_ID.schema(), name=AGENT_NAME.schema(),
                    phone={**DIAL_STRING.schema(), "description": "dial string, e.g. PJSIP/1001"},
                    password=NEW_PASSWORD.schema(), skills=_LEVELS, queues=_NAMES)
ADMIN_AGENTS = _object(("agents", "queues", "skills"), agents=_array({**ADMIN_AGENT, "properties": {
    **ADMIN_AGENT["properties"], "login": _BOOLEAN}}), queues=_array(_TEXT), skills=_array(_TEXT))
AGENT_CHANGE = _object(("name", "phone", "queues"), name=AGENT_NAME.schema(), phone=DIAL_STRING.schema(),
                       skills=_LEVELS, queues=_NAMES)
PASSWORD_RESET = _object(("password",), password=NEW_PASSWORD.schema())
PASSWORD_CHANGE = _object(("old_password", "new_password"), old_password=OLD_PASSWORD.schema(),
                          new_password=CHANGED_PASSWORD.schema())
_NULLABLE_TEXT = {"type": ["string", "null"]}
SETTING_CHANGES = _object(("changes",), changes=_array(_object(
    ("at", "actor", "entity_type", "entity_key", "action", "field", "old_value", "new_value"),
    at={"type": "number"}, actor=_TEXT, entity_type=_TEXT, entity_key=_TEXT, action=_TEXT,
    field=_NULLABLE_TEXT, old_value=_NULLABLE_TEXT, new_value=_NULLABLE_TEXT)))

# An agent's tools outside a call: customer search pages, the card, tickets, the agent's day, the knowledge base.
CUSTOMER_PAGE = _object(("customers", "page", "more"), customers=_array(CUSTOMER_SUMMARY), page=_INTEGER,
                        more=_BOOLEAN)
_TRAIL_STEP = _object(("at", "actor", "action"), at=_NUMBER, actor=_TEXT, action=_TEXT, field=_NULLABLE_TEXT,
                      old={}, new={})
TICKET = _object(("ticket_id", "subject", "status", "priority", "next_statuses", "trail"), ticket_id=_TEXT,
                 subject=_TEXT, description=_TEXT, status=_TEXT, priority=_TEXT, created_at=_NUMBER,
                 updated_at=_NUMBER, next_statuses=_array(_TEXT), trail=_array(_TRAIL_STEP))
TICKET_ANSWER = _object(("ticket",), ticket=TICKET)
CRM_CARD = {**CUSTOMER_SUMMARY, "required": [*CUSTOMER_SUMMARY["required"], "interactions", "tickets"],
            "properties": {**CUSTOMER_SUMMARY["properties"], "tier": _TEXT, "language": _TEXT, "notes": _TEXT,
                           "interactions": _array(_object(("at", "direction"), at=_NUMBER, direction=_TEXT)),
                           "tickets": _array(TICKET), "priorities": _array(_TEXT)}}
NEW_TICKET = _object(("subject",), subject=TICKET_SUBJECT.schema(), description=TICKET_DESCRIPTION.schema(),
                     priority={"type": "string", "enum": ["low", "normal", "high", "urgent"]})
TICKET_CHANGE_BODY = _object(subject=TICKET_SUBJECT.schema(), description=TICKET_DESCRIPTION.schema(),
                             status=TICKET_STATUS.schema(), note=TICKET_NOTE.schema())
MY_DAY = _object(("since", "at", "calls", "aht", "seconds_by_state", "history"), since=_NUMBER, at=_NUMBER,
                 calls=_INTEGER, aht=_nullable("number"), manual_calls=_INTEGER, manual_answered=_INTEGER,
                 seconds_by_state={"type": "object"},
                 not_ready_by_reason={"type": "object"},
                 history=_array(_object(("call_id", "at"), call_id=_TEXT, at=_NUMBER)))
ARTICLE = _object(("article_id", "title", "body", "tags", "language"), article_id=_TEXT, title=_TEXT, body=_TEXT,
                  tags=_TEXT, language=_TEXT, updated_at=_NUMBER, updated_by=_TEXT)
ARTICLE_ANSWER = _object(("article",), article=ARTICLE)
ARTICLES = _object(("articles",), articles=_array(ARTICLE))
ARTICLE_DRAFT = _object(("title",), title=ARTICLE_TITLE.schema(), body=ARTICLE_BODY.schema(),
                        tags=ARTICLE_TAGS.schema(), language=ARTICLE_LANGUAGE.schema())
AUTO_ANSWER = _object(("seconds", "choices"), seconds=_nullable("integer"), choices=_array(_INTEGER))
AUTO_ANSWER_CHOICE = _object(("seconds",), seconds={"type": ["integer", "null"], "enum": [0, 2, 5, 10, None]})
# The admin console, second pass: users, queues, skills and pause reasons.
_ROLE = {"type": "string", "enum": ["supervisor", "campaign_manager", "admin"]}
ADMIN_ACCOUNT = _object(("id", "name", "role"), id=_TEXT, name=_TEXT, role=_TEXT, agent_id=_NULLABLE_TEXT,
                        phone=_NULLABLE_TEXT)
ADMIN_ACCOUNTS = _object(("accounts",), accounts=_array(ADMIN_ACCOUNT))
NEW_USER = _object(("id", "name", "role", "password"), id=NEW_AGENT_ID.schema(), name=AGENT_NAME.schema(),
                   role=_ROLE, phone={**DIAL_STRING.schema(), "description": "where listen/whisper/barge rings"},
                   password=NEW_PASSWORD.schema())
USER_CHANGE = _object(("name", "role"), name=AGENT_NAME.schema(), role=_ROLE, phone=DIAL_STRING.schema())
_CODES = _array({"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$", "maxLength": 64})
_SHORT = {"type": "string", "minLength": 1, "maxLength": 64}
_SECONDS = {"type": "number", "minimum": 0}
_SERVICE_LEVEL = _object(("percent", "seconds"), percent={"type": "number", "minimum": 0, "maximum": 100},
                         seconds={"type": "number", "minimum": 1})
_ALERTS = _object((), longest_wait={"type": ["number", "null"], "minimum": 1},
                  service_level={"type": ["number", "null"], "minimum": 0, "maximum": 100})
_HOURS = _array(_object(("days", "open", "close"), days={**_SHORT, "description": "e.g. mon-fri or sat,sun"},
                        open={**_SHORT, "description": "HH:MM"}, close={**_SHORT, "description": "HH:MM"}))
_ESCALATION = _array(_object(("after",), after=_SECONDS, drop=_array(_SHORT), lower=_LEVELS, overflow=_array(_SHORT)))
QUEUE_CHANGE = _object((), service_level=_SERVICE_LEVEL, max_length={"type": ["integer", "null"], "minimum": 1},
                       wrap_up_seconds=_SECONDS, wrap_up_limit_seconds=_SECONDS, dispositions=_CODES,
                       escalation=_ESCALATION, timezone={**_SHORT, "description": "IANA name, e.g. Europe/Berlin"},
                       hours=_HOURS, alerts=_ALERTS)
ADMIN_QUEUE = {**QUEUE_CHANGE, "required": ["name", "service_level", "dispositions", "escalation", "hours"],
               "properties": {**QUEUE_CHANGE["properties"], "name": _TEXT, "skills": _LEVELS,
                              "expected_handle_seconds": _SECONDS}}
ADMIN_QUEUES = _object(("queues", "skills", "pause_reasons"), queues=_array(ADMIN_QUEUE), skills=_array(_TEXT),
                       pause_reasons=_array(_TEXT))
NAME_LIST = _object(("names",), names=_CODES)
# The campaign report: each table's rows as reports.campaign_kpis.GroupFigures.row() gives them.
_REPORT_ROW = {"type": "object", "required": ["key", "dials", "contacts", "right_party_contacts"],
               "additionalProperties": {"type": ["number", "null"]},
               "properties": {"key": _TEXT, "dials": _INTEGER, "contacts": _INTEGER, "right_party_contacts": _INTEGER,
                              "abandon_rate_us": _NUMBER, "abandon_rate_ofcom": _NUMBER,
                              "talk_min_per_agent_hour": _nullable("number"), "penetration": _nullable("number"),
                              "remaining_leads": _nullable("integer"), "expected_completion": _nullable("number")}}
CAMPAIGN_REPORT = _object(("start", "end", "tables"), start=_NUMBER, end=_NUMBER, tables=_object(
    ("campaign", "list", "agent"), campaign=_array(_REPORT_ROW), list=_array(_REPORT_ROW), agent=_array(_REPORT_ROW)))
CAMPAIGN_TILE = _object(
    ("campaign_id", "name", "abandon_rate_us", "abandon_rate_ofcom", "penetration", "colour"),
    campaign_id=_INTEGER, name=_TEXT, mode=_TEXT, dial_level=_nullable("number"), abandon_rate_us=_NUMBER,
    abandon_rate_ofcom=_NUMBER, abandon_target=_NUMBER, abandon_formula=_TEXT, answer_rate=_nullable("number"),
    talk_min_per_agent_hour=_nullable("number"), penetration=_NUMBER, colour={"enum": ["ok", "warn", "alert"]},
    pacing={"type": ["string", "null"], "enum": [PREDICTING, LEARNING, AT_LIMIT, None],
            "description": "how a predictive campaign paces now (null: another mode, or the dialer has not said)"})
CAMPAIGN_WITH_TILE = {**CAMPAIGN, "properties": {**CAMPAIGN["properties"], "live": {
    "oneOf": [CAMPAIGN_TILE, {"type": "null"}], "description": "the running campaign's live figures"}}}
# An agent's outbound dialling.
_PAIRS = _array({"type": "array", "items": _TEXT, "minItems": 2, "maxItems": 2})
CAMPAIGN_CALL = _object(
    ("campaign_id", "campaign_name", "dispositions", "lead"), campaign_id=_INTEGER, campaign_name=_TEXT, mode=_TEXT,
    dispositions=_array(_object(("name", "kind"), name=_TEXT, kind={"enum": ["final", "retry", "callback",
                                                                            "do_not_call"]})),
    lead=_object(("lead_id", "name", "number"), lead_id=_INTEGER, name=_TEXT, number=_TEXT, fields=_PAIRS,
                 attempts=_INTEGER, last_outcome=_nullable("string"), customer_id=_nullable("string")))
CAMPAIGN_DISPOSITION_BODY = _object(
    ("disposition",), disposition=DISPOSITION.schema(), notes=NOTES.schema(),
    callback_at={"type": "number", "description": "a call-back disposition's time (epoch seconds)"},
    callback_to={"enum": ["me", "anyone"], "description": "whom the call-back is kept for (default anyone)"})
PREVIEW = _object(("lead",), lead={"oneOf": [{"type": "null"}, _object(
    ("campaign_id", "campaign_name", "lead_id", "name", "number"), campaign_id=_INTEGER, campaign_name=_TEXT,
    lead_id=_INTEGER, name=_TEXT, number=_TEXT, fields=_PAIRS, customer_id=_nullable("string"), attempts=_INTEGER,
    auto_dial_seconds=_nullable("integer"))]}, customer={"oneOf": [{"type": "null"}, CUSTOMER_CARD]})
PREVIEW_SKIP = _object(("reason",), reason={"type": "string", "minLength": 1, "maxLength": 200})
DIAL_BODY = _object(
    ("number",), number={"type": "string", "minLength": 1, "maxLength": 40}, customer_id=CUSTOMER_ID.schema(),
    agent={"type": "string", "minLength": 1, "maxLength": 64, "description": "supervisors and admins: for whom"},
    override_reason={"type": "string", "maxLength": 500,
                     "description": "supervisors and admins: dial past a refusal, with this reason (audited)"})
DIAL_PLACED = _object(("e164", "reference"), e164=_TEXT, reference=_TEXT, overridden=_nullable("string"))
DIAL_REFUSED = _object(("error", "rule"), error=_TEXT, rule={"enum": ["dnc", "window", "number", "preview", "attempts",
                                                                        "callback", "retry", "attempts_per_day",
                                                                        "other_campaign"]},
                       next_at=_nullable("number"))
# The report pages' data (agent_desktop.report_routes): a table of plain cells, its chart and headline figures.
_CELL = {"type": ["string", "number", "null"]}
REPORT = _object(
    ("report", "columns", "labels", "rows", "chart", "summary", "period"), report=_TEXT, columns=_array(_TEXT),
    labels=_array(_TEXT), rows=_array(_array(_CELL)),
    chart=_object(("kind", "labels", "series", "unit", "stacked", "horizontal"), kind=_TEXT, labels=_TEXT,
                  series=_array(_TEXT), pivot=_nullable("string"), value=_nullable("string"), unit=_TEXT,
                  stacked={"type": "boolean"}, horizontal={"type": "boolean"}),
    summary={"type": "object", "additionalProperties": _nullable("number")},
    period=_object(("from", "to", "tz", "start", "end"), **{"from": _TEXT}, to=_TEXT, tz=_TEXT, start=_NUMBER,
                   end=_NUMBER))
