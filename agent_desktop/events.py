"""Domain events the desktop publishes: decisions a person made on the page that others must record."""

from __future__ import annotations

import dataclasses

from bus.events import DomainEvent


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CustomerMatched(DomainEvent):
    """The caller on ``call_id`` is now known to be this customer, set from the screen pop.

    ``agent_id`` is the agent the call was offered to; ``actor`` is the web account that decided
    (the agent itself, or a supervisor or admin acting for it). ``created`` tells whether the
    customer record was created from the pop rather than found. ``customer_id`` is the CRM's id,
    the same kind of value ``CallQueued.caller.customer_id`` carries.
    """

    call_id: str
    agent_id: str
    customer_id: str
    customer_code: str
    created: bool
    actor: str
