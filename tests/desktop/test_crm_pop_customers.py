"""The pop's CRM operations over the real CRM (SQLite): search, create with the look-alike hold, audit;
and the desktop's not-ready reasons read from ``[acd] pause_reasons``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.config import DesktopConfigError, desktop_config_from_raw
from agent_desktop.services import CustomerRejected, NewCustomer, PossibleDuplicates
from callcenter.wiring import CrmCustomerCards
from crm_core import audit
from crm_core.customers import CustomerService
from crm_core.db import make_engine, make_session_factory, migrate, session_scope
from crm_core.models import Customer


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    migrate(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        service = CustomerService(session, "seed")
        service.create(name="Ada Lovelace", company="Analytical Engines", phones=["+441632960001"])
        service.create(name="Grace Hopper", company="Navy Compilers", email="grace@example.org")
    yield factory
    engine.dispose()


def count_customers(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count(Customer.id))) or 0)


async def test_search_finds_by_code_phone_and_fuzzy_name_or_company(sessions: sessionmaker[Session]) -> None:
    crm = CrmCustomerCards(sessions)
    assert [c.name for c in await crm.search_customers("100016", limit=10)] == ["Grace Hopper"]
    assert [c.code for c in await crm.search_customers("+44 1632 960001", limit=10)] == ["100008"]
    assert [c.name for c in await crm.search_customers("lovelase", limit=10)] == ["Ada Lovelace"]
    assert [c.name for c in await crm.search_customers("navy compiler", limit=10)] == ["Grace Hopper"]
    assert await crm.search_customers("zzzzqqq", limit=10) == []
    ada = (await crm.search_customers("Ada", limit=10))[0]
    assert (ada.phones, ada.company) == (("+441632960001",), "Analytical Engines")


async def test_create_holds_back_a_look_alike_until_confirmed_and_audits_the_agent(
    sessions: sessionmaker[Session],
) -> None:
    crm = CrmCustomerCards(sessions)
    with pytest.raises(PossibleDuplicates) as held:
        await crm.create_customer(NewCustomer(name="Ada  lovelace", phone="+441632960001"), actor="1001",
                                  allow_duplicates=False)
    assert [(d.customer.code, d.customer.name) for d in held.value.duplicates] == [("100008", "Ada Lovelace")]
    assert "same phone" in held.value.duplicates[0].reason
    assert count_customers(sessions) == 2  # nothing stored, audit included

    draft = NewCustomer(name="Ada King", company="Byron & Co", phone="+441632960002", email="ada@example.org")
    created = await crm.create_customer(draft, actor="1001", allow_duplicates=False)
    assert (created.code, created.phones, created.email) == ("100024", ("+441632960002",), "ada@example.org")
    again = await crm.create_customer(NewCustomer(name="Ada Lovelace"), actor="1001", allow_duplicates=True)
    assert again.code == "100032"
    with sessions() as session:
        trail = audit.history(session, "customer", int(created.customer_id))
    assert {row.actor for row in trail} == {"1001"}
    assert {row.field for row in trail} >= {"name", "company", "phones", "email"}


async def test_create_rejects_invalid_fields_by_name(sessions: sessionmaker[Session]) -> None:
    crm = CrmCustomerCards(sessions)
    for draft, field in ((NewCustomer(name="Bo", email="bo-at-home"), "email"),
                         (NewCustomer(name="Bo", phone="12"), "phone")):
        with pytest.raises(CustomerRejected, match=f"^{field}"):
            await crm.create_customer(draft, actor="1001", allow_duplicates=True)
    assert count_customers(sessions) == 2


def test_pause_reasons_follow_the_acd_configuration_in_its_order() -> None:
    assert desktop_config_from_raw({}).pause_reasons == ("break", "lunch", "meeting", "training", "after_call")
    configured = desktop_config_from_raw({"acd": {"pause_reasons": ["coaching", "break", "missed", "break"]}})
    assert configured.pause_reasons == ("coaching", "break")  # the ACD's own reasons are not for picking
    for bad in ({"pause_reasons": "break"}, {"pause_reasons": [""]}, {"pause_reasons": ["busy"]}):
        with pytest.raises(DesktopConfigError, match="pause_reasons"):
            desktop_config_from_raw({"acd": bad})


@pytest.mark.parametrize("customer_id",
                         ["²", "¹", "٣", "9" * 5000, "9" * 20, str(2**31), "-1", "+1", " 1", "1\x00", ""])
async def test_an_id_that_is_no_stored_customer_finds_nothing(
    sessions: sessionmaker[Session], customer_id: str
) -> None:
    crm = CrmCustomerCards(sessions)
    assert await crm.customer_card(customer_id) is None
    assert (await crm.customer_card("1")) is not None
