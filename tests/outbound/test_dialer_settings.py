"""The [dialer] table: what it accepts, and what it refuses before a value reaches the PBX."""

from __future__ import annotations

import pytest

from outbound.dialer import DialerSettings, DialerSettingsError


def test_the_table_takes_the_nodes_ring_time() -> None:
    settings = DialerSettings.from_table({"keep_for_inbound": 1, "machine_message": "vm-goodbye"}, ring_seconds=25)
    assert (settings.keep_for_inbound, settings.ring_seconds) == (1, 25)


@pytest.mark.parametrize("key", ["machine_rule", "machine_rules"])
def test_machine_rules_left_in_the_table_point_to_the_campaign_page(key: str) -> None:
    with pytest.raises(DialerSettingsError, match="each campaign now has its own machine rule"):
        DialerSettings.from_table({key: "message"})


def test_a_ring_time_in_the_table_points_to_the_nodes_one() -> None:
    """The originate and the rendered dialplan's Dial() ring as long as each other: one setting for both."""
    with pytest.raises(DialerSettingsError, match="ring_seconds is the top-level setting"):
        DialerSettings.from_table({"ring_seconds": 20}, ring_seconds=30)


@pytest.mark.parametrize("table", [
    {"machine_message": "hello\r\nAction: Originate"},  # would forge AMI lines
    {"abandon_message": "a&b"},  # would play a second file
    {"dial": "Local/1@callcenter-outbound"},
    {"max_lines": 0},
    {"pacing": "fast"},
])
def test_bad_values_are_refused_with_the_setting_named(table: dict[str, object]) -> None:
    with pytest.raises(DialerSettingsError):
        DialerSettings.from_table(table)
