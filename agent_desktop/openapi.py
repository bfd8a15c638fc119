"""The OpenAPI 3.1 document, generated from the route table so it can never drift from what is enforced."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agent_desktop.catalogue import CUSTOMER_VISIBILITY, HTTP_ROUTES, HttpRoute
from agent_desktop.security import SESSION_COOKIE

_PARAM = re.compile(r"{(\w+)}")
_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}}


def _operation(route: HttpRoute) -> dict[str, Any]:
    roles = sorted(route.roles) if route.roles is not None else []
    op: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "description": f"Roles: {', '.join(roles) if roles else 'public'}."
        + (" Needs the X-CSRF-Token header (or csrf_token form field)." if route.changes_state else ""),
        "x-roles": roles,
        "tags": ["pages" if route.kind == "page" else "api"],
        "responses": {"200": {"description": "OK"}},
    }
    if route.response_schema is not None:
        op["responses"]["200"]["content"] = {"application/json": {"schema": dict(route.response_schema)}}
    if not route.public:
        op["security"] = [{"session": []}]
        op["responses"]["401"] = {"description": "Not logged in (pages redirect to /login instead)."}
        op["responses"]["403"] = {
            "description": "Role not allowed, or CSRF token missing/wrong.",
            "content": {"application/json": {"schema": _ERROR}},
        }
    params = _PARAM.findall(route.path)
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                            for p in params]
    if route.request_schema is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": dict(route.request_schema)}}}
    return op


def build_openapi(routes: Iterable[HttpRoute] = HTTP_ROUTES) -> dict[str, Any]:
    """The OpenAPI document of ``routes``."""
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
            }
        },
        "paths": paths,
    }
