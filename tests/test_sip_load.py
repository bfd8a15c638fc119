"""The SIP load rig's own parts, without a PBX: what it writes for Asterisk and sipp, and how it reads
what happened (free agent to ringing, callers' and phones' logs). The calls themselves are in
tests/asterisk_conf/test_astconf_real_sip.py."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acd.events import AgentStateChanged, CallOffered, CallQueued
from asterisk_conf.checker import check_file
from bus.events import DomainEvent
from callcenter import cli
from callcenter.sip_bench import occupancy, profile_summary
from callcenter.sip_load import (
    CALLER_TIMING,
    RateFigures,
    assignments,
    parse_callers,
    parse_rings,
    pjsip_conf,
    scenario,
    sipp_errors,
)


def _queued(call: str, at: float) -> CallQueued:
    return CallQueued(call_id=call, queue="support", priority=5, enter_time=at, at=at)


def _ready(agent: str, at: float) -> AgentStateChanged:
    return AgentStateChanged(agent_id=agent, state="ready", previous="on_call", at=at)


def _offered(call: str, agent: str, at: float) -> CallOffered:
    return CallOffered(call_id=call, queue="support", agent_id=agent, at=at)


def test_a_free_agent_is_timed_from_the_later_of_caller_queued_and_agent_ready() -> None:
    events: list[DomainEvent] = [
        _ready("a1", 100.0), _queued("c1", 105.0), _offered("c1", "a1", 105.0),  # the agent waited for the call
        _queued("c2", 106.0), _ready("a1", 110.0), _offered("c2", "a1", 110.001),  # the call waited for the agent
    ]
    found = assignments(events, [("a1", 105.012), ("a1", 110.020)])
    assert [(a.call_id, a.free_at, a.offered_at, a.rang_at) for a in found] == [
        ("c1", 105.0, 105.0, 105.012), ("c2", 110.0, 110.001, 110.020)]


def test_an_offer_that_never_rang_does_not_take_the_next_offers_ring() -> None:
    events: list[DomainEvent] = [
        _ready("a1", 1.0), _queued("c1", 2.0), _offered("c1", "a1", 2.0),
        _ready("a1", 30.0), _queued("c2", 31.0), _offered("c2", "a1", 31.0),
    ]
    found = assignments(events, [("a2", 2.01), ("a1", 31.01)])
    assert [(a.call_id, a.rang_at) for a in found] == [("c1", None), ("c2", 31.01)]


@given(st.lists(st.tuples(st.sampled_from(["a1", "a2"]), st.floats(0, 100)), max_size=12),
       st.lists(st.tuples(st.sampled_from(["a1", "a2"]), st.floats(0, 100)), max_size=12))
def test_each_ring_follows_its_offer_and_comes_before_that_agents_next_offer(
    offers: list[tuple[str, float]], rings: list[tuple[str, float]]
) -> None:
    in_order = sorted(offers, key=lambda offer: offer[1])
    found = assignments([_offered(f"c{i}", agent, at) for i, (agent, at) in enumerate(in_order)], rings)
    assert [(a.agent_id, a.offered_at) for a in found] == in_order
    for agent in ("a1", "a2"):
        theirs = [a for a in found if a.agent_id == agent]
        for turn, offer in enumerate(theirs):
            if offer.rang_at is not None:
                assert (agent, offer.rang_at) in rings and offer.rang_at >= offer.offered_at
                assert turn + 1 == len(theirs) or offer.rang_at < theirs[turn + 1].offered_at


@given(st.text("0123456789", min_size=1, max_size=8), st.integers(0, 2**32), st.integers(0, 999_999))
def test_ring_lines_read_back_as_sipp_prints_them(agent: str, seconds: int, micros: int) -> None:
    line = f"ring {agent} {seconds:f} {micros:f}"  # sipp prints its numbers with %lf
    assert parse_rings(["ended 5551", line, "", "ring broken"]) == [(agent, seconds + micros / 1e6)]


def test_sipp_errors_leave_out_the_timeouts_the_scenarios_wait_with() -> None:
    text = ("The following events occurred:\n"
            "2026-12-05\t08:52:45.074120\t1796460765.074120: Call-Id: 78-3649@127.0.0.1, receive timeout on "
            "message callcenter caller:17, jumping to label 8"
            "2026-12-05\t08:52:45.5\t1796460765.5: Aborting call on an unexpected BYE for call: 7-1@127.0.0.1"
            "2026-12-05\t08:52:46.1\t1796460766.1: Aborting call on an unexpected BYE for call: 7-1@127.0.0.1")
    assert sipp_errors(text) == ["Aborting call on an unexpected BYE for call: 7-1@127.0.0.1"]


def test_callers_log_is_read_per_word() -> None:
    seen = parse_callers(["answered 5550100000", "answered 5550100001", "ended 5550100000",
                          "abandoned 5550100001", "noise"])
    assert seen["answered"] == {"5550100000", "5550100001"}
    assert seen["ended"] == {"5550100000"} and seen["abandoned"] == {"5550100001"}


def test_pjsip_site_has_the_callers_trunk_and_a_phone_per_agent() -> None:
    text = pjsip_conf(5070, 5080, ["5000", "5001"])
    sections = [section.name for section in check_file("pjsip.conf", text).sections]
    assert sections.count("5001") == 2  # its endpoint and its contact
    assert "bind = 127.0.0.1:5070" in text and "match = 127.0.0.1" in text
    assert "contact = sip:5001@127.0.0.1:5080" in text
    assert text.count("context = callcenter-inbound") == 3


@pytest.mark.parametrize("name", ["caller", "agent_phone"])
def test_scenarios_are_complete_xml_once_filled_in(name: str) -> None:
    text = scenario(name, patience_ms=60_000, ring_ms=500, talk_ms=3000, **CALLER_TIMING)
    assert "{" not in text and "}" not in text
    root = ElementTree.fromstring(text.encode("iso-8859-1"))
    assert root.tag == "scenario"
    labels = {e.get("id") for e in root.iter("label")}
    jumps = {e.get(a) for e in root for a in ("next", "ontimeout") if e.get(a)}
    assert jumps <= labels


def test_a_rate_is_held_only_when_every_call_made_it_in_time() -> None:
    good = RateFigures(rate_per_s=1, calls=3, completed=3, accounted=3, identified=3, ring_p95_ms=12.0)
    assert good.held(max_ring_ms=100)
    assert not good.held(max_ring_ms=10)
    assert not RateFigures(rate_per_s=1, calls=3, completed=3, accounted=3, identified=2, ring_p95_ms=12.0).held(100)
    assert not RateFigures(rate_per_s=1, calls=3, completed=3, accounted=3, identified=3).held(100)


def test_occupancy_is_the_share_of_the_agents_time_the_calls_take() -> None:
    assert occupancy(2.0, 10, ring_ms=500, talk_ms=3000) == pytest.approx(2 * 3.8 / 10)


def test_a_profile_charges_each_sample_to_the_innermost_function_of_ours() -> None:
    folded = "\n".join([
        "run (asyncio/runners.py:190);_run (cti/agi/server.py:242);command (cti/agi/session.py:152);"
        "write (asyncio/streams.py:343) 3",
        "_bootstrap (threading.py:1002);_write (callcenter/recorder.py:145);execute (sqlalchemy/orm/session.py:2555) 6",
        "_bootstrap (threading.py:1002);wait (threading.py:320) 1",
        "not a stack line",
    ])
    assert profile_summary(folded) == [("callcenter/recorder.py _write", 0.6), ("cti/agi/session.py command", 0.3)]


def test_bench_without_an_asterisk_says_how_to_give_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ASTERISK_BIN", raising=False)
    assert cli.main(["bench", "sip", "--rates", "1"]) == 2
    assert "--asterisk PATH or set ASTERISK_BIN" in capsys.readouterr().err


def test_bench_refuses_rates_that_are_not_calls_per_second(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["bench", "sip", "--rates", "1,fast"])
    assert "comma-separated list of calls per second" in capsys.readouterr().err
