"""What the IVR needs from the CRM: customer look-ups by code and caller number, open ticket status.

The interpreter never calls a directory: it returns a look-up request (:class:`CustomerByCode`,
:class:`CustomerByAni`, :class:`OpenTicket`) and takes the answer (:class:`FoundCustomer`,
:class:`FoundTicket`) through ``feed``; the edge answers with :func:`look_up`, off the event loop.
The CRM (``crm_core``) provides the real directory; :class:`InMemoryDirectory` serves demos,
benchmarks and tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Protocol


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerRecord:
    """The slice of a customer the IVR and the ACD care about."""

    id: str
    code: str
    name: str
    tier: str
    language: str = "en"


@dataclasses.dataclass(frozen=True, slots=True)
class TicketStatus:
    """The caller's most relevant open service ticket."""

    ticket_id: str
    status: str
    subject: str = ""


class CustomerDirectory(Protocol):
    """Synchronous, fast look-ups (one indexed query or a cache hit each). The FastAGI runner calls
    them in worker threads, so an implementation must be safe to call from several threads at once.
    Each raises :class:`DirectoryUnavailable` when it cannot answer now."""

    def find_by_code(self, code: str) -> CustomerRecord | None:
        """The customer with this customer code, or None."""
        ...

    def find_by_ani(self, ani: str) -> CustomerRecord | None:
        """The one customer owning this caller number, or None when unknown or ambiguous."""
        ...

    def open_ticket_status(self, customer_id: str) -> TicketStatus | None:
        """The customer's open ticket to read back, or None when there is none."""
        ...


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerByCode:
    """Find the customer with this code; answer with :class:`FoundCustomer`."""

    code: str


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerByAni:
    """Find the one customer owning this caller number; answer with :class:`FoundCustomer`."""

    ani: str


@dataclasses.dataclass(frozen=True, slots=True)
class OpenTicket:
    """Find this customer's open ticket to read back; answer with :class:`FoundTicket`."""

    customer_id: str


LookUp = CustomerByCode | CustomerByAni | OpenTicket


class DirectoryUnavailable(Exception):
    """The directory cannot answer now (its database is out or too slow): the caller goes on unidentified."""


@dataclasses.dataclass(frozen=True, slots=True)
class FoundCustomer:
    """The answer to :class:`CustomerByCode` or :class:`CustomerByAni` (None: nobody; ``unavailable``: nobody
    because the directory could not be asked, so a code keyed is not wrong, only unchecked)."""

    customer: CustomerRecord | None
    unavailable: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class FoundTicket:
    """The answer to :class:`OpenTicket` (None: no open ticket)."""

    ticket: TicketStatus | None


LookUpAnswer = FoundCustomer | FoundTicket


def look_up(directory: CustomerDirectory, request: LookUp) -> LookUpAnswer:
    """Carry out ``request`` on ``directory`` (blocking: run it in a worker thread on an event loop)."""
    try:
        return _ask(directory, request)
    except DirectoryUnavailable:
        return unanswered(request)


def unanswered(request: LookUp) -> LookUpAnswer:
    """The answer to ``request`` when the directory cannot be asked: nobody, no ticket."""
    return FoundTicket(None) if isinstance(request, OpenTicket) else FoundCustomer(None, unavailable=True)


def _ask(directory: CustomerDirectory, request: LookUp) -> LookUpAnswer:
    match request:
        case CustomerByCode():
            return FoundCustomer(directory.find_by_code(request.code))
        case CustomerByAni():
            return FoundCustomer(directory.find_by_ani(request.ani))
        case OpenTicket():
            return FoundTicket(directory.open_ticket_status(request.customer_id))


class InMemoryDirectory:
    """A :class:`CustomerDirectory` over dictionaries; ANI keys are compared digit for digit."""

    def __init__(
        self,
        customers: Iterable[CustomerRecord] = (),
        *,
        phones: Mapping[str, str] | None = None,
        tickets: Mapping[str, TicketStatus] | None = None,
    ) -> None:
        self._by_code = {c.code: c for c in customers}
        by_id = {c.id: c for c in self._by_code.values()}
        self._by_ani = {_digits(ani): by_id[cid] for ani, cid in (phones or {}).items()}
        self._tickets = dict(tickets or {})

    def find_by_code(self, code: str) -> CustomerRecord | None:
        return self._by_code.get(code)

    def find_by_ani(self, ani: str) -> CustomerRecord | None:
        return self._by_ani.get(_digits(ani))

    def open_ticket_status(self, customer_id: str) -> TicketStatus | None:
        return self._tickets.get(customer_id)


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())
