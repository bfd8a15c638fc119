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


@pytest.mark.parametrize("table", [
    {"machine_message": "hello\r\nAction: Originate"},  # would forge AMI lines
    {"abandon_message": "a&b"},  # would play a second file
    {"ring_seconds": 10},
    {"dial": "Local/1@callcenter-outbound"},
    {"max_lines": 0},
    {"pacing": "fast"},
])
def test_bad_values_are_refused_with_the_setting_named(table: dict[str, object]) -> None:
    with pytest.raises(DialerSettingsError):
        DialerSettings.from_table(table)
