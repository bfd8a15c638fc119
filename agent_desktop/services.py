"""What the web app calls in the rest of the product: small Protocols the lead wires to real services.

The desktop never imports the ACD service or the CRM; it is given objects satisfying these
Protocols. State changes come back as domain events on the bus, not as return values, so the
page shows what the ACD decided rather than what the browser asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Protocol

from acd.control import AgentControlRefused as AgentControlRefused


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

    async def extend_wrap_up(self, agent_id: str) -> None: ...

    async def set_auto_answer(self, agent_id: str, seconds: int | None) -> None:
        """Ring the agent's phone asking it to answer by itself after ``seconds`` (None: the agent answers)."""
        ...

    async def dispose(self, call_id: str, agent_id: str, disposition: str, notes: str) -> None: ...

    async def transfer_to_queue(self, call_id: str, agent_id: str | None, queue: str) -> None:
        """Blind-transfer the talking call to ``queue``; ``agent_id`` is the asking agent (their own call
        only), None for a supervisor or admin (any talking call)."""
        ...

    async def transfer_to_agent(self, call_id: str, agent_id: str | None, target_agent: str) -> None:
        """Blind-transfer the talking call to ``target_agent``, who must be ready; if their phone is not
        answered the caller waits in the call's queue. ``agent_id`` as for :meth:`transfer_to_queue`."""
        ...

    async def hold(self, call_id: str, agent_id: str | None) -> None:
        """Put the caller of a talking call on hold (music); ``agent_id`` as for :meth:`transfer_to_queue`."""
        ...

    async def resume(self, call_id: str, agent_id: str | None) -> None:
        """Bring the caller on hold back to the agent."""
        ...

    async def consult(
        self, call_id: str, agent_id: str | None, *, target_agent: str | None = None, queue: str | None = None
    ) -> None:
        """Hold the caller and call ``target_agent`` (who must be ready) or ``queue`` about the call (one of
        the two); the outcome arrives as ``ConsultStarted``/``ConsultEnded`` events."""
        ...

    async def complete_consult(self, call_id: str, agent_id: str | None) -> None:
        """Hand the caller to the consulted colleague (attended transfer); the agent's part ends."""
        ...

    async def cancel_consult(self, call_id: str, agent_id: str | None) -> None:
        """End the consultation and bring the agent back to the caller."""
        ...


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerSummary:
    """Enough of a customer to pick it from a list on the pop."""

    customer_id: str
    code: str
    name: str
    company: str = ""
    phones: tuple[str, ...] = ()
    email: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class PossibleDuplicate:
    """A stored customer that looks like the one about to be created, and why (e.g. "same phone ...")."""

    customer: CustomerSummary
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class NewCustomer:
    """What an agent types on the pop to create a customer; only ``name`` is required."""

    name: str
    company: str = ""
    phone: str = ""
    email: str = ""


class CustomerRejected(ValueError):
    """A new customer's field cannot be accepted; ``str()`` names the field and says why."""


class PossibleDuplicates(Exception):
    """Creation held back: stored customers look like the new one and the user has not confirmed."""

    def __init__(self, duplicates: tuple[PossibleDuplicate, ...]) -> None:
        super().__init__(f"{len(duplicates)} stored customer(s) look like this one")
        self.duplicates = duplicates


class CustomerLookup(Protocol):
    """The CRM as the screen pop uses it: read a card, find customers, create one from the pop."""

    async def customer_card(self, customer_id: str) -> CustomerCard | None: ...

    async def search_customers(self, text: str, *, limit: int) -> list[CustomerSummary]:
        """Customers whose code or phone is ``text``, then those whose name or company resembles it."""
        ...

    async def create_customer(
        self, draft: NewCustomer, *, actor: str, allow_duplicates: bool
    ) -> CustomerSummary:
        """Store ``draft`` on behalf of ``actor`` (audited); raises :class:`CustomerRejected`, and
        :class:`PossibleDuplicates` (storing nothing) when look-alikes exist and not ``allow_duplicates``."""
        ...


class DialLevels(Protocol):
    """The dialer's pacing as the wall shows it, by campaign id, now: lines dialled per available agent, and how
    each predictive campaign paces (from its model, learning, or at its abandon limit)."""

    def dial_levels(self) -> Mapping[int, float]: ...

    def pacing_states(self) -> Mapping[int, str]: ...


class DialRefused(Exception):
    """The rules forbid dialling a number now: ``rule`` names which (``dnc``, ``window``, ``number`` for text
    that is no phone number), ``detail`` says why in English, ``next_at`` when it may be dialled (if known)."""

    def __init__(self, rule: str, detail: str, next_at: float | None = None) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail
        self.next_at = next_at


class DialFailed(Exception):
    """The call could not be placed (no PBX link, no phone for the agent, the PBX refused)."""


class ManualWrapUp(Protocol):
    """Keeps the agent's wrap-up of a call they placed by hand."""

    async def wrap_up(self, call_id: str, agent_id: str, disposition: str, notes: str) -> None:
        """The agent's disposition of their answered call ``call_id`` (saved during the talk: kept until it
        ends); :class:`NoManualCall` if they have none."""
        ...


class NoManualCall(LookupError):
    """The agent has no call placed by hand by that id to wrap up (over and wrapped up, or never theirs)."""


class PreviewGone(LookupError):
    """The lead is not the one held for this agent's preview (skipped, dialled, or never offered)."""


@dataclasses.dataclass(frozen=True, slots=True)
class PreviewLead:
    """The lead a preview campaign holds for an agent to look at before dialling (or skipping) it."""

    campaign_id: int
    campaign_name: str
    lead_id: int
    name: str
    number: str
    fields: tuple[tuple[str, str], ...] = ()
    customer_id: str | None = None
    attempts: int = 0
    auto_dial_seconds: int | None = None  # dialled by itself after this long unless skipped (None: never)


@dataclasses.dataclass(frozen=True, slots=True)
class PlacedCall:
    """A call placed for an agent: the number dialled, the PBX's reference of the attempt, and the rule a
    supervisor overrode to place it (None: the rules allowed it)."""

    e164: str
    reference: str
    overridden: str | None = None


class OutboundDesk(Protocol):
    """What an agent's desktop asks of outbound dialling: the preview card of preview campaigns, and dialling
    a number from a customer's card under the do-not-call lists and calling windows (a supervisor may
    override, audited). Each raises :class:`DialRefused`, :class:`DialFailed` or :class:`PreviewGone`."""

    async def preview(self, agent_id: str) -> PreviewLead | None:
        """The lead held for the agent (the same one until dialled or skipped); None when none is due."""
        ...

    async def dial_preview(self, agent_id: str, lead_id: int) -> PlacedCall: ...

    async def skip_preview(self, agent_id: str, lead_id: int, reason: str) -> None: ...

    async def click_to_dial(self, agent_id: str, number: str, *, customer_id: str | None = None,
                            override_by: str | None = None, override_reason: str = "") -> PlacedCall:
        """Call ``number`` for ``agent_id``; ``override_by`` (a supervisor or admin) dials past a refusal,
        with ``override_reason`` in the audit trail."""
        ...
