"""Calls dialled by hand, followed through what the PBX reports: the number's DialStatus decides the outcome,
the hang-up ends the call once; an agent's phone nobody answered (or a refused originate, even when its
failure comes before the placer knows its ActionID) ends it too."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cti.ami.events import ChannelHungUp, DialEnded, OriginateResult
from outbound.dial_events import ManualCallAnswered, ManualCallEnded
from outbound.manual_calls import AGENT_NO_ANSWER, ANSWERED, CANCELLED, ManualCalls

T0 = 1_800_000_000.0


def dial_end(call_id: str, status: str, at: float) -> DialEnded:
    return DialEnded(at=at, channel="PJSIP/1001-00000001", uniqueid=call_id, dest_channel="Local/x;1",
                     dest_uniqueid="d1", linkedid=call_id, dial_status=status)


def hang_up(call_id: str, at: float) -> ChannelHungUp:
    return ChannelHungUp(at=at, channel="PJSIP/1001-00000001", uniqueid=call_id, linkedid=call_id, cause=16,
                         cause_text="Normal Clearing")


def failed(action_id: str, at: float) -> OriginateResult:
    return OriginateResult(at=at, action_id=action_id, success=False, reason=0, channel="PJSIP/1001", uniqueid=None)


def test_an_answered_call_rings_until_the_answer_and_ends_at_the_hang_up() -> None:
    calls = ManualCalls()
    placed = calls.placed("m1", "1001", "+12125550142", customer_id="7", at=T0)
    assert (placed.call_id, placed.agent_id, placed.customer_id) == ("m1", "1001", "7")
    assert calls.originated("m1", "action-1") is None
    answered = calls.observe(dial_end("m1", "ANSWER", T0 + 9))
    assert isinstance(answered, ManualCallAnswered) and (answered.call_id, answered.agent_id, answered.at) == (
        "m1", "1001", T0 + 9)
    assert calls.observe(hang_up("other", T0 + 20)) is None  # another channel
    ended = calls.observe(hang_up("m1", T0 + 70))
    assert ended is not None
    assert (ended.outcome, ended.answered_at, ended.ring_seconds, ended.at) == (ANSWERED, T0 + 9, 9.0, T0 + 70)
    assert calls.observe(hang_up("m1", T0 + 71)) is None and len(calls) == 0  # once


def test_a_busy_number_an_agent_who_hangs_up_first_and_a_phone_never_answered() -> None:
    calls = ManualCalls()
    for call_id in ("busy", "cancel", "unanswered"):
        calls.placed(call_id, "1001", "+12125550142", customer_id=None, at=T0)
    calls.observe(dial_end("busy", "BUSY", T0 + 3))
    calls.observe(dial_end("cancel", "CANCEL", T0 + 12))
    ends = [calls.observe(hang_up(c, T0 + 30)) for c in ("busy", "cancel", "unanswered")]
    outcomes = {e.call_id: (e.outcome, e.answered_at) for e in ends if isinstance(e, ManualCallEnded)}
    assert outcomes == {"busy": ("busy", None), "cancel": (CANCELLED, None), "unanswered": (AGENT_NO_ANSWER, None)}


def test_a_refused_originate_ends_the_call_whether_its_failure_comes_before_or_after_its_action_id() -> None:
    calls = ManualCalls()
    calls.placed("late", "1001", "+12125550142", customer_id=None, at=T0)
    calls.originated("late", "a-late")
    ended = calls.observe(failed("a-late", T0 + 30))
    assert ended is not None and ended.outcome == AGENT_NO_ANSWER
    calls.placed("early", "1002", "+12125550143", customer_id=None, at=T0)
    assert calls.observe(failed("a-early", T0 + 1)) is None  # not known yet: kept
    ended = calls.originated("early", "a-early")
    assert ended is not None and (ended.call_id, ended.outcome) == ("early", AGENT_NO_ANSWER)
    placed_then_refused = calls.placed("link", "1003", "+1", customer_id=None, at=T0)
    assert placed_then_refused.call_id == "link"
    refused = calls.not_placed("link", T0 + 0.1)
    assert refused is not None and refused.outcome == "failed" and len(calls) == 0


EVENTS = st.lists(st.tuples(st.sampled_from(["dial", "hang", "fail", "ok"]), st.sampled_from(["m1", "m2"]),
                            st.sampled_from(["ANSWER", "BUSY", "NOANSWER", "CANCEL", "CHANUNAVAIL", "weird"])),
                  max_size=12)


@given(EVENTS)
def test_every_call_ends_at_most_once_and_an_answer_only_when_the_number_answered(events: list) -> None:
    calls = ManualCalls()
    for call_id in ("m1", "m2"):
        calls.placed(call_id, "1001", "+1", customer_id=None, at=T0)
        calls.originated(call_id, f"a-{call_id}")
    ends = []
    answered: set[str] = set()
    for step, (kind, call_id, status) in enumerate(events, start=1):
        at = T0 + step
        event = {"dial": dial_end(call_id, status, at), "hang": hang_up(call_id, at),
                 "fail": failed(f"a-{call_id}", at),
                 "ok": OriginateResult(at=at, action_id=f"a-{call_id}", success=True, reason=4, channel="PJSIP/1001",
                                       uniqueid=call_id)}[kind]
        if kind == "dial" and status == "ANSWER" and call_id not in {e.call_id for e in ends}:
            answered.add(call_id)
        ended = calls.observe(event)
        if isinstance(ended, ManualCallEnded):
            ends.append(ended)
    assert len({e.call_id for e in ends}) == len(ends)
    for ended in ends:
        assert (ended.answered_at is not None) == (ended.outcome == ANSWERED)
        assert ended.ring_seconds >= 0
