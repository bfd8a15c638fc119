"""Schemathesis against the served app, for every role and for nobody: requests generated from the OpenAPI
document (valid ones, and ones that break it) must never get a 500, nor an answer the document does not
describe (status, content type, body schema).

Bounded: a fixed number of cases per operation, derandomized, and a generous time limit per role. The app is served
by the test's event loop; the generated requests are sent from a worker thread.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from acd.events import CallConnected, CallOffered
from agent_desktop.catalogue import ROLES
from agent_desktop.handling import CONFIG
from agent_desktop.openapi import build_openapi
from agent_desktop.security import SESSION_COOKIE
from ivr.caller import CallerData

if TYPE_CHECKING:
    from conftest import Desk

CASES_PER_OPERATION = 6  # per generation mode: about 400 requests per role
# Per role, only against a runaway: the cases are counted, so a loaded machine is slower, never less thorough
# (the whole file took 77 s with 8 cases in a full suite run on a 2-core machine; 6 keep the suite in 15 minutes).
BUDGET_SECONDS = 150.0
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Values that name something, so that some cases get past the 404 to the handler's own checks.
KNOWN = {"call_id": "call-1", "customer_id": "c1", "agent_id": "a2", "filename": "live.js", "package": "pico",
         "campaign_id": "1", "job_id": "1"}
# Logging out would end the session the rest of the run needs.
SKIPPED = {"POST /logout"}


def log_in(base_url: str, user: str | None) -> tuple[requests.Session, str]:
    """A session logged in as ``user`` (anonymous for None) and its CSRF token."""
    http = requests.Session()
    http.trust_env = False  # never a proxy: the app is on loopback
    page = http.get(f"{base_url}/login").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    if user is None:
        return http, found.group(1)
    answer = http.post(f"{base_url}/login", data={"username": user, "password": f"pw-{user}",
                                                  "csrf_token": found.group(1)}, allow_redirects=False)
    assert answer.status_code == 303, answer.text
    return http, str(http.get(f"{base_url}/api/me").json()["csrf_token"])


def fuzz(document: dict[str, Any], base_url: str, user: str | None) -> tuple[int, list[str]]:
    """Run the cases; returns how many were sent and the operations left out for lack of time."""
    http, token = log_in(base_url, user)
    schema = schemathesis.openapi.from_dict(document)
    deadline = time.monotonic() + BUDGET_SECONDS
    sent = 0
    left_out: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if label in SKIPPED:
            continue
        if time.monotonic() > deadline:
            left_out.append(label)
            continue
        known = {name: value for name, value in KNOWN.items() if "{" + name + "}" in operation.path}
        strategy = st.one_of(
            operation.as_strategy(),
            operation.as_strategy(path_parameters=known) if known else operation.as_strategy(),
            operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE),
        )

        @settings(max_examples=CASES_PER_OPERATION * 2, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def check(case: schemathesis.Case) -> None:
            nonlocal sent
            headers = {"X-CSRF-Token": token}
            # The session as logged in, not the random one generated for the document's security scheme.
            case.cookies = {SESSION_COOKIE: http.cookies[SESSION_COOKIE]}
            response = case.call(base_url=base_url, session=http, headers=headers, allow_redirects=False)
            sent += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        check()
    return sent, left_out


@pytest.mark.parametrize("role", [None, *ROLES], ids=["anonymous", *ROLES])
async def test_the_app_answers_as_its_openapi_document_says(desk: Desk, role: str | None) -> None:
    desk.bus.publish(CallOffered(call_id="call-1", queue="support", agent_id="a1", caller=CallerData(customer_id="c1"),
                                 at=desk.clock()))
    desk.bus.publish(CallConnected(call_id="call-1", queue="support", agent_id="a1", wait_seconds=3.0,
                                   at=desk.clock()))
    document = build_openapi(desk.app[CONFIG].pause_reasons)
    user = desk.role_user[role] if role else None
    sent, left_out = await asyncio.to_thread(fuzz, document, desk.url("").rstrip("/"), user)
    assert left_out == [], f"out of time after {sent} cases"
    assert sent >= 100
