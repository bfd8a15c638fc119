"""Interaction rows from bus events: which event opens, fills and closes which leg of a call.

The leg id is the call id: the PBX's channel in the inbound context opens it (DNIS, arrival time), the
IVR fills in who calls and why (and ends it when the call never reaches a queue), the ACD adds queue,
agent, times, outcome and disposition. A campaign's attempt opens an outbound leg (the attempt id is the
leg and call id) with its campaign, number and lead; one that reaches nobody ends there with the dial's
outcome, a person handed to an agent goes on with the ACD's events like an inbound call. A call an agent
places by hand is one ``manual`` leg: its agent, number and customer, and what it came to. A call queued
again after a blind transfer opens its next leg (``<call id>#2``), and a call-back ringing the caller opens
``<call id>#callback``, both carrying the same caller, customer and IVR data: the first leg keeps the call's
queue outcome (see :mod:`reports.rollups`). Every write is idempotent per leg
(see :mod:`crm_core.interactions`), so a replayed or retried event leaves the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallbackRequested,
    CallConnected,
    CallDisposed,
    CallEnded,
    CallOffered,
    CallQueued,
)
from agent_desktop.events import CustomerMatched
from bus.events import DomainEvent
from crm_core.eventlog import unavailable_on_connection_loss
from crm_core.interactions import (
    CONSULT,
    INBOUND,
    MANUAL,
    OUTBOUND,
    TRANSFER_LEG_MARK,
    TRANSFERRED,
    UnknownLeg,
    close_leg,
    get_leg,
    last_ended_leg,
    leg_at,
    legs_of,
    open_leg,
    stored_customer_id,
    update_leg,
)
from crm_core.models import Interaction
from cti.ami.events import ChannelAppeared
from ivr.caller import CallerData
from ivr.events import IvrFinished
from ivr.outcome import OutcomeKind
from outbound.dial_events import (
    CONNECTED,
    CampaignDialEnded,
    CampaignDialPlaced,
    EarlierAttemptsLost,
    ManualCallDisposed,
    ManualCallEnded,
    ManualCallPlaced,
)
from reports.rollup_store import keep_rollups, record_agent_state
from reports.rollups import CALLBACK_LEG, KpisOf

# The dialplan context where calls from the network start (see asterisk_conf).
INBOUND_CONTEXTS = frozenset({"callcenter-inbound"})
# Asterisk's state of a channel ringing in from outside (a trunk channel; the ``;2`` half of a Local
# pair). The ``;1`` half of a Local pair appears Down in the same context and is not a leg of its own.
RING_STATE = 4
# The events :func:`apply_event` records; a bus listener can filter on these.
LEG_EVENTS: tuple[type[DomainEvent], ...] = (
    ChannelAppeared, IvrFinished, CallQueued, CallOffered, CallConnected, CallAbandoned, CallbackRequested,
    CallEnded, CallDisposed, CustomerMatched, AgentStateChanged, CampaignDialPlaced, CampaignDialEnded,
    ManualCallPlaced, ManualCallEnded, ManualCallDisposed, EarlierAttemptsLost,
)
WRAP_UP = "wrap_up"  # the agent state of after-call work (acd.agents.AgentState.WRAP_UP)
CALLBACK_REQUESTED = "callback_requested"  # the outcome of a leg whose caller asked to be called back
LOST = "lost"  # the outcome of a campaign attempt of an earlier dialer run that no report ended


def _close_lost(session: Session, before: float, at: float) -> None:
    """Close the campaign attempts dialled before ``before`` that are still open and nobody answered: ``lost``,
    ended (as far as anyone knows) when the dialer said so."""
    lost = session.scalars(select(Interaction).where(
        Interaction.direction == OUTBOUND, Interaction.end_at.is_(None), Interaction.answer_at.is_(None),
        Interaction.enter_at < before)).all()
    for leg in lost:
        close_leg(session, leg.leg_id, end_at=at, outcome=LOST)


def _open_from(session: Session, leg_id: str, queue: str, enter_at: float, **fields: Any) -> Interaction:
    call_id = leg_id.partition(TRANSFER_LEG_MARK)[0]
    return open_leg(session, leg_id, call_id=call_id, direction=INBOUND, enter_at=enter_at, queue=queue,
                    **fields)


def _caller_columns(session: Session, caller: CallerData) -> dict[str, Any]:
    """A leg's columns about who calls: the customer (by the id stored for its code), number and intent."""
    return {
        "customer_code": caller.customer_code,
        "customer_id": stored_customer_id(session, caller.customer_code, caller.customer_id),
        "ani": caller.ani, "intent": caller.intent,
    }


