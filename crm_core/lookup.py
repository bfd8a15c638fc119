"""Finding customers: by code, by caller number (ANI), fuzzily by name/company, and likely duplicates."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from crm_core.fields import DEFAULT_REGION, try_normalise_phone
from crm_core.models import Contact, Customer, CustomerPhone

SEARCH_MIN_SCORE = 70.0
DUPLICATE_NAME_SCORE = 92.0


def _fold(value: object) -> str:
    """Lower-cased, punctuation-free text for fuzzy comparison."""
    return str(utils.default_process(str(value)))


@dataclasses.dataclass(frozen=True, slots=True)
class SearchHit:
    """A fuzzy match: the customer and a 0-100 similarity score."""

    customer: Customer
    score: float


@dataclasses.dataclass(frozen=True, slots=True)
class DuplicateWarning:
    """An existing customer that looks like the one being created, and why."""

    customer_id: int
    code: str
    name: str
    reason: str


def by_code(session: Session, code: str) -> Customer | None:
    """The customer with this code, phones and contacts loaded."""
    query = (
        select(Customer)
        .where(Customer.code == code.strip())
        .options(selectinload(Customer.phones), selectinload(Customer.contacts))
    )
    return session.scalars(query).one_or_none()


def by_ani(session: Session, ani: str, region: str = DEFAULT_REGION) -> list[Customer]:
    """Customers with this caller number among their phones or their contacts' phones, by id.

    Withheld or malformed caller IDs ("anonymous", "") match nobody.
    """
    number = try_normalise_phone(ani, region)
    if number is None:
        return []
    owners = select(CustomerPhone.customer_id).where(CustomerPhone.number == number)
    contact_owners = select(Contact.customer_id).where(Contact.phone == number)
    query = (
        select(Customer)
        .where(or_(Customer.id.in_(owners), Customer.id.in_(contact_owners)))
        .options(selectinload(Customer.phones))
        .order_by(Customer.id)
    )
    return list(session.scalars(query))


def search(
    session: Session, text: str, *, limit: int = 10, min_score: float = SEARCH_MIN_SCORE
) -> list[SearchHit]:
    """Customers whose name or company resembles ``text``, best first (ties by id)."""
    query_text = _fold(text)
    if not query_text:
        return []
    scores: dict[int, float] = {}
    rows = session.execute(select(Customer.id, Customer.name, Customer.company)).all()
    for column in (1, 2):
        choices = {row[0]: row[column] for row in rows if row[column]}
        for _choice, score, customer_id in process.extract(
            query_text,
            choices,
            scorer=fuzz.WRatio,
            processor=_fold,
            limit=limit,
            score_cutoff=min_score,
        ):
            scores[customer_id] = max(score, scores.get(customer_id, 0.0))
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(scores)))}
    return [SearchHit(customers[cid], score) for cid, score in best]


def find_duplicates(
    session: Session,
    *,
    name: str,
    phones: Iterable[str] = (),
    email: str | None = None,
    exclude_id: int | None = None,
) -> list[DuplicateWarning]:
    """Existing customers sharing a phone or e-mail, or with a near-identical name (normalised values)."""
    reasons: dict[int, tuple[Customer, list[str]]] = {}

    def note(customer: Customer, reason: str) -> None:
        if customer.id != exclude_id:
            reasons.setdefault(customer.id, (customer, []))[1].append(reason)

    numbers = list(phones)
    if numbers:
        query = (
            select(Customer, CustomerPhone.number)
            .join(CustomerPhone)
            .where(CustomerPhone.number.in_(numbers))
        )
        for customer, number in session.execute(query):
            note(customer, f"same phone {number}")
    if email:
        for customer in session.scalars(select(Customer).where(func.lower(Customer.email) == email.lower())):
            note(customer, f"same e-mail {email}")
    wanted = _fold(name)
    if wanted:
        names = {cid: n for cid, n in session.execute(select(Customer.id, Customer.name))}
        similar = process.extract(
            wanted,
            names,
            scorer=fuzz.token_sort_ratio,
            processor=_fold,
            limit=None,
            score_cutoff=DUPLICATE_NAME_SCORE,
        )
        if similar:
            found = session.scalars(select(Customer).where(Customer.id.in_([s[2] for s in similar])))
            for customer in found:
                note(customer, f"similar name {customer.name!r}")
    return [
        DuplicateWarning(customer.id, customer.code, customer.name, "; ".join(why))
        for customer, why in sorted(reasons.values(), key=lambda item: item[0].id)
    ]
