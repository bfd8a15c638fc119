"""What the web app calls in the rest of the product: small Protocols the lead wires to real services.

The desktop never imports the ACD service or the CRM; it is given objects satisfying these
Protocols. State changes come back as domain events on the bus, not as return values, so the
page shows what the ACD decided rather than what the browser asked for.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol


class AgentControlRefused(Exception):
    """The ACD refused a request (illegal state move, unknown agent or call); ``str()`` says why."""


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionSummary:
    """One past contact with the customer, as shown in the screen pop."""

    at: float
    direction: str
    queue: str | None = None
    agent_id: str | None = None
    outcome: str | None = None
    disposition: str | None = None
    notes: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class TicketSummary:
    """An open service ticket of the customer."""

    ticket_id: str
    subject: str
    status: str
    opened_at: float


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerCard:
    """The customer record a screen pop shows; every text field may hold anything a user typed."""

    customer_id: str
    code: str
    name: str
    company: str = ""
    tier: str | None = None
    phones: tuple[str, ...] = ()
    email: str = ""
    language: str = ""
    notes: str = ""
    custom_fields: tuple[tuple[str, str], ...] = ()
    last_interactions: tuple[InteractionSummary, ...] = ()
    open_tickets: tuple[TicketSummary, ...] = ()


class AgentControl(Protocol):
    """Commands the desktop sends to the ACD; each raises :class:`AgentControlRefused` when refused."""

    async def set_ready(self, agent_id: str) -> None: ...

    async def set_not_ready(self, agent_id: str, reason: str) -> None: ...

    async def logout(self, agent_id: str) -> None: ...

    async def dispose(self, call_id: str, agent_id: str, disposition: str, notes: str) -> None: ...


class CustomerLookup(Protocol):
    """Read access to customer records for screen pops."""

    async def customer_card(self, customer_id: str) -> CustomerCard | None: ...