def _next_leg(session: Session, first: Interaction, leg_id: str, enter_at: float) -> str:
    """Open a later leg of ``first``'s call, copying the caller's data (the events fill in its queue)."""
    open_leg(session, leg_id, call_id=first.call_id, direction=INBOUND, enter_at=enter_at, ani=first.ani,
             dnis=first.dnis, customer_id=first.customer_id, customer_code=first.customer_code, intent=first.intent,
             ivr_data=dict(first.ivr_data))
    return leg_id


def _queued_leg(session: Session, event: CallQueued) -> str:
    """A call queued again after its leg ended ``transferred`` opens the next leg, copying the caller's
    data; otherwise the call's current leg."""
    legs = legs_of(session, event.call_id)
    begun = [leg for leg in legs if leg.enter_at <= event.enter_time]
    current = begun[-1] if begun else None
    if current is None or current.outcome != TRANSFERRED or current.enter_at >= event.enter_time:
        return current.leg_id if current is not None else event.call_id
    return _next_leg(session, legs[0], f"{event.call_id}{TRANSFER_LEG_MARK}{len(legs) + 1}", event.enter_time)


def _ringing_leg(session: Session, call_id: str, at: float) -> str:
    """The leg an agent's ring of ``call_id`` at ``at`` belongs to: a call whose leg ended with a call-back
    request is rung back on its own call-back leg (opened here, from the ring's time)."""
    leg_id = leg_at(session, call_id, at)
    leg = get_leg(session, leg_id)
    if leg is None or leg.end_at is None or leg.outcome != CALLBACK_REQUESTED:
        return leg_id
    return _next_leg(session, leg, call_id + CALLBACK_LEG, at)


