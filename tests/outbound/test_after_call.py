"""After-call work of campaign calls as the pacer learns it: from the wrap-up's start to what follows it, an
extension included; none at all is 0 s; agents the dialer did not call for are not counted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from outbound.after_call import AfterCallWork, Wrapped

T0 = 1_800_000_000.0


def test_a_wrap_up_counts_from_its_start_through_an_extension_to_its_end() -> None:
    work = AfterCallWork()
    work.talk_ended("a1", 7, T0)
    assert work.state_changed("a1", "on_call", "wrap_up", T0 + 0.2) is None
    assert work.state_changed("a1", "wrap_up", "wrap_up", T0 + 10) is None  # extended
    assert work.state_changed("a1", "wrap_up", "ready", T0 + 25.2) == Wrapped(7, 25.0)
    assert work.state_changed("a1", "ready", "not_ready", T0 + 30) is None  # counted once


def test_no_wrap_up_is_no_after_call_work_and_other_agents_are_not_counted() -> None:
    work = AfterCallWork()
    work.talk_ended("a1", 7, T0)
    assert work.state_changed("a2", "wrap_up", "ready", T0 + 5) is None  # not a call the dialer made
    assert work.state_changed("a1", "on_call", "ready", T0 + 0.1) == Wrapped(7, 0.0)


@given(st.lists(st.sampled_from(["ready", "not_ready", "wrap_up", "logged_out"]), min_size=1, max_size=8),
       st.floats(0, 600))
def test_each_talk_yields_at_most_one_after_call_work_never_negative(states: list[str], step: float) -> None:
    work = AfterCallWork()
    work.talk_ended("a1", 1, T0)
    previous, found = "on_call", []
    for i, state in enumerate(states):
        wrapped = work.state_changed("a1", previous, state, T0 + (i + 1) * step)
        found += [wrapped] if wrapped is not None else []
        previous = state
    assert len(found) <= 1 and all(w.seconds >= 0 for w in found)
    assert found or all(state == "wrap_up" for state in states)
