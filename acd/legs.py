"""The ACD service's table of legs: each call's channel under our control, the phase it is in, and the
callers on their way to another queue.

A leg moves through :class:`LegPhase` by the table :data:`LEG_MOVES`; a consultation's leg also has a
:class:`ConsultState` (moved by :data:`CONSULT_MOVES`), which is apart from its phase because a
consultation can be called off while it waits, rings or talks. A move the tables do not allow is a bug
of the service and raises :class:`IllegalLegMove`.
"""

from __future__ import annotations

import dataclasses
import enum

from acd.decisions import Offer, OriginateCallback
from cti.agi import AgiSession
from ivr.outcome import IvrOutcome


class LegPhase(enum.Enum):
    """Where a leg is, from the service's point of view."""

    PARKED = "parked"  # re-adopted after a restart: no session of ours and none on its way
    QUEUED = "queued"  # a session rings its offers (or is on its way to)
    WAITING = "waiting"  # its session is inside the interruptible wait (music, announcements, call-back offer)
    TALKING = "talking"  # answered: Asterisk's Dial bridges it with the agent's line
    # Out of its Dial, Asterisk no longer ends one side when the other goes; we do.
    BRIDGED = "bridged"  # the talk left its Dial and a ``talk`` session bridges it with the agent's line again
    HELD = "held"  # the talk left its Dial and the caller hears music
    TRANSFERRED = "transferred"  # blind-transferred to a queue: its session just lets go


P = LegPhase

#: Every move a leg may make; anything else raises :class:`IllegalLegMove`.
LEG_MOVES: dict[LegPhase, frozenset[LegPhase]] = {
    P.PARKED: frozenset({P.QUEUED}),  # redirected by us to a session
    P.QUEUED: frozenset({P.WAITING, P.TALKING}),
    # waiting -> waiting: the next session waits before the one our redirect broke has let go of the wait.
    P.WAITING: frozenset({P.QUEUED, P.WAITING}),
    P.TALKING: frozenset({P.HELD, P.TRANSFERRED}),
    P.BRIDGED: frozenset({P.HELD, P.TRANSFERRED}),
    # -> bridged: resumed (or handed over to a colleague); -> talking: the hold could not be done;
    # -> held: a caller on hold came back from the dialplan's holding loop once more.
    P.HELD: frozenset({P.BRIDGED, P.TALKING, P.HELD, P.TRANSFERRED}),
    P.TRANSFERRED: frozenset(),
}


class ConsultState(enum.Enum):
    """How a consultation stands (on its leg, the consulting agent's line)."""

    UNDER_WAY = "under_way"
    CALLED_OFF = "called_off"  # by the agent, or because the caller left
    HANDED_OVER = "handed_over"  # completed: the caller now talks to the colleague


#: Every move of a consultation's state; calling it off twice (the agent, then the caller's hang-up) is one.
CONSULT_MOVES: dict[ConsultState, frozenset[ConsultState]] = {
    ConsultState.UNDER_WAY: frozenset({ConsultState.CALLED_OFF, ConsultState.HANDED_OVER}),
    ConsultState.CALLED_OFF: frozenset({ConsultState.CALLED_OFF}),
    ConsultState.HANDED_OVER: frozenset(),
}


