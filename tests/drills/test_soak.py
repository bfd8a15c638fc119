"""A 75-second soak (``callcenter bench soak --minutes 1.25``) at a moderate rate: its checks must all pass. (The
hour-long one is ``callcenter bench soak``: the suite keeps to its 15 minutes.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.timeout(300)
def test_a_75_second_soak_holds_every_invariant(figure) -> None:  # type: ignore[no-untyped-def]
    done = subprocess.run([sys.executable, "-m", "callcenter", "bench", "soak", "--minutes", "1.25", "--rate", "3",
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
