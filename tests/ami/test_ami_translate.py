"""AMI -> domain event translation, replayed over every real trace."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scripted_ami import TRACES, trace_messages

from bus.events import DomainEvent
from cti.ami.events import (
    BridgeEntered,
    BridgeLeft,
    ChannelAppeared,
    ChannelHoldChanged,
    ChannelHungUp,
    ChannelStateChanged,
    DialEnded,
    DialStarted,
    DtmfReceived,
    OriginateResult,
    UserEventReceived,
    VariableSet,
)
from cti.ami.protocol import AmiMessage, MessageKind
from cti.ami.translate import TRANSLATORS, translate

TRACE_FILES = sorted(p.name for p in TRACES.glob("*.ami.txt"))

# AMI event name -> the domain event it must always become.
ONE_TO_ONE = {
    "Newchannel": ChannelAppeared,
    "Newstate": ChannelStateChanged,
    "Hangup": ChannelHungUp,
    "DTMFEnd": DtmfReceived,
    "BridgeEnter": BridgeEntered,
    "BridgeLeave": BridgeLeft,
    "DialBegin": DialStarted,
    "DialEnd": DialEnded,
    "OriginateResponse": OriginateResult,
    "UserEvent": UserEventReceived,
}


def translated(name: str) -> list[DomainEvent]:
    events = []
    for message in trace_messages(name):
        event = translate(message, at=1.0)
        if event is not None:
            events.append(event)
    return events


@pytest.mark.parametrize("trace", TRACE_FILES)
def test_every_trace_translates_to_the_recorded_counts(trace: str) -> None:
    summary = json.loads((TRACES / trace.replace(".ami.txt", ".summary.json")).read_text())
    recorded: dict[str, int] = summary["ami_event_counts"]
    got = Counter(type(e) for e in translated(trace))
    for ami_name, event_type in ONE_TO_ONE.items():
        assert got[event_type] == recorded.get(ami_name, 0), (ami_name, event_type)
    holds = recorded.get("Hold", 0) + recorded.get("Unhold", 0)
    assert got[ChannelHoldChanged] == holds


@pytest.mark.parametrize("trace", TRACE_FILES)
def test_translated_events_survive_the_event_log_round_trip(trace: str) -> None:
    for event in translated(trace):
        assert DomainEvent.from_json(event.to_json()) == event


def test_only_our_variables_become_events() -> None:
    events = [e for e in translated("02-inbound-ivr-queue.ami.txt") if isinstance(e, VariableSet)]
    # 91 VarSet events in the trace, of which only the originate's CTI_CALL_ID on both legs is ours.
    assert [(e.channel, e.name, e.value) for e in events] == [
        ("Local/5551000@incoming-00000000;1", "CTI_CALL_ID", "call-0001"),
        ("Local/5551000@incoming-00000000;2", "CTI_CALL_ID", "call-0001"),
    ]


def test_global_variable_has_no_channel() -> None:
    events = [e for e in translated("10-userevent-crlf-injection.ami.txt") if isinstance(e, VariableSet)]
    global_ones = [e for e in events if e.channel is None]
    # Step e of the scenario: the Setvar lost its Channel header and set a global.
    assert [(e.uniqueid, e.value) for e in global_ones] == [(None, "z")]
    # Step g stored raw CRs; VarSet shows them escaped, and we keep that text as is.
    assert events[-1].value == "v\\rAction: Hangup\\rChannel: Local/3005@hold-00000055;2"


def test_originate_results_of_the_dialer_cases() -> None:
    results = [e for e in translated("07-dialer-originate-amd.ami.txt") if isinstance(e, OriginateResult)]
    by_id = {r.action_id: r for r in results}
    human = by_id["dial-human"]
    assert (human.success, human.reason, human.uniqueid) == (True, 4, "dialer-0001")
    busy = by_id["dial-busy"]
    assert (busy.success, busy.reason, busy.channel, busy.uniqueid) == (False, 5, "Local/busy@outbound", None)
    assert by_id["dial-noanswer"].reason == 3
    assert by_id["dial-congestion"].reason == 8


def test_hangup_causes_and_dial_statuses() -> None:
    events = translated("07-dialer-originate-amd.ami.txt")
    causes = Counter((e.cause, e.cause_text) for e in events if isinstance(e, ChannelHungUp))
    assert causes[(17, "User busy")] == 2  # the async and the sync busy originate
    assert causes[(19, "User alerting, no answer")] == 2
    assert {e.dial_status for e in events if isinstance(e, DialEnded)} >= {"ANSWER", "BUSY", "CONGESTION"}
    originated = [e for e in events if isinstance(e, DialStarted)]
    assert all(e.channel is None and e.dest_channel.startswith("Local/") for e in originated)


def test_dtmf_digits_of_the_ivr_call() -> None:
    digits = [e for e in translated("02-inbound-ivr-queue.ami.txt") if isinstance(e, DtmfReceived)]
    assert "".join(d.digit for d in digits) == "42719"
    assert {(d.duration_ms, d.direction) for d in digits} == {(120, "Received")}


def test_bridge_hold_and_dial_fields_of_the_queued_calls() -> None:
    bridges = [e for e in translated("02-inbound-ivr-queue.ami.txt") if isinstance(e, BridgeEntered | BridgeLeft)]
    assert [(type(e), e.bridge_channels) for e in bridges] == [
        (BridgeEntered, 1), (BridgeEntered, 2), (BridgeLeft, 1), (BridgeLeft, 0)
    ]
    assert {(e.bridge_id, e.linkedid) for e in bridges} == {
        ("a6ca6994-937f-4e5a-9387-5abd3b04758d", "1795429557.1")
    }
    to_agent = [e for e in translated("02-inbound-ivr-queue.ami.txt") if isinstance(e, DialStarted)][1]
    assert (to_agent.channel, to_agent.uniqueid, to_agent.dest_channel, to_agent.linkedid, to_agent.dial_string) == (
        "Local/5551000@incoming-00000000;2", "1795429557.2", "Local/agent-1@agents-00000001;1", "1795429557.1",
        "Local/agent-1@agents",
    )
    holds = [e for e in translated("06-redirect-bridge-transfer.ami.txt") if isinstance(e, ChannelHoldChanged)]
    assert [(e.channel, e.on_hold) for e in holds] == [
        ("Local/agent-1@agents-0000000c;1", True), ("Local/agent-1@agents-0000000f;1", False)
    ]


def test_user_event_keeps_its_own_headers_only() -> None:
    amd = next(e for e in translated("07-dialer-originate-amd.ami.txt") if isinstance(e, UserEventReceived))
    assert amd.name == "AMDResult"
    assert amd.channel == "Local/human@outbound-00000010;1"
    assert amd.headers == (
        ("Channel", "Local/human@outbound-00000010;1"),
        ("AMDSTATUS", "HUMAN"),
        ("AMDCAUSE", "HUMAN-803-800"),
    )


def test_injected_headers_do_not_change_meaning() -> None:
    """Scenario 10: forged 'Event: Hangup' lines inside events and whole forged events."""
    events = translated("10-userevent-crlf-injection.ami.txt")
    hangups = [e for e in events if isinstance(e, ChannelHungUp)]
    assert all("forged" not in e.channel for e in hangups)
    injected = [e for e in events if isinstance(e, UserEventReceived) and e.name == "Injected"]
    assert len(injected) == 1
    assert injected[0].channel == "Local/77@inject-00000056;2"
    assert ("Event", "Hangup") in injected[0].headers  # kept as data, not obeyed
    appeared = [e for e in events if isinstance(e, ChannelAppeared)]
    assert all("\r" not in e.caller_id_name and "\n" not in e.caller_id_name for e in appeared)


def test_unknown_placeholder_becomes_empty_caller_id() -> None:
    first = next(e for e in translated("02-inbound-ivr-queue.ami.txt") if isinstance(e, ChannelAppeared))
    assert (first.caller_id_num, first.caller_id_name, first.state, first.state_desc) == ("", "", 0, "Down")


def test_responses_and_uninteresting_events_give_nothing() -> None:
    response = AmiMessage(MessageKind.RESPONSE, "Success", (("Response", "Success"), ("Event", "Hangup")))
    assert translate(response) is None
    assert translate(AmiMessage(MessageKind.EVENT, "Newexten", (("Event", "Newexten"),))) is None


header_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
header_keys = st.sampled_from(
    ["Channel", "Uniqueid", "Linkedid", "ChannelState", "Cause", "Digit", "DurationMs", "DestChannel",
     "DestUniqueid", "BridgeUniqueid", "BridgeNumChannels", "Reason", "Response", "Variable", "Value",
     "UserEvent", "ActionID"]
) | header_text


@given(
    name=st.sampled_from(sorted(TRANSLATORS)),
    headers=st.lists(st.tuples(header_keys, header_text), max_size=12),
)
def test_translation_never_raises_on_odd_headers(name: str, headers: list[tuple[str, str]]) -> None:
    message = AmiMessage(MessageKind.EVENT, name, (("Event", name), *headers))
    event = translate(message, at=5.0)
    assert event is None or event.at == 5.0


def test_trace_folder_is_complete() -> None:
    assert len(TRACE_FILES) == 10
    assert all(Path(TRACES / t).stat().st_size > 0 for t in TRACE_FILES)
