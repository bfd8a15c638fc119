"""Demo data: a few hundred believable customers with tiers, contacts and open tickets, and a small
knowledge base in English and Chinese."""

from __future__ import annotations

import random
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bus.clock import Clock
from crm_core.codes import make_customer_code
from crm_core.customers import CustomerService
from crm_core.knowledge import ArticleDraft, KnowledgeService
from crm_core.models import Customer, KnowledgeArticle
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
    seed_knowledge(session, clock=clock)
    return created


# (title, tags, language, text) of the demo knowledge base.
_ARTICLES = (
    ("Refund for a double charge", "billing refund invoice", "en",
     "Check the invoice number with the customer and look for two payments of the same amount on the same day.\n"
     "If both went through, open a ticket with priority high and subject 'Double charge <invoice>'. Finance "
     "refunds within five working days; tell the customer the money returns to the card they paid with."),
    ("Parcel has not arrived", "delivery shipping tracking", "en",
     "Ask for the order number and read the tracking status aloud. A parcel without a scan for three days is "
     "treated as lost: open a ticket and offer a replacement or a refund, whichever the customer prefers."),
    ("Resetting a portal password", "login password portal", "en",
     "The customer chooses 'Forgot password' on the login page; the link in the e-mail is valid for one hour. "
     "Never read out or type a password for the customer. A locked account unlocks itself after 15 minutes."),
    ("重复扣款的退款", "账单 退款 发票", "zh-CN",
     "先与客户核对发票号码，确认同一天是否有两笔相同金额的付款。\n如果两笔都已成功，请建立优先级为“高”的工单，"
     "财务部会在五个工作日内把款项退回客户付款时使用的银行卡。"),
    ("包裹未送达", "快递 物流 查询", "zh-CN",
     "请客户提供订单号，并读出最新的物流状态。三天没有任何扫描记录的包裹按丢失处理：建立工单，"
     "按客户意愿补发或退款。"),
    ("重置门户密码", "登录 密码 门户", "zh-CN",
     "请客户在登录页点击“忘记密码”，邮件中的链接一小时内有效。切勿替客户读出或输入密码。"
     "账户被锁定后十五分钟会自动解锁。"),
)


def seed_knowledge(session: Session, *, clock: Clock = time.time) -> int:
    """Store the demo articles whose titles are not there yet; returns how many were new."""
    titles = set(session.scalars(select(KnowledgeArticle.title)))
    writer = KnowledgeService(session, DEMO_ACTOR, clock)
    new = [ArticleDraft(title, body, tags, language) for title, tags, language, body in _ARTICLES
           if title not in titles]
    for draft in new:
        writer.create(draft)
    return len(new)
