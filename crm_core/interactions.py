"""Interaction history: one row per call leg, recorded exactly once however often an event is replayed.

A leg is opened (insert-if-absent keyed by ``leg_id``), updated, and closed; the first close wins, so
replaying the event stream after a crash leaves the same rows. :func:`apply_event` maps the domain
events of a call onto that API, using the call id as the leg id: the PBX's channel in the inbound
context opens it (DNIS, arrival time), the IVR fills in who calls and why (and ends it when the call
never reaches a queue), the ACD adds queue, agent, times, outcome and disposition.

A call blind-transferred to another queue gets one leg per queue visit: the first leg (id = call id)
keeps the first agent and closes with outcome ``transferred``; queueing again opens ``<call id>#2`` (then
``#3``...) carrying the same caller, customer and IVR data. Later events find their leg by time (the
last visit that began by then) and, when they name an agent, by that agent, so replays stay stable.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from acd.events import (
    CallAbandoned,
    CallbackRequested,
    CallConnected,
    CallDisposed,
    CallEnded,
    CallOffered,
    CallQueued,
)
from agent_desktop.events import CustomerMatched
from callcenter.events import DomainEvent
from crm_core.models import Customer, Interaction
from cti.ami.events import ChannelAppeared
from ivr.events import IvrFinished
from ivr.outcome import OutcomeKind

INBOUND, OUTBOUND = "inbound", "outbound"
# A colleague consulted about a call: a leg of that call (its id is the consultation's call id).
CONSULT = "consult"
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
# The dialplan context where calls from the network start (see asterisk_conf).
INBOUND_CONTEXTS = frozenset({"callcenter-inbound"})
# Asterisk's state of a channel ringing in from outside (a trunk channel; the ``;2`` half of a Local
# pair). The ``;1`` half of a Local pair appears Down in the same context and is not a leg of its own.
RING_STATE = 4
# The events :func:`apply_event` records; a bus listener can filter on these.
LEG_EVENTS: tuple[type[DomainEvent], ...] = (
    ChannelAppeared, IvrFinished, CallQueued, CallOffered, CallConnected, CallAbandoned, CallbackRequested,
    CallEnded, CallDisposed, CustomerMatched,
)


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


def _customer_id(session: Session, code: str | None, customer_id: str | None) -> int | None:
    """The stored customer an event names, by code or else by the database id the IVR put on the call."""
    if code:
        return session.scalar(select(Customer.id).where(Customer.code == code))
    if customer_id and customer_id.isdigit():
        return session.scalar(select(Customer.id).where(Customer.id == int(customer_id)))
    return None


def _open_from(session: Session, leg_id: str, queue: str, enter_at: float, **fields: Any) -> Interaction:
    call_id = leg_id.partition(TRANSFER_LEG_MARK)[0]
    return open_leg(session, leg_id, call_id=call_id, direction=INBOUND, enter_at=enter_at, queue=queue,
                    **fields)


def _legs_of(session: Session, call_id: str) -> list[Interaction]:
    query = (select(Interaction).where(Interaction.call_id == call_id)
             .order_by(Interaction.enter_at, Interaction.id))
    return list(session.scalars(query))


def _leg_at(session: Session, call_id: str, at: float, agent_id: str | None = None) -> str:
    """The leg an event of ``call_id`` at ``at`` belongs to: the last one ``agent_id`` took, else the last
    visit begun by ``at``, else the first leg (the call id)."""
    legs = _legs_of(session, call_id)
    if agent_id is not None:
        taken = [leg for leg in legs if leg.agent_id == agent_id and leg.enter_at <= at]
        if taken:
            return taken[-1].leg_id
    begun = [leg for leg in legs if leg.enter_at <= at]
    return begun[-1].leg_id if begun else call_id


def _queued_leg(session: Session, event: CallQueued) -> str:
    """A call queued again after its leg ended ``transferred`` opens the next leg, copying the caller's
    data; otherwise the call's current leg."""
    legs = _legs_of(session, event.call_id)
    begun = [leg for leg in legs if leg.enter_at <= event.enter_time]
    current = begun[-1] if begun else None
    if current is None or current.outcome != TRANSFERRED or current.enter_at >= event.enter_time:
        return current.leg_id if current is not None else event.call_id
    leg_id = f"{event.call_id}{TRANSFER_LEG_MARK}{len(legs) + 1}"
    first = legs[0]
    open_leg(session, leg_id, call_id=event.call_id, direction=INBOUND, enter_at=event.enter_time,
             ani=first.ani, dnis=first.dnis, customer_id=first.customer_id, customer_code=first.customer_code,
             intent=first.intent, ivr_data=dict(first.ivr_data))
    return leg_id