class IllegalLegMove(RuntimeError):
    """The service tried a move its tables do not allow: a bug (its caller logs it)."""

    def __init__(self, leg: Leg, current: LegPhase | ConsultState, wanted: LegPhase | ConsultState) -> None:
        super().__init__(f"call {leg.call_id} on {leg.channel or 'no channel'}: cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


@dataclasses.dataclass(slots=True, eq=False)
class Leg:
    """A call's channel under our control: its phase, the session driving it now and the offer being rung."""

    call_id: str
    channel: str
    phase: LegPhase = LegPhase.QUEUED
    session: AgiSession | None = None
    offer: Offer | OriginateCallback | None = None
    ringing: Offer | OriginateCallback | None = None  # the offer whose Dial runs now
    dial_channel: str | None = None  # the agent's leg of that Dial, once Asterisk names it
    callback_to: str | None = None  # where to call the caller back, if they ask
    agent_channel: str | None = None  # the agent's side of the talk, once answered
    # We redirected the channel: a session that came before the move ends with a hang-up signal too. Not a
    # phase: it holds for the rest of the leg's life, whatever phase comes next.
    redirected: bool = False
    consult: Leg | None = None  # on a caller's leg: the consultation under way, its agent's leg
    consult_for: Leg | None = None  # on a consultation's leg: the caller's leg it is about
    consulting_agent: str | None = None  # on a consultation's leg: the agent who asks
    consult_state: ConsultState = ConsultState.UNDER_WAY  # on a consultation's leg

    # Properties, not comparisons at the call sites: a consultation's state may change while a session
    # awaits, and a property is read afresh where a narrowed comparison would not be.
    @property
    def called_off(self) -> bool:
        return self.consult_state is ConsultState.CALLED_OFF

    @property
    def handed_over(self) -> bool:
        return self.consult_state is ConsultState.HANDED_OVER

    @property
    def out_of_dial(self) -> bool:
        """The talk left its Dial (held, consulting, or bridged again by a ``talk`` session)."""
        return self.phase is LegPhase.BRIDGED or self.phase is LegPhase.HELD

    def move(self, to: LegPhase) -> None:
        if to not in LEG_MOVES[self.phase]:
            raise IllegalLegMove(self, self.phase, to)
        self.phase = to

    def settle(self, to: ConsultState) -> None:
        """Move a consultation's state."""
        if to not in CONSULT_MOVES[self.consult_state]:
            raise IllegalLegMove(self, self.consult_state, to)
        self.consult_state = to


@dataclasses.dataclass(frozen=True, slots=True)
class PendingTransfer:
    """A caller redirected to ``callcenter-transfer``: where they go and what the call carries along."""

    channel: str
    outcome: IvrOutcome
    agent_id: str | None = None  # to this agent if ready, else to the queue


class Legs:
    """The legs under our control, by call id, by channel, and by the agent's line of a talk out of its Dial;
    and the callers on their way to another queue."""

    def __init__(self) -> None:
        self._by_call: dict[str, Leg] = {}
        self._by_channel: dict[str, Leg] = {}
        self._by_agent_line: dict[str, Leg] = {}
        self._transfers: dict[str, PendingTransfer] = {}  # call id -> caller on the way to its new queue

    def __contains__(self, call_id: str) -> bool:
        return call_id in self._by_call

    def get(self, call_id: str) -> Leg | None:
        return self._by_call.get(call_id)

    def holds(self, leg: Leg) -> bool:
        """Whether ``leg`` still carries its call (it was not released, nor replaced by a newer leg)."""
        return self._by_call.get(leg.call_id) is leg

    def on_channel(self, channel: str) -> Leg | None:
        return self._by_channel.get(channel)

    def on_agent_line(self, channel: str) -> Leg | None:
        """The caller's leg whose talk out of its Dial has ``channel`` as the agent's line."""
        return self._by_agent_line.get(channel)

    def adopt(self, call_id: str, session: AgiSession) -> Leg:
        """A new leg for the call on the session's channel, driven by that session."""
        leg = Leg(call_id, session.channel, session=session)
        self._by_call[call_id] = leg
        self._by_channel[session.channel] = leg
        return leg

    def add(self, leg: Leg) -> Leg:
        """Hold ``leg`` under its call id (its channel is bound apart, once it is ours)."""
        self._by_call[leg.call_id] = leg
        return leg

    def bind_channel(self, channel: str, leg: Leg) -> None:
        self._by_channel[channel] = leg

    def bind_agent_line(self, leg: Leg) -> None:
        """Find ``leg`` by its agent's line from now on (its talk is out of its Dial)."""
        assert leg.agent_channel is not None
        self._by_agent_line[leg.agent_channel] = leg

    def unbind_agent_line(self, channel: str) -> None:
        self._by_agent_line.pop(channel, None)

    def rekey(self, leg: Leg, call_id: str) -> None:
        """The leg carries another call from now on (a completed consultation's)."""
        if self._by_call.get(leg.call_id) is leg:
            del self._by_call[leg.call_id]
        leg.call_id = call_id
        self._by_call[call_id] = leg

    def release(self, leg: Leg) -> None:
        """Forget the leg: its channel no longer carries the call (a call-back gets a new leg)."""
        if self._by_channel.get(leg.channel) is leg:
            del self._by_channel[leg.channel]
        if self._by_call.get(leg.call_id) is leg:
            del self._by_call[leg.call_id]
        if leg.agent_channel is not None and self._by_agent_line.get(leg.agent_channel) is leg:
            del self._by_agent_line[leg.agent_channel]
        leg.session = None

    # ------------------------------------------------------------ transfers

    def expect_transfer(self, call_id: str, pending: PendingTransfer) -> None:
        self._transfers[call_id] = pending

    def take_transfer(self, call_id: str, channel: str) -> PendingTransfer | None:
        """The transfer of ``call_id`` whose caller arrived on ``channel``, no longer pending; None if none."""
        pending = self._transfers.get(call_id)
        if pending is None or pending.channel != channel:
            return None
        del self._transfers[call_id]
        return pending

    def cancel_transfer(self, call_id: str) -> None:
        self._transfers.pop(call_id, None)

    def drop_transfer_on(self, channel: str) -> None:
        """The channel is gone on its way to the new queue: it was never queued there."""
        call_id = next((c for c, t in self._transfers.items() if t.channel == channel), None)
        if call_id is not None:
            del self._transfers[call_id]
