"""Issue 4 acceptance through the simulator: a node's IVR identifies simulated callers and every call
leaves one complete interaction row, on SQLite and on PostgreSQL (the ``engine`` fixture's two kinds)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.wiring import crm_directory
from crm_core.customers import CustomerService
from crm_core.db import make_session_factory, session_scope
from crm_core.models import Interaction
from cti.sim import CallerScript

# Simulated seconds per real second: prompts, digit gaps, IVR timeouts and patience all shrink.
SPEED = 10.0
DNIS = "5551000"
UNKNOWN_ANI = "5550199"  # on no customer's record, so only the keyed code can identify the caller
SUPPORT_AGENT = "1001"  # demo.toml's Ada: support, sales and general


def keyed(digits: str, first_after: float = 0.5, gap: float = 0.2) -> tuple[tuple[float, str], ...]:
    """A caller script's digits: the first ``first_after`` s after the IVR listens, then every ``gap`` s."""
    return tuple((first_after if i == 0 else gap, d) for i, d in enumerate(digits))


@pytest.fixture
def customer(engine: Engine) -> tuple[int, str]:
    """A key-tier customer in the store: (database id, customer code)."""
    with session_scope(make_session_factory(engine)) as session:
        created = CustomerService(session, actor="test").create(
            name="Ines Ortega", company="Ortega Logistics", phones=["+12025550143"]
        )
        created.customer.tier = "key"
        return created.customer.id, created.customer.code


@pytest.fixture
async def node(engine: Engine, tmp_path: Path) -> AsyncIterator[Node]:
    settings = Settings(
        db_url=engine.url.render_as_string(hide_password=False),
        http_port=0,
        ami_port=0,
        agi_port=0,
        data_dir=str(tmp_path),
    )
    started = Node(settings, directory_factory=crm_directory, say=lambda _line: None, simulator_speed=SPEED)
    try:
        await started.start()
        yield started
    finally:
        await started.stop()


async def _leg_when(node: Node, done: Callable[[Interaction], bool], timeout: float = 15.0) -> Interaction:
    """The one interaction row of the test's one call once ``done(row)`` holds (rows come in batches)."""
    assert node.interactions is not None and node.sessions is not None
    deadline = time.monotonic() + timeout
    while True:
        await node.interactions.flush()
        with node.sessions() as session:
            rows = list(session.scalars(select(Interaction)))
        assert len(rows) <= 1, f"more than one row for one call: {[r.leg_id for r in rows]}"
        if rows and done(rows[0]):
            return rows[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no such row in time; have {rows}")
        await asyncio.sleep(0.05)


async def test_a_valid_code_reaches_the_queue_and_the_agent_with_the_customer_attached(
    node: Node, customer: tuple[int, str]
) -> None:
    customer_id, code = customer
    assert node.simulator is not None and node.acd_service is not None
    await node.acd_service.set_ready(SUPPORT_AGENT)
    # The code, then 1 (support) at the menu; the agent's phone answers. The caller ends the call after
    # talking 2 s, or (the simulator does not always notice the answer) when the 30 s of patience run out.
    script = CallerScript(digits=(*keyed(code), (1.0, "1")), patience=30, talk_time=2)
    await node.simulator.place_inbound_call(DNIS, UNKNOWN_ANI, "Ines", script=script)

    queued = await _leg_when(node, lambda row: row.queue is not None)
    assert (queued.customer_id, queued.customer_code) == (customer_id, code)
    assert queued.queue == "support" and queued.intent == "support"

    ended = await _leg_when(node, lambda row: row.end_at is not None)
    await node.acd_service.dispose(ended.call_id, SUPPORT_AGENT, "resolved", "address changed")
    row = await _leg_when(node, lambda row: row.disposition is not None)

    assert (row.customer_id, row.customer_code, row.ani, row.dnis) == (customer_id, code, UNKNOWN_ANI, DNIS)
    assert row.direction == "inbound" and row.queue == "support" and row.agent_id == SUPPORT_AGENT
    assert row.ivr_data["entered_code"] == code and "unidentified" not in row.ivr_data
    assert row.outcome == "answered"
    assert (row.disposition, row.notes) == ("resolved", "address changed")
    assert row.answer_at is not None and row.end_at is not None
    assert row.enter_at < row.answer_at < row.end_at
    assert row.wait_seconds is not None and row.talk_seconds is not None and row.talk_seconds > 0
    assert row.wrap_up_seconds is not None


async def test_a_wrong_code_twice_then_silence_ends_unidentified_in_the_general_queue(
    node: Node, customer: tuple[int, str]
) -> None:
    _, code = customer
    wrong = "123456" if code != "123456" else "654321"
    assert node.simulator is not None
    # Nobody is ready for the general queue: the caller gives up there when the 25 s of patience run out
    # (the IVR takes about 15 s).
    script = CallerScript(digits=(*keyed(wrong), *keyed(wrong, first_after=1.0)), patience=25)
    await node.simulator.place_inbound_call(DNIS, UNKNOWN_ANI, "", script=script)

    queued = await _leg_when(node, lambda row: row.queue is not None)
    assert queued.queue == "general"
    assert queued.ivr_data["unidentified"] is True
    assert queued.customer_id is None and queued.customer_code is None

    row = await _leg_when(node, lambda row: row.end_at is not None)
    assert row.outcome == "abandoned" and row.queue == "general" and row.ivr_data["unidentified"] is True
    assert (row.ani, row.dnis) == (UNKNOWN_ANI, DNIS)
    assert row.agent_id is None and row.answer_at is None


async def test_hanging_up_mid_ivr_leaves_a_complete_row_abandoned_in_ivr(
    node: Node, customer: tuple[int, str]
) -> None:
    customer_id, code = customer
    assert node.simulator is not None
    # The caller keys a valid code, then hangs up while the menu waits for a choice.
    script = CallerScript(digits=keyed(code), patience=12)
    await node.simulator.place_inbound_call(DNIS, UNKNOWN_ANI, "", script=script)

    row = await _leg_when(node, lambda row: row.end_at is not None)
    assert row.outcome == "abandoned_in_ivr"
    assert (row.customer_id, row.customer_code, row.ani, row.dnis) == (customer_id, code, UNKNOWN_ANI, DNIS)
    assert row.ivr_data["entered_code"] == code and row.ivr_data["last_node"] == "main_menu"
    assert row.queue is None and row.agent_id is None and row.answer_at is None
    assert row.end_at is not None and row.enter_at < row.end_at and row.wait_seconds == 0.0


async def test_choosing_voicemail_records_a_message_and_a_voicemail_row(
    node: Node, customer: tuple[int, str]
) -> None:
    customer_id, code = customer
    assert node.simulator is not None
    voicemail: list[str] = []
    node.simulator.add_event_sink(
        lambda headers: voicemail.append(dict(headers).get("Command", ""))
        if ("Event", "AGIExecStart") in headers and "VoiceMail" in dict(headers).get("Command", "") else None
    )
    # The code, then 9 (voicemail) at the menu; the caller talks to the mailbox until patience runs out.
    script = CallerScript(digits=(*keyed(code), (1.0, "9")), patience=25)
    await node.simulator.place_inbound_call(DNIS, UNKNOWN_ANI, "", script=script)

    row = await _leg_when(node, lambda row: row.end_at is not None)
    assert row.outcome == "voicemail" and row.customer_id == customer_id
    deadline = time.monotonic() + 10
    while not voicemail and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert voicemail and "support@callcenter" in voicemail[0]
