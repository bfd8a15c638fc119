"""The live channel set, its resync differences, and the reconnect backoff."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scripted_ami import scenario05_channels, trace_messages

from cti.ami.backoff import Backoff
from cti.ami.channels import ChannelInfo, LiveChannels, channel_from_snapshot
from cti.ami.events import ChannelAppeared, ChannelHungUp, ChannelStateChanged
from cti.ami.translate import translate


def info(uid: str, state: int = 6) -> ChannelInfo:
    return ChannelInfo(channel=f"Local/{uid}@t-0;1", uniqueid=uid, linkedid=uid, state=state, state_desc="x")


def hung_up(uid: str) -> ChannelHungUp:
    channel = f"Local/{uid}@t-0;1"
    return ChannelHungUp(at=0.0, channel=channel, uniqueid=uid, linkedid=uid, cause=16, cause_text="")


def test_snapshot_of_scenario05_reads_every_field() -> None:
    channels = [channel_from_snapshot(m) for m in scenario05_channels()]
    assert all(c is not None for c in channels)
    first = channels[0]
    assert first == ChannelInfo(
        channel="Local/5552000@ivr-read-00000007;2",
        uniqueid="1795429594.16",
        linkedid="1795429594.15",
        state=6,
        state_desc="Up",
        caller_id_num="5550103",
        caller_id_name="Read Three",
        context="ivr-read",
        exten="5552000",
        application="Read",
    )


def test_status_variables_are_parsed_and_unset_ones_dropped() -> None:
    messages = trace_messages("05-channels-status.ami.txt")
    status = [m for m in messages if m.name == "Status" and "Variable" in m]
    parsed = channel_from_snapshot(status[0])
    assert parsed is not None
    assert parsed.variables == (("CHANNEL(state)", "Up"),)  # CALL_TYPE and MOH_CLASS were "(null)"


def test_replaying_a_whole_trace_leaves_no_channel_up() -> None:
    live = LiveChannels()
    for message in trace_messages("08-burst-50-originates.ami.txt"):
        event = translate(message, at=0.0)
        if event is not None:
            live.apply(event)
    assert len(live) == 0


def test_resync_reports_vanished_new_and_changed_channels() -> None:
    live = LiveChannels()
    for uid in ("a", "b", "c"):
        live.apply(info(uid, state=4).appeared(0.0, resynced=False))
    live.begin_resync()
    events = live.finish_resync([info("b", state=4), info("c", state=6), info("d")], at=9.0)
    assert {(type(e), e.uniqueid) for e in events} == {  # type: ignore[attr-defined]
        (ChannelHungUp, "a"),
        (ChannelStateChanged, "c"),
        (ChannelAppeared, "d"),
    }
    assert all(e.at == 9.0 and e.resynced for e in events)  # type: ignore[attr-defined]
    assert sorted(c.uniqueid for c in live) == ["b", "c", "d"]


def test_live_events_during_resync_win_over_the_snapshot() -> None:
    live = LiveChannels()
    live.apply(info("a").appeared(0.0, resynced=False))
    live.begin_resync()
    live.apply(info("new").appeared(0.0, resynced=False))  # after the list was built
    live.apply(hung_up("a"))  # hung up after the list was built: the snapshot still has it
    events = live.finish_resync([info("a")], at=1.0)
    assert events == []
    assert [c.uniqueid for c in live] == ["new"]


def test_second_resync_with_same_snapshot_reports_nothing() -> None:
    live = LiveChannels()
    snapshot = [info("a"), info("b")]
    live.begin_resync()
    assert len(live.finish_resync(snapshot, at=0.0)) == 2
    live.begin_resync()
    assert live.finish_resync(snapshot, at=0.0) == []


@given(
    before=st.sets(st.sampled_from("abcdefgh")),
    after=st.sets(st.sampled_from("abcdefgh")),
)
def test_resync_makes_the_set_equal_to_the_pbx(before: set[str], after: set[str]) -> None:
    live = LiveChannels()
    for uid in before:
        live.apply(info(uid).appeared(0.0, resynced=False))
    live.begin_resync()
    events = live.finish_resync([info(uid) for uid in after], at=0.0)
    assert {c.uniqueid for c in live} == after
    assert {e.uniqueid for e in events if isinstance(e, ChannelHungUp)} == before - after
    assert {e.uniqueid for e in events if isinstance(e, ChannelAppeared)} == after - before


@given(attempt=st.integers(min_value=0, max_value=10_000), seed=st.integers(0, 2**32))
def test_backoff_stays_within_its_cap(attempt: int, seed: int) -> None:
    backoff = Backoff(initial=0.1, maximum=1.0, jitter=0.5)
    delay = backoff.delay(attempt, random.Random(seed))
    assert 0.5 * backoff.ceiling(attempt) <= delay <= backoff.ceiling(attempt) <= 1.0


def test_backoff_grows_exponentially_then_caps() -> None:
    backoff = Backoff(initial=0.1, maximum=1.0, jitter=0.0)
    assert [backoff.ceiling(n) for n in range(6)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    with pytest.raises(ValueError):
        Backoff(initial=2.0, maximum=1.0)


def test_jitter_spreads_clients() -> None:
    backoff = Backoff(initial=0.1, maximum=1.0, jitter=0.5)
    delays = {round(backoff.delay(5, random.Random(seed)), 6) for seed in range(20)}
    assert len(delays) > 10