def _apply_ivr_finished(session: Session, event: IvrFinished) -> Interaction:
    """Who called and why; a call that leaves the IVR other than to a queue ends its leg here."""
    ivr: dict[str, Any] = dict(event.caller.ivr_data)
    if event.caller.unidentified:
        ivr["unidentified"] = True
    leg = open_leg(
        session, event.call_id, call_id=event.call_id, direction=INBOUND,
        enter_at=event.entered_at or event.at, queue=event.queue, **_caller_columns(session, event.caller),
        dnis=event.dnis or None, ivr_data=ivr,
    )
    if event.outcome == OutcomeKind.QUEUE:
        return leg
    # Same word as the ACD's CallbackRequested, so reports count call-backs one way.
    outcome = CALLBACK_REQUESTED if event.outcome == OutcomeKind.CALLBACK else event.outcome
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
                queue=event.queue, **_caller_columns(session, event.caller),
            )
        case CallQueued():
            ivr = {"unidentified": True} if event.caller.unidentified else {}
            return _open_from(
                session, _queued_leg(session, event), event.queue, event.enter_time,
                **_caller_columns(session, event.caller), ivr_data=ivr,
            )
        case CallOffered():
            leg_id = _ringing_leg(session, event.call_id, event.at)
            _open_from(session, leg_id, event.queue, event.at - event.wait_seconds,
                       **_caller_columns(session, event.caller))
            return update_leg(session, leg_id, agent_id=event.agent_id, ivr_data=dict(event.caller.ivr_data))
        case CallConnected():
            leg_id = _ringing_leg(session, event.call_id, event.at)
            _open_from(session, leg_id, event.queue, event.at - event.wait_seconds)
            return update_leg(
                session, leg_id, agent_id=event.agent_id, answer_at=event.at,
                wait_seconds=event.wait_seconds,
            )
        case CallAbandoned():
            leg_id = leg_at(session, event.call_id, event.at)
            _open_from(session, leg_id, event.queue, event.at - event.wait_seconds)
            return close_leg(session, leg_id, end_at=event.at, outcome="abandoned",
                             wait_seconds=event.wait_seconds)
        case CallbackRequested():
            leg_id = leg_at(session, event.call_id, event.at)
            _open_from(session, leg_id, event.queue, event.enter_time)
            return close_leg(session, leg_id, end_at=event.at, outcome=CALLBACK_REQUESTED)
        case CallEnded():
            leg_id = leg_at(session, event.call_id, event.at, event.agent_id)
            _open_from(session, leg_id, event.queue, event.at - event.talk_seconds)
            # The row's talk time leaves out the time on hold, which it keeps apart.
            fields: dict[str, Any] = {"talk_seconds": max(0.0, event.talk_seconds - event.held_seconds),
                                      "hold_seconds": event.held_seconds}
            if event.agent_id is not None:
                fields["agent_id"] = event.agent_id
            return close_leg(session, leg_id, end_at=event.at, outcome=event.outcome, **fields)
        case CampaignDialPlaced():
            return open_leg(session, event.attempt_id, call_id=event.attempt_id, direction=OUTBOUND,
                            enter_at=event.at, queue=event.queue, campaign=event.campaign, ani=event.number,
                            agent_id=event.agent_id, ivr_data={"campaign_id": str(event.campaign_id),
                                                               "lead_id": str(event.lead_id)})
        case CampaignDialEnded() if event.outcome != CONNECTED:
            open_leg(session, event.attempt_id, call_id=event.attempt_id, direction=OUTBOUND,
                     enter_at=event.at - event.ring_seconds, campaign=event.campaign)
            return close_leg(session, event.attempt_id, end_at=event.at, outcome=event.outcome,
                             wait_seconds=event.ring_seconds)
        case EarlierAttemptsLost():
            _close_lost(session, event.before, event.at)
            return None
        case ManualCallPlaced():
            return open_leg(session, event.call_id, call_id=event.call_id, direction=MANUAL, enter_at=event.at,
                            agent_id=event.agent_id, ani=event.number,
                            customer_id=stored_customer_id(session, None, event.customer_id))
        case ManualCallEnded():
            open_leg(session, event.call_id, call_id=event.call_id, direction=MANUAL,
                     enter_at=(event.answered_at or event.at) - event.ring_seconds,
                     agent_id=event.agent_id)
            return close_leg(session, event.call_id, end_at=event.at, outcome=event.outcome,
                             answer_at=event.answered_at, wait_seconds=event.ring_seconds)
        case ManualCallDisposed():
            leg = get_leg(session, event.call_id)
            if leg is None:
                raise UnknownLeg(event.call_id)
            wrap_up = max(0.0, event.at - leg.end_at) if leg.end_at is not None else None
            return update_leg(session, event.call_id, disposition=event.disposition, notes=event.notes,
                              wrap_up_seconds=wrap_up)
        case CustomerMatched():
            if get_leg(session, event.call_id) is None:
                raise UnknownLeg(event.call_id)
            leg_id = leg_at(session, event.call_id, event.at)
            return update_leg(session, leg_id, customer_code=event.customer_code,
                              customer_id=stored_customer_id(session, event.customer_code, event.customer_id))
        case CallDisposed():
            if get_leg(session, event.call_id) is None:
                raise UnknownLeg(event.call_id)
            leg_id = leg_at(session, event.call_id, event.at, event.agent_id)
            leg = get_leg(session, leg_id)
            assert leg is not None  # found among the call's legs
            # Saved after the wrap-up ended (by its timer), the disposition leaves the after-call work as it was.
            wrap_up = leg.wrap_up_seconds
            if wrap_up is None and leg.end_at is not None:
                wrap_up = max(0.0, event.at - leg.end_at)
            return update_leg(session, leg_id, disposition=event.disposition, notes=event.notes,
                              agent_id=event.agent_id, wrap_up_seconds=wrap_up)
        case AgentStateChanged() if event.previous == WRAP_UP and event.state != WRAP_UP:
            # However wrap-up ends (disposition, timer, a pause), its length is the call's after-call work.
            ended = last_ended_leg(session, event.agent_id, event.at)
            if ended is None or ended.end_at is None:
                return None
            return update_leg(session, ended.leg_id, wrap_up_seconds=max(0.0, event.at - ended.end_at))
    return None


class InteractionRowWriter:
    """An event-log writer (:class:`bus.eventlog.EventLogWriter`) whose log is the ``interactions`` table
    and, through it, the report rollups (:mod:`reports.rollup_store`), counted with each queue's KPI
    parameters from ``kpis`` (default: :class:`reports.definitions.KpiSettings`' defaults)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        inbound_contexts: frozenset[str] = INBOUND_CONTEXTS,
        on_unknown_leg: Callable[[DomainEvent, UnknownLeg], None] | None = None,
        kpis: KpisOf | None = None,
    ) -> None:
        self._sessions = sessions
        keep_rollups(sessions, kpis)
        self._inbound_contexts = inbound_contexts
        self._on_unknown_leg = on_unknown_leg

    def append(self, events: Sequence[DomainEvent]) -> None:
        with unavailable_on_connection_loss(self._sessions) as session:
            for event in events:
                if isinstance(event, AgentStateChanged):
                    record_agent_state(session, event.agent_id, event.state, event.reason, event.at)
                try:
                    apply_event(session, event, inbound_contexts=self._inbound_contexts)
                except UnknownLeg as exc:
                    # A disposition for a call this store never saw: retrying cannot help, the rest can go in.
                    if self._on_unknown_leg is not None:
                        self._on_unknown_leg(event, exc)
