"""Interaction history: one row per call leg, recorded exactly once however often an event is replayed.

A leg is opened (insert-if-absent keyed by ``leg_id``), updated, and closed; the first close wins, so
replaying the event stream after a crash leaves the same rows. Which events open, fill and close which
leg is the recorder's business (:mod:`callcenter.interaction_rows`); this module only stores.

A call blind-transferred to another queue gets one leg per queue visit: the first leg (id = call id)
keeps the first agent and closes with outcome ``transferred``; queueing again opens ``<call id>#2`` (then
``#3``...). Later events find their leg by time (:func:`leg_at`).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_core.models import Customer, Interaction

INBOUND, OUTBOUND = "inbound", "outbound"
# A colleague consulted about a call: a leg of that call (its id is the consultation's call id).
CONSULT = "consult"
MANUAL = "manual"  # a call an agent placed by hand (click-to-dial)
TRANSFERRED = "transferred"  # CallEnded outcome of an agent's part of a blind-transferred call
TRANSFER_LEG_MARK = "#"  # legs after a transfer: "<call id>#2", "<call id>#3", ...
LEG_FIELDS = frozenset(
    {
        "call_id", "direction", "channel", "queue", "campaign", "agent_id", "customer_id", "customer_code",
        "ani", "dnis", "intent", "ivr_data", "enter_at", "answer_at", "end_at", "wait_seconds",
        "talk_seconds", "hold_seconds", "wrap_up_seconds", "outcome", "disposition", "notes",
    }
)
_DEFAULTS: dict[str, Any] = {"channel": "voice", "ivr_data": {}, "hold_seconds": 0.0, "notes": ""}


# Caller-controlled numbers (caller ID, dialled digits) longer than their columns are cut rather than
# refused: PostgreSQL would reject the whole write, and the call would get no row at all.
_CLIPPED_LENGTHS: dict[str, int] = {
    name: cast(String, Interaction.__table__.c[name].type).length or 0 for name in ("ani", "dnis")
}


class UnknownLeg(LookupError):
    """No interaction row has this leg id."""


class UnknownLegField(ValueError):
    """A keyword names no interaction column that callers may set."""


class UnsupportedDatabase(RuntimeError):
    """Idempotent inserts are implemented for SQLite and PostgreSQL only."""


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - LEG_FIELDS
    if unknown:
        raise UnknownLegField(f"not interaction fields: {', '.join(sorted(unknown))}")


def _clipped(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value[: _CLIPPED_LENGTHS[name]] if name in _CLIPPED_LENGTHS and isinstance(value, str) else value
        for name, value in fields.items()
    }


def _unset(value: Any) -> bool:
    return value is None or value == "" or value == {}


def get_leg(session: Session, leg_id: str) -> Interaction | None:
    """The interaction row of ``leg_id``, if recorded."""
    return session.scalars(select(Interaction).where(Interaction.leg_id == leg_id)).one_or_none()


def open_leg(
    session: Session, leg_id: str, *, call_id: str, direction: str, enter_at: float, **fields: Any
) -> Interaction:
    """Record a leg if it is new; if it exists, fill only its still-empty fields from ``fields``.

    Safe against replays and against two writers racing on the same leg (the insert is a no-op on
    conflict). ``ivr_data`` keys already stored keep their values.
    """
    _check_fields(fields)
    fields = _clipped(fields)
    values = {**_DEFAULTS, **fields, "leg_id": leg_id, "call_id": call_id, "direction": direction,
              "enter_at": enter_at}
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        lite_statement = sqlite.insert(Interaction).values(values)
        session.execute(lite_statement.on_conflict_do_nothing(index_elements=["leg_id"]))
    elif dialect == "postgresql":
        pg_statement = postgresql.insert(Interaction).values(values)
        session.execute(pg_statement.on_conflict_do_nothing(index_elements=["leg_id"]))
    else:
        raise UnsupportedDatabase(f"no idempotent insert for {dialect}")
    leg = get_leg(session, leg_id)
    assert leg is not None  # inserted above or already there
    for name, value in fields.items():
        if name == "ivr_data":
            merged = {**value, **leg.ivr_data}
            if merged != leg.ivr_data:
                leg.ivr_data = merged
        elif _unset(getattr(leg, name)) and not _unset(value):
            setattr(leg, name, value)
    session.flush()
    return leg


def update_leg(session: Session, leg_id: str, **fields: Any) -> Interaction:
    """Set ``fields`` on a recorded leg (``ivr_data`` is merged, newer keys win)."""
    _check_fields(fields)
    fields = _clipped(fields)
    leg = get_leg(session, leg_id)
    if leg is None:
        raise UnknownLeg(leg_id)
    for name, value in fields.items():
        if name == "ivr_data":
            value = {**leg.ivr_data, **value}
        if getattr(leg, name) != value:
            setattr(leg, name, value)
    session.flush()
    return leg


def close_leg(session: Session, leg_id: str, *, end_at: float, outcome: str, **fields: Any) -> Interaction:
    """End a leg with ``outcome``; wait and talk seconds are derived from the times when not given.

    A leg that is already closed is returned unchanged: the first close is the truth.
    """
    _check_fields(fields)
    fields = _clipped(fields)
    leg = get_leg(session, leg_id)
    if leg is None:
        raise UnknownLeg(leg_id)
    if leg.end_at is not None:
        return leg
    for name, value in fields.items():
        setattr(leg, name, {**leg.ivr_data, **value} if name == "ivr_data" else value)
    leg.end_at = end_at
    leg.outcome = outcome
    if leg.wait_seconds is None:
        leg.wait_seconds = max(0.0, (leg.answer_at or end_at) - leg.enter_at)
    if leg.talk_seconds is None and leg.answer_at is not None:
        leg.talk_seconds = max(0.0, end_at - leg.answer_at - leg.hold_seconds)
    session.flush()
    return leg


def stored_customer_id(session: Session, code: str | None, customer_id: str | None) -> int | None:
    """The stored customer named by code, or else by the database id the IVR put on the call."""
    if code:
        return session.scalar(select(Customer.id).where(Customer.code == code))
    if customer_id and customer_id.isdigit():
        return session.scalar(select(Customer.id).where(Customer.id == int(customer_id)))
    return None


def legs_of(session: Session, call_id: str) -> list[Interaction]:
    """Every leg of a call, in the order they began."""
    query = (select(Interaction).where(Interaction.call_id == call_id)
             .order_by(Interaction.enter_at, Interaction.id))
    return list(session.scalars(query))


def leg_at(session: Session, call_id: str, at: float, agent_id: str | None = None) -> str:
    """The leg an event of ``call_id`` at ``at`` belongs to: the last one ``agent_id`` took, else the last
    visit begun by ``at``, else the first leg (the call id)."""
    legs = legs_of(session, call_id)
    if agent_id is not None:
        taken = [leg for leg in legs if leg.agent_id == agent_id and leg.enter_at <= at]
        if taken:
            return taken[-1].leg_id
    begun = [leg for leg in legs if leg.enter_at <= at]
    return begun[-1].leg_id if begun else call_id


def last_ended_leg(session: Session, agent_id: str, at: float) -> Interaction | None:
    """The leg ``agent_id`` finished last, by ``at`` (the call whose wrap-up the agent is in)."""
    query = (
        select(Interaction)
        .where(Interaction.agent_id == agent_id, Interaction.end_at.is_not(None), Interaction.end_at <= at)
        .order_by(Interaction.end_at.desc(), Interaction.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def recent_interactions(session: Session, customer_id: int, limit: int = 10) -> list[Interaction]:
    """The customer's latest legs, newest first (for the screen pop)."""
    query = (
        select(Interaction)
        .where(Interaction.customer_id == customer_id)
        .order_by(Interaction.enter_at.desc(), Interaction.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
