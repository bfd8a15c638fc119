"""Customer records and the service layer that changes them (every change leaves audit rows)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bus.clock import Clock
from crm_core import audit
from crm_core.codes import MAX_CODE_NUMBER, InvalidCustomerCode, check_customer_code, make_customer_code
from crm_core.fields import (
    DEFAULT_REGION,
    InvalidField,
    check_language,
    check_name,
    check_time_zone,
    normalise_email,
    normalise_phone,
    parse_revenue_cents,
)
from crm_core.lookup import DuplicateWarning, find_duplicates
from crm_core.models import Contact, Customer, CustomerPhone

ENTITY = "customer"
DEFAULT_LANGUAGE = "en"


class CustomerCodeExhausted(RuntimeError):
    """No customer code is left above the highest one in use."""


class NotACompany(ValueError):
    """Contacts belong to company customers only."""


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerData:
    """A validated, normalised customer record (what the importer and the service layer store)."""

    code: str
    name: str
    company: str | None = None
    phones: tuple[str, ...] = ()
    email: str | None = None
    language: str = DEFAULT_LANGUAGE
    time_zone: str | None = None
    revenue_cents: int = 0
    custom_fields: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    notes: str = ""

    def column_values(self) -> dict[str, Any]:
        """The values of the ``customers`` columns (phones live in their own table)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "phones"}
        values["custom_fields"] = dict(self.custom_fields)
        return values


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_phones(raw: str | Iterable[str], region: str) -> tuple[str, ...]:
    """Normalised, de-duplicated phones from a list or a ``;``/``,``-separated string, order kept."""
    items = raw.replace(",", ";").split(";") if isinstance(raw, str) else list(raw)
    numbers: list[str] = []
    for item in items:
        if not _blank(item):
            number = normalise_phone(item, region)
            if number not in numbers:
                numbers.append(number)
    return tuple(numbers)


def _validated(field: str, value: Any, region: str) -> Any:
    """The stored form of one editable field, or :class:`InvalidField`."""
    if field == "name":
        return check_name(str(value))
    if field == "company":
        return None if _blank(value) else check_name(str(value), "company")
    if field == "phones":
        return parse_phones(value, region)
    if field == "email":
        return None if _blank(value) else normalise_email(str(value))
    if field == "language":
        return DEFAULT_LANGUAGE if _blank(value) else check_language(str(value))
    if field == "time_zone":
        return None if _blank(value) else check_time_zone(str(value))
    if field == "revenue_cents":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidField("revenue", f"{value!r} is not a non-negative number of cents")
        return value
    if field == "custom_fields":
        if not isinstance(value, Mapping):
            raise InvalidField("custom_fields", "must be a mapping")
        return {str(k): v for k, v in value.items()}
    if field == "notes":
        return "" if value is None else str(value)
    raise InvalidField(field, "is not an editable customer field")


EDITABLE_FIELDS = ("name", "company", "phones", "email", "language", "time_zone", "revenue_cents",
                   "custom_fields", "notes")


def customer_data(values: Mapping[str, Any], region: str = DEFAULT_REGION) -> CustomerData:
    """Validate a mapping of field values (``code`` and ``name`` required; ``revenue`` as money text ok)."""
    if _blank(values.get("code")):
        raise InvalidCustomerCode("customer code is missing")
    if _blank(values.get("name")):
        raise InvalidField("name", "is empty")
    fields: dict[str, Any] = {"code": check_customer_code(str(values["code"]))}
    for name in EDITABLE_FIELDS:
        if name in values:
            fields[name] = _validated(name, values[name], region)
    if "revenue" in values and "revenue_cents" not in values:
        fields["revenue_cents"] = 0 if _blank(values["revenue"]) else parse_revenue_cents(values["revenue"])
    return CustomerData(**fields)


def current_values(customer: Customer) -> dict[str, Any]:
    """The editable fields of a stored customer, in the form :func:`customer_data` produces."""
    values = {name: getattr(customer, name) for name in EDITABLE_FIELDS if name != "phones"}
    values["phones"] = tuple(customer.phone_numbers)
    values["custom_fields"] = dict(customer.custom_fields or {})
    return values


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerCreated:
    """The new customer plus existing customers that look like it (a warning, not a refusal)."""

    customer: Customer
    duplicates: list[DuplicateWarning]


@dataclasses.dataclass
class CustomerService:
    """Creates and edits customers on behalf of ``actor``, writing the audit trail in the same session."""

    session: Session
    actor: str
    clock: Clock = time.time
    region: str = DEFAULT_REGION

    def next_code(self) -> str:
        """The code after the highest one in use (``100008`` for an empty store)."""
        highest = self.session.scalar(select(func.max(Customer.code)))
        number = 10_000 if highest is None else int(highest[:5]) + 1
        if number > MAX_CODE_NUMBER:
            raise CustomerCodeExhausted("every customer code above the highest in use is taken")
        return make_customer_code(number)

    def create(self, *, name: str, code: str | None = None, **fields: Any) -> CustomerCreated:
        """Validate and store a new customer; ``duplicates`` lists look-alikes already stored."""
        data = customer_data({"code": code or self.next_code(), "name": name, **fields}, self.region)
        duplicates = find_duplicates(self.session, name=data.name, phones=data.phones, email=data.email)
        now = self.clock()
        customer = Customer(**data.column_values(), tier="small", created_at=now, updated_at=now)
        customer.phones = [CustomerPhone(number=n, position=i) for i, n in enumerate(data.phones)]
        self.session.add(customer)
        self.session.flush()
        stored = current_values(customer)
        audit.record(
            self.session, at=now, actor=self.actor, entity_type=ENTITY, entity_id=customer.id,
            action="create", changes={k: (None, v) for k, v in stored.items() if not _blank(v)},
        )
        return CustomerCreated(customer, duplicates)

    def update(self, customer: Customer, **changes: Any) -> dict[str, tuple[Any, Any]]:
        """Apply ``changes`` (editable fields only); returns and audits the fields that really changed."""
        before = current_values(customer)
        after = {name: _validated(name, value, self.region) for name, value in changes.items()}
        diff = {name: (before[name], new) for name, new in after.items() if before[name] != new}
        if not diff:
            return {}
        for name, (_old, new) in diff.items():
            if name == "phones":
                customer.phones = [CustomerPhone(number=n, position=i) for i, n in enumerate(new)]
            else:
                setattr(customer, name, new)
        now = self.clock()
        customer.updated_at = now
        audit.record(
            self.session, at=now, actor=self.actor, entity_type=ENTITY, entity_id=customer.id,
            action="update", changes=diff,
        )
        self.session.flush()
        return diff

    def add_contact(
        self,
        customer: Customer,
        *,
        name: str,
        role: str | None = None,
        phone: str | None = None,
        email: str | None = None,
    ) -> Contact:
        """Add a person to a company customer (one whose ``company`` is set)."""
        if not customer.company:
            raise NotACompany(f"customer {customer.code} is not a company")
        contact = Contact(
            name=check_name(name),
            role=None if _blank(role) else str(role).strip(),
            phone=None if phone is None or _blank(phone) else normalise_phone(phone, self.region),
            email=None if email is None or _blank(email) else normalise_email(email),
        )
        customer.contacts.append(contact)
        self.session.flush()
        audit.record(
            self.session, at=self.clock(), actor=self.actor, entity_type=ENTITY, entity_id=customer.id,
            action="add_contact",
            changes={"contact": (None, {"name": contact.name, "role": contact.role, "phone": contact.phone})},
        )
        return contact
