"""``callcenter bench ivr`` on a small run: every session counted, turnaround measured, JSON last."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callcenter.cli import main


def test_bench_ivr_counts_every_session_and_reports_turnaround(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "callcenter.toml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("CALLCENTER_DATA_DIR", str(tmp_path / "var"))  # the prompt cache goes there

    assert main(["--config", str(config), "bench", "ivr", "--sessions", "20", "--rate", "200"]) == 0

    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["bench"] == "ivr" and result["sessions"] == 20
    assert (result["completed"], result["lost"], result["wrong"]) == (20, 0, 0)
    assert result["outcomes"] == {"queue": 20}
    assert result["peak_concurrent"] == 20  # all held at once
    # Each session answers, plays, collects the code and the menu choice and sets its call data.
    assert result["commands"] >= 20 * 6
    assert 0 < result["p50_ms"] <= result["p99_ms"]
