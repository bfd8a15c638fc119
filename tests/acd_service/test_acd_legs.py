"""The service's table of legs: phases move only along their table, and the table finds legs by call,
channel and agent's line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acd.legs import CONSULT_MOVES, LEG_MOVES, ConsultState, IllegalLegMove, Leg, LegPhase, Legs, PendingTransfer
from ivr.caller import CallerData
from ivr.outcome import IvrOutcome, OutcomeKind


@given(st.lists(st.sampled_from(LegPhase), max_size=30))
def test_a_leg_moves_only_along_its_table_and_a_refused_move_changes_nothing(wanted: list[LegPhase]) -> None:
    leg = Leg("c1", "PJSIP/trunk-1", LegPhase.PARKED)
    for to in wanted:
        before = leg.phase
        if to in LEG_MOVES[before]:
            leg.move(to)
            assert leg.phase is to
        else:
            with pytest.raises(IllegalLegMove) as refused:
                leg.move(to)
            assert leg.phase is before
            assert (refused.value.current, refused.value.wanted) == (before, to)
            assert "c1" in str(refused.value)


def test_the_talk_is_out_of_its_dial_when_bridged_again_or_held() -> None:
    assert [p for p in LegPhase if Leg("c1", "x", p).out_of_dial] == [LegPhase.BRIDGED, LegPhase.HELD]


def test_a_transferred_leg_moves_no_more_and_every_phase_is_in_the_table() -> None:
    assert set(LEG_MOVES) == set(LegPhase) and LEG_MOVES[LegPhase.TRANSFERRED] == frozenset()
    assert set(CONSULT_MOVES) == set(ConsultState)


def test_a_consultation_is_called_off_or_handed_over_once() -> None:
    called_off, handed_over = Leg("c1-consult-1", "PJSIP/a1-1"), Leg("c1-consult-2", "PJSIP/a1-1")
    called_off.settle(ConsultState.CALLED_OFF)
    called_off.settle(ConsultState.CALLED_OFF)  # the agent, then the caller's hang-up
    handed_over.settle(ConsultState.HANDED_OVER)
    assert called_off.called_off and not called_off.handed_over
    assert handed_over.handed_over and not handed_over.called_off
    with pytest.raises(IllegalLegMove):
        called_off.settle(ConsultState.HANDED_OVER)
    with pytest.raises(IllegalLegMove):
        handed_over.settle(ConsultState.CALLED_OFF)


def test_the_table_finds_legs_by_call_channel_and_agent_line_until_released() -> None:
    legs = Legs()
    leg = legs.add(Leg("c1", "PJSIP/trunk-1", agent_channel="PJSIP/a1-1"))
    legs.bind_channel(leg.channel, leg)
    legs.bind_agent_line(leg)
    assert "c1" in legs and legs.get("c1") is leg and legs.holds(leg)
    assert legs.on_channel("PJSIP/trunk-1") is leg and legs.on_agent_line("PJSIP/a1-1") is leg
    legs.rekey(leg, "c1-consult-1")  # a completed consultation's call
    assert "c1" not in legs and legs.get("c1-consult-1") is leg and leg.call_id == "c1-consult-1"
    newer = legs.add(Leg("c1-consult-1", "PJSIP/trunk-1"))
    assert not legs.holds(leg)
    legs.release(leg)  # a stale leg releases nothing of its successor's
    assert legs.get("c1-consult-1") is newer and legs.on_agent_line("PJSIP/a1-1") is None
    assert legs.on_channel("PJSIP/trunk-1") is None and leg.session is None


def test_a_transfer_is_taken_only_on_its_channel_and_dropped_when_that_channel_goes() -> None:
    legs = Legs()
    outcome = IvrOutcome(kind=OutcomeKind.QUEUE, call_id="c1", caller=CallerData(), queue="sales")
    legs.expect_transfer("c1", PendingTransfer("PJSIP/trunk-1", outcome))
    assert legs.take_transfer("c1", "PJSIP/trunk-2") is None
    taken = legs.take_transfer("c1", "PJSIP/trunk-1")
    assert taken is not None and taken.outcome is outcome
    assert legs.take_transfer("c1", "PJSIP/trunk-1") is None
    legs.expect_transfer("c2", PendingTransfer("PJSIP/trunk-2", outcome))
    legs.drop_transfer_on("PJSIP/trunk-2")
    assert legs.take_transfer("c2", "PJSIP/trunk-2") is None
