"""How the IVR's and the PBX's events shape an interaction row (on SQLite and PostgreSQL), without a call."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from acd.events import CallAbandoned, CallQueued
from agent_desktop.events import CustomerMatched
from bus.events import DomainEvent
from callcenter.interaction_rows import apply_event
from crm_core.customers import CustomerService
from crm_core.interactions import get_leg
from crm_core.models import Interaction
from cti.ami.events import ChannelAppeared
from ivr.caller import CallerData
from ivr.events import IvrFinished

T0 = 1_700_000_000.0


def _appeared(
    uniqueid: str, *, state: int = 4, context: str = "callcenter-inbound", resynced: bool = False
) -> ChannelAppeared:
    return ChannelAppeared(
        at=T0, channel=f"Local/5551000@{context}-0001;2", uniqueid=uniqueid, linkedid=uniqueid, state=state,
        state_desc="Ring", caller_id_num="5550100", context=context, exten="5551000", resynced=resynced,
    )


def _apply_all(session: Session, events: list[DomainEvent]) -> None:
    for event in events:
        apply_event(session, event)
    session.commit()


def _rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Interaction)) or 0


def test_only_a_channel_ringing_into_the_inbound_context_opens_a_leg(session: Session) -> None:
    _apply_all(session, [
        _appeared("1.1", state=0),  # the Down ;1 half of a Local pair
        _appeared("2.1", context="callcenter-connect"),
        _appeared("3.1", resynced=True),
        _appeared("4.2"),
    ])
    assert _rows(session) == 1
    leg = get_leg(session, "4.2")
    assert leg is not None
    assert (leg.dnis, leg.ani, leg.enter_at, leg.end_at) == ("5551000", "5550100", T0, None)


def test_a_call_abandoned_in_the_ivr_is_one_complete_row_however_often_replayed(session: Session) -> None:
    events: list[DomainEvent] = [
        _appeared("7.2"),
        IvrFinished(at=T0 + 9, call_id="7.2", outcome="abandoned_in_ivr",
                    caller=CallerData(ani="5550100", ivr_data=(("entered_code", "12345"),), unidentified=True),
                    entered_at=T0 + 0.5,
                    last_node="ask_code"),
    ]
    _apply_all(session, events)
    _apply_all(session, events)  # a replay after a crash: the same row
    assert _rows(session) == 1
    leg = get_leg(session, "7.2")
    assert leg is not None
    assert (leg.outcome, leg.enter_at, leg.end_at, leg.wait_seconds) == ("abandoned_in_ivr", T0, T0 + 9, 0.0)
    assert leg.ivr_data == {"entered_code": "12345", "unidentified": True, "last_node": "ask_code"}
    assert (leg.ani, leg.dnis, leg.queue, leg.customer_id) == ("5550100", "5551000", None, None)


def test_a_queued_call_keeps_the_ivr_data_and_the_acd_closes_it(session: Session) -> None:
    _apply_all(session, [
        IvrFinished(at=T0 + 15, call_id="8.2", outcome="queue",
                    caller=CallerData(ani="5550100", ivr_data=(("entered_code", "000000"),), unidentified=True),
                    queue="general",
                    entered_at=T0, last_node="general"),
        CallQueued(at=T0 + 15, call_id="8.2", queue="general", priority=4, enter_time=T0 + 15,
                   caller=CallerData(unidentified=True)),
        CallAbandoned(at=T0 + 40, call_id="8.2", queue="general", wait_seconds=25.0),
    ])
    leg = get_leg(session, "8.2")
    assert leg is not None
    assert (leg.queue, leg.outcome, leg.wait_seconds) == ("general", "abandoned", 25.0)
    assert (leg.enter_at, leg.end_at) == (T0, T0 + 40)
    assert leg.ivr_data == {"entered_code": "000000", "unidentified": True}


def test_a_callback_chosen_in_the_ivr_ends_the_leg_as_a_callback_request(session: Session) -> None:
    chosen = IvrFinished(at=T0 + 20, call_id="9.2", outcome="callback",
                         caller=CallerData(ani="5550100", unidentified=False), queue="support",
                         entered_at=T0, last_node="callback")
    _apply_all(session, [chosen])
    leg = get_leg(session, "9.2")
    assert leg is not None
    assert (leg.outcome, leg.queue, leg.end_at) == ("callback_requested", "support", T0 + 20)


def test_a_customer_matched_from_the_pop_lands_on_the_call_row(session: Session) -> None:
    created = CustomerService(session, "test", lambda: T0).create(name="Grace Tester", code="100008")
    session.commit()
    customer = created.customer
    _apply_all(session, [
        CallQueued(at=T0 + 15, call_id="9.2", queue="general", priority=4, enter_time=T0 + 15,
                   caller=CallerData(unidentified=True)),
        CustomerMatched(at=T0 + 30, call_id="9.2", agent_id="1001", customer_id=str(customer.id),
                        customer_code="100008", created=False, actor="1001"),
    ])
    leg = get_leg(session, "9.2")
    assert leg is not None
    assert (leg.customer_id, leg.customer_code) == (customer.id, "100008")


def test_the_dialled_number_comes_with_the_ivr_when_the_channel_was_not_seen(session: Session) -> None:
    _apply_all(session, [
        IvrFinished(at=T0 + 5, call_id="10.2", outcome="abandoned_in_ivr",
                    caller=CallerData(ani="5550100", unidentified=True), dnis="5551999",
                    entered_at=T0, last_node="welcome"),
    ])
    leg = get_leg(session, "10.2")
    assert leg is not None and leg.dnis == "5551999"
