"""What the IVR needs from the CRM: customer look-ups by code and caller number, open ticket status.

The CRM (``crm_core``) provides the real implementation; :class:`InMemoryDirectory` serves demos,
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
    """Synchronous, fast look-ups (one indexed query or a cache hit each); called inside IVR steps."""

    def find_by_code(self, code: str) -> CustomerRecord | None:
        """The customer with this customer code, or None."""
        ...

    def find_by_ani(self, ani: str) -> CustomerRecord | None:
        """The one customer owning this caller number, or None when unknown or ambiguous."""
        ...

    def open_ticket_status(self, customer_id: str) -> TicketStatus | None:
        """The customer's open ticket to read back, or None when there is none."""
        ...


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
