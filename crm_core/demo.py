"""Demo data: a few hundred believable customers with tiers, contacts and open tickets."""

from __future__ import annotations

import random
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bus.clock import Clock
from crm_core.codes import make_customer_code
from crm_core.customers import CustomerService
from crm_core.models import Customer
from crm_core.tickets import IN_PROGRESS, TicketService
from crm_core.tiers import recompute_tiers

FIRST_CODE_NUMBER = 10_000
DEMO_ACTOR = "demo"
_FIRST = ("Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Isabel", "Jamal", "Karin",
          "Luca", "Mei", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor",
          "Wen", "Yusuf", "Zoe")
_LAST = ("Abbott", "Becker", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova",
         "Jensen", "Kowalski", "Lopez", "Murphy", "Nakamura", "Okafor", "Patel", "Rossi", "Schmidt",
         "Tanaka", "Ueda", "Varga", "Wong", "Yilmaz", "Zhang")
_COMPANIES = ("Northwind Traders", "Blue Harbor Logistics", "Cedar & Pine Furniture", "Summit Dental Group",
              "Riverbend Bakery", "Quantum Freight", "Maple Street Clinic", "Orion Software",
              "Golden Gate Insurance", "Lakeside Hotels", "Ironwood Tools", "Silverline Travel")
_PLACES = (("en", "America/New_York", "212"), ("en", "America/Chicago", "312"),
           ("en", "America/Los_Angeles", "415"), ("es", "America/Los_Angeles", "213"),
           ("en", "America/Denver", "303"), ("zh", "America/New_York", "718"))
_ROLES = ("Purchasing", "Accounts payable", "Office manager", "IT")
_SUBJECTS = ("Invoice shows a double charge", "Delivery has not arrived", "Cannot log in to the portal",
             "Request a copy of the contract", "Device makes a clicking noise", "Change of billing address")


def _phone(rng: random.Random, area: str) -> str:
    # 555-0100..0199 numbers are reserved for fiction in the North American plan.
    return f"+1{area}5550{rng.randint(100, 199)}"


def seed_demo(
    session: Session, n: int = 300, seed: int = 2024, *, clock: Clock = time.time
) -> int:
    """Create demo customers ``100008``, ``100016``, ... (codes per the Luhn rule); returns how many were new.

    Deterministic for a seed and idempotent: codes already present are left alone. Tiers are
    recomputed afterwards. The caller commits.
    """
    rng = random.Random(seed)
    customers = CustomerService(session, DEMO_ACTOR, clock)
    tickets = TicketService(session, DEMO_ACTOR, clock)
    codes = [make_customer_code(FIRST_CODE_NUMBER + i) for i in range(n)]
    existing = set(session.scalars(select(Customer.code).where(Customer.code.in_(codes))))
    created = 0
    for code in codes:
        # Draw every value even for existing codes so the sequence does not depend on what exists.
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        language, zone, area = rng.choice(_PLACES)
        company = rng.choice(_COMPANIES) if rng.random() < 0.25 else None
        phones = [_phone(rng, area)] + ([_phone(rng, area)] if rng.random() < 0.3 else [])
        revenue_cents = int(rng.paretovariate(1.2) * 20_000)
        wants_ticket = rng.random() < 0.12
        subject = rng.choice(_SUBJECTS)
        if code in existing:
            continue
        email = f"{first}.{last}.{code}@example.com".lower()
        customer = customers.create(
            code=code, name=f"{first} {last}", company=company, phones=phones, email=email,
            language=language, time_zone=zone, revenue_cents=revenue_cents,
            custom_fields={"source": "demo"}, notes="",
        ).customer
        if company:
            customers.add_contact(customer, name=f"{rng.choice(_FIRST)} {last}", role=rng.choice(_ROLES),
                                  phone=_phone(rng, area))
        if wants_ticket:
            ticket = tickets.open(customer, subject, description="Reported by phone.")
            if rng.random() < 0.5:
                tickets.move(ticket, IN_PROGRESS)
        created += 1
    if created:
        recompute_tiers(session, actor=DEMO_ACTOR, clock=clock)
    return created
