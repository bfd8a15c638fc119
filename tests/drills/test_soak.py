"""The 2-minute soak (``callcenter bench soak --minutes 2``) at a moderate rate: its checks must all pass."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.timeout(300)
def test_two_minute_soak_holds_every_invariant(figure) -> None:  # type: ignore[no-untyped-def]
    done = subprocess.run([sys.executable, "-m", "callcenter", "bench", "soak", "--minutes", "2", "--rate", "3",
                           "--agents", "45", "--handle", "8"],
                          capture_output=True, text=True, timeout=300, check=False)
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-3000:]
    figures = json.loads(lines[-1])
    figure(lines[-2], **{k: figures[k] for k in ("calls_rung", "service_level", "rss_growth", "tasks_before",
                                                  "tasks_after", "stuck", "checks")})
    assert figures["checks"] == {"service_level_met": True, "memory_flat": True, "nothing_left_behind": True,
                                 "no_agent_stuck": True, "every_call_begins_and_ends": True}, figures
    assert done.returncode == 0
