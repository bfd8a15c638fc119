"""Adapters that connect the packages for ``serve``: the CRM as the IVR's customer directory and
the web app's customer-card source, and the web app itself."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.accounts import load_accounts
from agent_desktop.app import create_app
from agent_desktop.config import DesktopConfigError, desktop_config_from_raw
from agent_desktop.services import (
    AgentControl,
    CustomerCard,
    CustomerRejected,
    CustomerSummary,
    InteractionSummary,
    NewCustomer,
    PossibleDuplicate,
    PossibleDuplicates,
    TicketSummary,
)
from callcenter.node import Node, NodeStartError
from callcenter.outbound_dial import AmiCallPlacer
from callcenter.supervisor_actions import AcdSupervisor
from crm_core import lookup
from crm_core.codes import InvalidCustomerCode
from crm_core.customers import CustomerService
from crm_core.db import session_scope
from crm_core.fields import DEFAULT_REGION, InvalidField
from crm_core.interactions import recent_interactions
from crm_core.models import Customer
from crm_core.tickets import active_tickets
from ivr.directory import CustomerRecord, DirectoryUnavailable, TicketStatus

log = logging.getLogger(__name__)
T = TypeVar("T")


def _record(customer: Customer) -> CustomerRecord:
    return CustomerRecord(
        id=str(customer.id), code=customer.code, name=customer.name, tier=customer.tier, language=customer.language
    )


class CrmDirectory:
    """The IVR's :class:`ivr.directory.CustomerDirectory` over the CRM (one indexed query per look-up).

    While the database is unreachable, or a look-up has hung for ``stuck_after`` seconds, a look-up raises
    :class:`ivr.directory.DirectoryUnavailable` at once, so callers still reach an agent (as unidentified
    callers do) rather than being cut off or kept waiting; the outage is logged once, with its end.
    """

    def __init__(self, sessions: sessionmaker[Session], *, stuck_after: float = 1.0) -> None:
        self._sessions = sessions
        self._unreachable = False
        self._stuck_after = stuck_after
        self._started: dict[int, float] = {}  # look-ups under way: when each began (monotonic)
        self._lock = threading.Lock()

    def _read(self, query: Callable[[Session], T | None]) -> T | None:
        token = object()
        now = time.monotonic()
        with self._lock:
            if any(now - began > self._stuck_after for began in self._started.values()):
                # One hangs already: more of them would only fill the worker threads.
                raise DirectoryUnavailable("a CRM look-up has not answered; not asking again until it does")
            self._started[id(token)] = now
        try:
            with self._sessions() as session:
                found = query(session)
        except (OperationalError, InterfaceError) as exc:
            if not self._unreachable:
                self._unreachable = True
                log.error("CRM unreachable (%s): callers go on unidentified until it is back",
                          str(exc.orig or exc).strip())
            raise DirectoryUnavailable(str(exc.orig or exc).strip()) from exc
        finally:
            with self._lock:
                del self._started[id(token)]
        if self._unreachable:
            self._unreachable = False
            log.warning("CRM reachable again: callers are identified again")
        return found

    def find_by_code(self, code: str) -> CustomerRecord | None:
        def query(session: Session) -> CustomerRecord | None:
            customer = lookup.by_code(session, code)
            return None if customer is None else _record(customer)

        return self._read(query)

    def find_by_ani(self, ani: str) -> CustomerRecord | None:
        def query(session: Session) -> CustomerRecord | None:
            matches = lookup.by_ani(session, ani)
            # An ambiguous number identifies nobody.
            return _record(matches[0]) if len(matches) == 1 else None

        return self._read(query)

    def open_ticket_status(self, customer_id: str) -> TicketStatus | None:
        def query(session: Session) -> TicketStatus | None:
            tickets = active_tickets(session, int(customer_id))
            if not tickets:
                return None
            ticket = tickets[0]
            return TicketStatus(ticket_id=str(ticket.id), status=ticket.status, subject=ticket.subject)

        return self._read(query)


def crm_directory(sessions: sessionmaker[Session]) -> CrmDirectory:
    return CrmDirectory(sessions)


_CODE_SHAPE = re.compile(r"^\d{6}$")
# Two users creating at the same moment may both take the next free code; the loser takes the one after.
CREATE_ATTEMPTS = 3


# customers.id is an INTEGER column: 32 bits on PostgreSQL.
MAX_CUSTOMER_KEY = 2**31 - 1


def _customer_key(customer_id: str) -> int | None:
    """The ``customers.id`` that the web app's customer id names, or None when it names none: only ASCII
    digits count (``"²"`` is a digit to ``str.isdigit`` but no number to ``int``) and only as many as fit
    the column (longer would overflow SQLite's and PostgreSQL's integers, or ``int()`` itself)."""
    if not (customer_id.isascii() and customer_id.isdigit()) or len(customer_id) > len(str(MAX_CUSTOMER_KEY)):
        return None
    key = int(customer_id)
    return key if key <= MAX_CUSTOMER_KEY else None


def _summary(customer: Customer) -> CustomerSummary:
    return CustomerSummary(
        customer_id=str(customer.id), code=customer.code, name=customer.name, company=customer.company or "",
        phones=tuple(customer.phone_numbers), email=customer.email or "",
    )


class CrmCustomerCards:
    """The web app's :class:`agent_desktop.services.CustomerLookup` over the CRM."""

    def __init__(self, sessions: sessionmaker[Session], *, region: str = DEFAULT_REGION) -> None:
        self._sessions = sessions
        self._region = region

    async def search_customers(self, text: str, *, limit: int) -> list[CustomerSummary]:
        return await asyncio.to_thread(self._search, text, limit)

    async def create_customer(
        self, draft: NewCustomer, *, actor: str, allow_duplicates: bool
    ) -> CustomerSummary:
        return await asyncio.to_thread(self._create, draft, actor, allow_duplicates)

    def _search(self, text: str, limit: int) -> list[CustomerSummary]:
        found: dict[int, Customer] = {}
        with self._sessions() as session:
            if _CODE_SHAPE.match(text):
                by_code = lookup.by_code(session, text)
                if by_code is not None:
                    found[by_code.id] = by_code
            for customer in lookup.by_ani(session, text, self._region):
                found.setdefault(customer.id, customer)
            for hit in lookup.search(session, text, limit=limit):
                found.setdefault(hit.customer.id, hit.customer)
            return [_summary(c) for c in list(found.values())[:limit]]

    def _create(self, draft: NewCustomer, actor: str, allow_duplicates: bool) -> CustomerSummary:
        phones = [draft.phone] if draft.phone else []
        attempt = 0
        while True:
            attempt += 1
            try:
                with session_scope(self._sessions) as session:
                    created = CustomerService(session, actor, region=self._region).create(
                        name=draft.name, company=draft.company, phones=phones, email=draft.email
                    )
                    if created.duplicates and not allow_duplicates:
                        # Raising inside the scope rolls the new row and its audit rows back.
                        raise PossibleDuplicates(tuple(self._duplicates(session, created.duplicates)))
                    return _summary(created.customer)
            except (InvalidField, InvalidCustomerCode) as exc:
                raise CustomerRejected(str(exc)) from None
            except IntegrityError:
                if attempt == CREATE_ATTEMPTS:
                    raise

    @staticmethod
    def _duplicates(session: Session, warnings: list[lookup.DuplicateWarning]) -> list[PossibleDuplicate]:
        return [
            PossibleDuplicate(_summary(customer), w.reason)
            for w in warnings
            if (customer := session.get(Customer, w.customer_id)) is not None
        ]

    async def customer_card(self, customer_id: str) -> CustomerCard | None:
        return await asyncio.to_thread(self._card, customer_id)

    def _card(self, customer_id: str) -> CustomerCard | None:
        key = _customer_key(customer_id)
        if key is None:
            return None
        with self._sessions() as session:
            customer = session.get(Customer, key)
            if customer is None:
                return None
            return CustomerCard(
                customer_id=str(customer.id),
                code=customer.code,
                name=customer.name,
                company=customer.company or "",
                tier=customer.tier,
                phones=tuple(p.number for p in customer.phones),
                email=customer.email or "",
                language=customer.language,
                notes=customer.notes,
                custom_fields=tuple((str(k), str(v)) for k, v in (customer.custom_fields or {}).items()),
                last_interactions=tuple(
                    InteractionSummary(
                        at=i.enter_at,
                        direction=i.direction,
                        queue=i.queue,
                        agent_id=i.agent_id,
                        outcome=i.outcome,
                        disposition=i.disposition,
                        notes=i.notes,
                    )
                    for i in recent_interactions(session, customer.id, limit=5)
                ),
                open_tickets=tuple(
                    TicketSummary(ticket_id=str(t.id), subject=t.subject, status=t.status, opened_at=t.created_at)
                    for t in active_tickets(session, customer.id)
                ),
            )


def desktop_app(node: Node) -> web.Application:
    """The agent desktop / supervisor wall for ``node``; prints the demo logins."""
    assert node.sessions is not None
    settings = node.settings
    try:
        config = desktop_config_from_raw(settings.raw)
    except DesktopConfigError as exc:
        raise NodeStartError(f"settings: {exc}") from exc
    accounts, credentials = load_accounts(settings.raw, demo=settings.demo, stored=node.staff_accounts)
    for cred in credentials:
        node.say(f"  demo login ({cred.role}): {cred.username} / {cred.password}")
    control: AgentControl = node.agent_control()
    assert node.ami is not None and node.acd_service is not None and node.outbound is not None
    return create_app(
        bus=node.bus,
        accounts=accounts,
        agent_control=control,
        customer_lookup=CrmCustomerCards(node.sessions),
        supervisor_actions=AcdSupervisor(node.ami, node.acd_service),
        outbound=node.outbound,
        agent_directory=node.acd_service,
        config=config,
        call_placer=AmiCallPlacer(node.ami, node.acd_service, wrap_up_seconds=settings.manual_wrap_up_seconds),
        preview_dialer=node.dialer,
        dial_levels=node.dialer,
    )

