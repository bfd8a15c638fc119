"""Dial outcomes from what a real Asterisk reported (trace 07) and from made-up reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outbound import rules
from outbound.dial_outcomes import (
    BUSY,
    CONGESTION,
    DIAL_OUTCOMES,
    FAILED,
    HOPPER_OUTCOME,
    INVALID,
    MACHINE,
    NO_ANSWER,
    PERSON,
    DialOutcomeError,
    amd_outcome,
    originate_outcome,
)

TRACE = Path(__file__).parents[1] / "fixtures" / "traces" / "07-dialer-originate-amd.summary.json"
EXPECTED = {"human": PERSON, "machine": MACHINE, "silent": PERSON, "busy": BUSY, "noanswer": NO_ANSWER,
            "congestion": CONGESTION, "rejected": FAILED, "nosuchexten": FAILED}


def test_recorded_asterisk_reports_give_the_outcomes_a_campaign_manager_expects() -> None:
    cases = json.loads(TRACE.read_text())["results"]["cases"]
    for case, expected in EXPECTED.items():
        report = cases[case]
        response = report["OriginateResponse"]
        outcome = originate_outcome(response["Response"], response["Reason"], [h[1] for h in report["hangups"]])
        if outcome is None:
            outcome = amd_outcome(report["AMD"]["AMDSTATUS"], report["AMD"]["AMDCAUSE"])
        assert outcome == expected, case


def test_an_unallocated_number_is_invalid() -> None:
    assert originate_outcome("Failure", "0", ["1", "0"]) == INVALID


def test_notsure_follows_the_campaign_rule_and_rubbish_is_refused() -> None:
    assert amd_outcome("NOTSURE", "TOOLONG-4900", notsure_is_person=False) == MACHINE
    with pytest.raises(DialOutcomeError):
        amd_outcome("PERHAPS")
    with pytest.raises(DialOutcomeError):
        originate_outcome("Failure", "x")


def test_every_outcome_maps_to_a_hopper_outcome() -> None:
    assert set(HOPPER_OUTCOME) == set(DIAL_OUTCOMES)
    assert set(HOPPER_OUTCOME.values()) <= set(rules.OUTCOMES)


@given(st.sampled_from(["Success", "Failure"]), st.integers(0, 9), st.lists(st.integers(0, 127), max_size=3))
def test_any_report_gives_a_known_outcome_or_waits_for_amd(response: str, reason: int, causes: list[int]) -> None:
    outcome = originate_outcome(response, reason, causes)
    assert outcome in DIAL_OUTCOMES or (outcome is None and response == "Success" and reason == 4)
