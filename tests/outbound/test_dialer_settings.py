"""The [dialer] table: what it accepts, and what it refuses before a value reaches the PBX."""

from __future__ import annotations

import pytest

from outbound.dialer import DialerSettings, DialerSettingsError


def test_the_table_sets_rules_per_campaign_and_takes_the_nodes_ring_time() -> None:
    settings = DialerSettings.from_table({"machine_rule": "message", "machine_rules": {"7": "agent"},
                                          "keep_for_inbound": 1}, ring_seconds=25)
    assert (settings.rule_for(7), settings.rule_for(8), settings.ring_seconds) == ("agent", "message", 25)


@pytest.mark.parametrize("table", [
    {"machine_rule": "voicemail"},
    {"machine_rules": {"7": "drop"}},
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
