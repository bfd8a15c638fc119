"""The agent's customer search outside a call: by name, phone, code or e-mail, a page at a time.

A code or a phone number is looked up exactly (both are indexed); anything else is split into words,
each of which must occur in the name, company or e-mail (lower-cased ``LIKE``, the same on SQLite and
PostgreSQL). Results come by name then id, so pages do not overlap however the store grows in between.
"""

from __future__ import annotations

import dataclasses
import re

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from crm_core.fields import DEFAULT_REGION, try_normalise_phone
from crm_core.models import Contact, Customer, CustomerPhone

PAGE_SIZE = 20
MAX_WORDS = 6
_CODE = re.compile(r"^[0-9]{6}$")
_PHONE_LIKE = re.compile(r"^[+(0-9][0-9 ().-]{5,}$")


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerPage:
    """One page of results, and whether another follows."""

    customers: list[Customer]
    page: int
    more: bool


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_page(session: Session, text: str, *, page: int = 0, page_size: int = PAGE_SIZE,
                region: str = DEFAULT_REGION) -> CustomerPage:
    """Page ``page`` (from 0) of the customers ``text`` names; phones loaded."""
    text = text.strip()
    if not text:
        return CustomerPage([], page, more=False)
    condition = None
    if _CODE.match(text):
        condition = Customer.code == text
    elif _PHONE_LIKE.match(text) and (number := try_normalise_phone(text, region)) is not None:
        # The owners first, each by its index: an OR of two IN-subqueries would scan every customer.
        owners = set(session.scalars(select(CustomerPhone.customer_id).where(CustomerPhone.number == number)))
        owners |= set(session.scalars(select(Contact.customer_id).where(Contact.phone == number)))
        condition = Customer.id.in_(owners)
    if condition is None:
        words = text.lower().split()[:MAX_WORDS]
        name, company, email = (func.lower(Customer.name), func.lower(func.coalesce(Customer.company, "")),
                                func.lower(func.coalesce(Customer.email, "")))
        condition = and_(*(or_(name.like(_like(w), escape="\\"), company.like(_like(w), escape="\\"),
                               email.like(_like(w), escape="\\")) for w in words))
    query = (select(Customer).where(condition).options(selectinload(Customer.phones))
             .order_by(Customer.name, Customer.id).offset(page * page_size).limit(page_size + 1))
    found = list(session.scalars(query))
    return CustomerPage(found[:page_size], page, more=len(found) > page_size)
