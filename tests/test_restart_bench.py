"""``callcenter bench restart`` on a small log: the restart finds exactly the open calls from snapshot + tail."""

from __future__ import annotations

import json

import pytest

from callcenter.cli import main


def test_bench_restart_finds_the_open_calls_reading_only_the_tail(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "restart", "--events", "30000", "--open", "6", "--tail", "2000",
                 "--whole-sample", "2000"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["exactly_the_open_calls"] and result["open_calls"] >= 6
    assert result["snapshot_position"] == 28000 and 0 < result["tail_events_read"] <= 2000
