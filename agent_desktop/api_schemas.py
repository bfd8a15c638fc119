"""The JSON bodies of the desktop's API as JSON Schema: what requests carry (with the limits of
:mod:`agent_desktop.text_input`) and what answers hold. The route table (:mod:`agent_desktop.catalogue`)
names them per route and status; the OpenAPI document is built from it.

``PAUSE_REASON_REF`` points at a component the OpenAPI document fills from the configuration, since the
reasons an agent may pick are configured per call center.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent_desktop.text_input import (
    COMPANY,
    CUSTOMER_ID,
    CUSTOMER_NAME,
    DISPOSITION,
    EMAIL,
    NOTES,
    PHONE,
    QUEUE,
    TARGET_AGENT,
)

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
                              call_id=_nullable("string"), seq=_INTEGER)
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
WALL = _object(
    ("at", "queues", "agents"), at=_NUMBER, day=_TEXT, time_zone=_nullable("string"), utc_offset=_NUMBER,
    queues=_array(_object(("queue", "waiting", "callbacks", "longest_wait", "today", "last_30_min"), queue=_TEXT,
                          waiting=_INTEGER, callbacks=_INTEGER, longest_wait=_NUMBER, today=_FIGURES,
                          last_30_min=_FIGURES, agents={"type": "object", "additionalProperties": _INTEGER},
                          colours={"type": "object", "additionalProperties": _TEXT},
                          trends={"type": "object", "additionalProperties": _array(_nullable("number"))})),
    agents=_array(_object(("agent_id", "name", "state", "reason", "since", "time_in_state", "call_id", "queue"),
                          agent_id=_TEXT, name=_TEXT, state=_TEXT, reason=_nullable("string"), since=_NUMBER,
                          time_in_state=_NUMBER, call_id=_nullable("string"), queue=_nullable("string"),
                          held_since=_nullable("number"))),
)
_LATENCY = _object(("count", "p50_ms", "p99_ms", "max_ms"), count=_INTEGER, p50_ms=_nullable("number"),
                   p99_ms=_nullable("number"), max_ms=_nullable("number"))
POP_STATS = _object(("connections", "offer_to_send", "offer_to_ack"), connections=_INTEGER,
                    offer_to_send=_LATENCY, offer_to_ack=_LATENCY)
OPENAPI_DOCUMENT = _object(("openapi", "info", "paths"), openapi=_TEXT, info={"type": "object"},
                           paths={"type": "object"})
