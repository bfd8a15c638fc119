"""The OpenAPI 3.1 document, generated from the route table so it can never drift from what is enforced:
every status a route answers with (:meth:`catalogue.HttpRoute.all_answers`) with its body's schema, the
path and query parameters with their limits, and the configured pause reasons."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agent_desktop.api_schemas import PAUSE_REASON_COMPONENT
from agent_desktop.catalogue import CUSTOMER_VISIBILITY, HTTP_ROUTES, PATH_PARAMETERS, Answer, HttpRoute
from agent_desktop.security import SESSION_COOKIE

_PARAM = re.compile(r"{(\w+)}")
_HTML = {"text/html": {"schema": {"type": "string"}}}


def _response(route: HttpRoute, status: int, answer: Answer) -> dict[str, Any]:
    response: dict[str, Any] = {"description": answer.description}
    if 300 <= status < 400:
        response["headers"] = {"Location": {"schema": {"type": "string"}, "description": "where to go"}}
    elif answer.media:
        response["content"] = {media: {"schema": {"type": "string"}} for media in answer.media}
    elif answer.schema is not None:
        response["content"] = {"application/json": {"schema": dict(answer.schema)}}
    elif route.kind == "page" and status != 101:
        response["content"] = _HTML
    return response


def _operation(route: HttpRoute) -> dict[str, Any]:
    roles = sorted(route.roles) if route.roles is not None else []
    op: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "description": f"Roles: {', '.join(roles) if roles else 'public'}."
        + (" Needs the X-CSRF-Token header (or csrf_token form field)." if route.changes_state else ""),
        "x-roles": roles,
        "tags": ["pages" if route.kind == "page" else "api"],
        "responses": {str(status): _response(route, status, answer)
                      for status, answer in sorted(route.all_answers().items())},
    }
    if not route.public:
        op["security"] = [{"session": []}]
    params = [{"name": p, "in": "path", "required": True, "schema": dict(PATH_PARAMETERS[p])}
              for p in _PARAM.findall(route.path)]
    params += [{"name": f.name, "in": "query", "required": f.min_length > 0, "schema": f.schema()}
               for f in route.query]
    if params:
        op["parameters"] = params
    if route.request_schema is not None:
        op["requestBody"] = {"required": True,
                             "content": {route.request_media: {"schema": dict(route.request_schema)}}}
    return op


def build_openapi(pause_reasons: Iterable[str], routes: Iterable[HttpRoute] = HTTP_ROUTES) -> dict[str, Any]:
    """The OpenAPI document of ``routes``, where agents pause for one of ``pause_reasons``."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "callcenter agent desktop",
            "version": "1",
            "description": "Agent desktop and supervisor wall. WebSocket messages are listed at /api/docs. "
            + CUSTOMER_VISIBILITY,
        },
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
            },
            "schemas": {
                PAUSE_REASON_COMPONENT: {"type": "string", "enum": list(pause_reasons),
                                         "description": "A not-ready reason an agent may pick ([acd] pause_reasons)."},
            },
        },
        "paths": paths,
    }