def _apply_ivr_finished(session: Session, event: IvrFinished) -> Interaction:
    """Who called and why; a call that leaves the IVR other than to a queue ends its leg here."""
    ivr: dict[str, Any] = dict(event.ivr_data)
    if event.unidentified:
        ivr["unidentified"] = True
    leg = open_leg(
        session, event.call_id, call_id=event.call_id, direction=INBOUND,
        enter_at=event.entered_at or event.at, queue=event.queue, customer_code=event.customer_code,
        customer_id=_customer_id(session, event.customer_code, event.customer_id),
        ani=event.ani or None, dnis=event.dnis or None, intent=event.intent, ivr_data=ivr,
    )
    if event.outcome == OutcomeKind.QUEUE:
        return leg
    # Same word as the ACD's CallbackRequested, so reports count call-backs one way.
    outcome = "callback_requested" if event.outcome == OutcomeKind.CALLBACK else event.outcome
    # The call never waited in a queue: its IVR time is not queue wait.
    return close_leg(session, event.call_id, end_at=event.at, outcome=outcome, wait_seconds=0.0,
                     ivr_data={"last_node": event.last_node})


def apply_event(
    session: Session, event: DomainEvent, *, inbound_contexts: frozenset[str] = INBOUND_CONTEXTS
) -> Interaction | None:
    """Record a call's event on its leg; other events (and channels not ringing into
    ``inbound_contexts``) are ignored (``None``).

    Every event first opens the leg if it is missing (e.g. the process restarted mid-call), so the
    row is complete whichever events survive.
    """
    match event:
        case ChannelAppeared():
            # A resynced channel is old: its leg was opened when it rang in, or is opened by the next event.
            if event.context not in inbound_contexts or event.state != RING_STATE or event.resynced:
                return None
            return open_leg(session, event.uniqueid, call_id=event.uniqueid, direction=INBOUND,
                            enter_at=event.at, ani=event.caller_id_num or None, dnis=event.exten or None)
        case IvrFinished():
            return _apply_ivr_finished(session, event)
        case CallQueued() if event.consult_of is not None:
            return open_leg(
                session, event.call_id, call_id=event.consult_of, direction=CONSULT, enter_at=event.enter_time,
                queue=event.queue, customer_code=event.customer_code,
                customer_id=_customer_id(session, event.customer_code, event.customer_id), ani=event.ani,
                intent=event.intent,
            )
        case CallQueued():
            ivr = {"unidentified": True} if event.unidentified else {}
            return _open_from(
                session, _queued_leg(session, event), event.queue, event.enter_time,
                customer_code=event.customer_code,
                customer_id=_customer_id(session, event.customer_code, event.customer_id),
                ani=event.ani, intent=event.intent, ivr_data=ivr,
            )
        case CallOffered():
            leg_id = _leg_at(session, event.call_id, event.at)
            _open_from(
                session, leg_id, event.queue, event.at - event.wait_seconds,
                customer_code=event.customer_code,
                customer_id=_customer_id(session, event.customer_code, event.customer_id),
                ani=event.ani, intent=event.intent,
            )
            return update_leg(session, leg_id, agent_id=event.agent_id, ivr_data=dict(event.ivr_data))
        case CallConnected():
            leg_id = _leg_at(session, event.call_id, event.at)
            _open_from(session, leg_id, event.queue, event.at - event.wait_seconds)
            return update_leg(
                session, leg_id, agent_id=event.agent_id, answer_at=event.at,
                wait_seconds=event.wait_seconds,
            )
        case CallAbandoned():
            leg_id = _leg_at(session, event.call_id, event.at)
            _open_from(session, leg_id, event.queue, event.at - event.wait_seconds)
            return close_leg(session, leg_id, end_at=event.at, outcome="abandoned",
                             wait_seconds=event.wait_seconds)
        case CallbackRequested():
            leg_id = _leg_at(session, event.call_id, event.at)
            _open_from(session, leg_id, event.queue, event.enter_time)
            return close_leg(session, leg_id, end_at=event.at, outcome="callback_requested")
        case CallEnded():
            leg_id = _leg_at(session, event.call_id, event.at, event.agent_id)
            _open_from(session, leg_id, event.queue, event.at - event.talk_seconds)
            # The row's talk time leaves out the time on hold, which it keeps apart.
            fields: dict[str, Any] = {"talk_seconds": max(0.0, event.talk_seconds - event.held_seconds),
                                      "hold_seconds": event.held_seconds}
            if event.agent_id is not None:
                fields["agent_id"] = event.agent_id
            return close_leg(session, leg_id, end_at=event.at, outcome=event.outcome, **fields)
        case CustomerMatched():
            if get_leg(session, event.call_id) is None:
                raise UnknownLeg(event.call_id)
            leg_id = _leg_at(session, event.call_id, event.at)
            return update_leg(session, leg_id, customer_code=event.customer_code,
                              customer_id=_customer_id(session, event.customer_code, event.customer_id))
        case CallDisposed():
            if get_leg(session, event.call_id) is None:
                raise UnknownLeg(event.call_id)
            leg_id = _leg_at(session, event.call_id, event.at, event.agent_id)
            leg = get_leg(session, leg_id)
            assert leg is not None  # found among the call's legs
            wrap_up = None if leg.end_at is None else max(0.0, event.at - leg.end_at)
            return update_leg(session, leg_id, disposition=event.disposition, notes=event.notes,
                              agent_id=event.agent_id, wrap_up_seconds=wrap_up)
    return None


def recent_interactions(session: Session, customer_id: int, limit: int = 10) -> list[Interaction]:
    """The customer's latest legs, newest first (for the screen pop)."""
    query = (
        select(Interaction)
        .where(Interaction.customer_id == customer_id)
        .order_by(Interaction.enter_at.desc(), Interaction.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
