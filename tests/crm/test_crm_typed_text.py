"""A 202 means stored: whatever the desktop's edge (agent_desktop.text_input) accepts as notes or a customer's
name and company is stored and read back unchanged on SQLite and PostgreSQL, while what it refuses is text
that one of them cannot store."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from acd.events import CallConnected, CallDisposed, CallEnded, CallOffered, CallQueued
from agent_desktop.text_input import (
    COMPANY,
    CUSTOMER_NAME,
    DISPOSITION,
    EMAIL,
    NOTES,
    PHONE,
    InvalidText,
    TextField,
)
from callcenter.interaction_rows import apply_event
from crm_core.customers import CustomerService
from crm_core.db import make_session_factory
from crm_core.models import Customer, CustomerPhone, Interaction

_calls = itertools.count()
# Every code point, lone surrogates and control characters included: the edge decides what passes.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
EDGE_CASES = ["", "before\tafter\r\nnext line", "🙂 emoji, é composed, e\u0301 decomposed", "\u200f\u202e rtl",
              "\ufeff bom", "\uffff noncharacter", "x" * 4000, "日本語" * 1333]


def accepted(field: TextField, text: str) -> str | None:
    try:
        return field.check(text)
    except InvalidText:
        return None


def dispose(session: Session, notes: str) -> str:
    """Store a wrap-up with ``notes`` as the desktop's 202 would lead to; returns the call id."""
    call_id = f"typed-{next(_calls)}"
    for event in (CallQueued(at=1.0, call_id=call_id, queue="support", priority=0, enter_time=1.0),
                  CallOffered(at=2.0, call_id=call_id, queue="support", agent_id="a1", wait_seconds=1.0),
                  CallConnected(at=3.0, call_id=call_id, queue="support", agent_id="a1", wait_seconds=2.0),
                  CallEnded(at=9.0, call_id=call_id, queue="support", agent_id="a1", talk_seconds=6.0),
                  CallDisposed(at=10.0, call_id=call_id, agent_id="a1", disposition="resolved", notes=notes)):
        apply_event(session, event)
    session.commit()
    return call_id


def stored_notes(session: Session, call_id: str) -> str:
    session.expire_all()
    return session.scalars(select(Interaction.notes).where(Interaction.call_id == call_id)).one()


@pytest.mark.parametrize("notes", ["before\ud800after", "nul\x00inside"])
def test_the_notes_the_edge_refuses_are_what_a_database_cannot_store(engine: Engine, notes: str) -> None:
    with pytest.raises(InvalidText, match=r"^notes:"):
        NOTES.check(notes)
    cannot_store = (engine.dialect.name == "sqlite" and "\ud800" in notes) or (
        engine.dialect.name == "postgresql" and "\x00" in notes)
    with make_session_factory(engine)() as session:
        if cannot_store:
            with pytest.raises((SQLAlchemyError, UnicodeEncodeError, ValueError)):
                dispose(session, notes)


def test_notes_the_edge_accepts_are_stored_unchanged(session: Session) -> None:
    for notes in EDGE_CASES:
        assert accepted(NOTES, notes) == notes
        assert stored_notes(session, dispose(session, notes)) == notes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notes=ANY_TEXT)
def test_any_notes_the_edge_accepts_are_stored_unchanged(session: Session, notes: str) -> None:
    if accepted(NOTES, notes) is None:
        return
    assert stored_notes(session, dispose(session, notes)) == notes


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=ANY_TEXT, company=ANY_TEXT)
def test_any_customer_name_and_company_the_edge_accepts_are_stored(session: Session, name: str, company: str) -> None:
    name_in, company_in = accepted(CUSTOMER_NAME, name), accepted(COMPANY, company)
    if name_in is None or company_in is None:
        return
    created = CustomerService(session, "1001").create(name=name_in, company=company_in)
    session.commit()
    session.expire_all()
    customer = session.get(Customer, created.customer.id)
    assert customer is not None
    assert (customer.name, customer.company or "") == (" ".join(name_in.split()), " ".join(company_in.split()))


def test_field_limits_fit_the_columns_that_store_them() -> None:
    columns = {DISPOSITION: Interaction.disposition, CUSTOMER_NAME: Customer.name, COMPANY: Customer.company,
               EMAIL: Customer.email}
    for field, column in columns.items():
        assert field.max_length <= column.type.length, field.name  # type: ignore[attr-defined]
    # A phone is stored as E.164, which the column holds whatever was typed.
    assert CustomerPhone.number.type.length >= len("+") + 15  # type: ignore[attr-defined]
    assert PHONE.max_length <= 250  # what phonenumbers reads at most
