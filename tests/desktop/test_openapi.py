"""The OpenAPI document says everything a client must know: every status each operation answers with and
the schema of its body, the parameters with their limits, the configured pause reasons."""

from __future__ import annotations

from typing import Any

from agent_desktop.catalogue import HTTP_ROUTES
from agent_desktop.openapi import build_openapi
from agent_desktop.text_input import NOTES, SEARCH_TEXT

REASONS = ("break", "lunch", "training")


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", op) for path, ops in document["paths"].items() for method, op in ops.items()]


def strings_in(schema: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    """Every string schema in ``schema``, following references."""
    if "$ref" in schema:
        return strings_in(components[schema["$ref"].rsplit("/", 1)[1]], components)
    found = [schema] if schema.get("type") == "string" else []
    for child in schema.get("properties", {}).values():
        found += strings_in(child, components)
    if "items" in schema:
        found += strings_in(schema["items"], components)
    return found


def test_every_operation_declares_each_status_with_the_schema_of_its_body() -> None:
    document = build_openapi(REASONS)
    assert len(operations(document)) == len(HTTP_ROUTES)
    for where, op in operations(document):
        statuses = set(op["responses"])
        if where.startswith("POST"):  # CSRF, and a body that cannot be read
            assert {"400", "403"} <= statuses, where
        if "security" in op:
            assert statuses & {"401", "302"}, where
        for status, response in op["responses"].items():
            if status.startswith("3") or status == "101":
                continue
            for media, content in response["content"].items():
                schema = content["schema"]
                if "/api/" in where and "docs" not in where:
                    assert media == "application/json" and schema.get("type") == "object", (where, status)
                    if status.startswith("2"):
                        assert schema.get("required"), (where, status)
                if status >= "400" and media == "application/json":
                    assert schema["required"][0] == "error", (where, status)
    statuses_in_use = {status for _, op in operations(document) for status in op["responses"]}
    assert {"200", "201", "202", "400", "404", "409", "502"} <= statuses_in_use


def test_parameters_and_bodies_carry_their_limits_and_the_configured_pause_reasons() -> None:
    document = build_openapi(REASONS)
    components = document["components"]["schemas"]
    search = document["paths"]["/api/calls/{call_id}/customer-search"]["get"]["parameters"]
    assert {"name": "q", "in": "query", "required": True,
            "schema": {"type": "string", "maxLength": SEARCH_TEXT.max_length, "minLength": 1}} in search
    for path in ("/api/agent/not-ready", "/api/agents/{agent_id}/not-ready"):
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert strings_in(body, components) == [{"type": "string", "enum": list(REASONS),
                                                 "description": components["PauseReason"]["description"]}]
    disposition = document["paths"]["/api/calls/{call_id}/disposition"]["post"]["requestBody"]
    assert disposition["content"]["application/json"]["schema"]["properties"]["notes"]["maxLength"] == NOTES.max_length
    for where, op in operations(document):
        for parameter in op.get("parameters", []):
            assert "maxLength" in parameter["schema"] or "pattern" in parameter["schema"], (where, parameter)
        for content in op.get("requestBody", {}).get("content", {}).values():  # JSON, or a list upload's form
            for string in strings_in(content["schema"], components):
                assert "maxLength" in string or "enum" in string, (where, string)
