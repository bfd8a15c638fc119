"""The wall's staffing panel: folded from the bus events, per queue, plain JSON (no infinity)."""

from __future__ import annotations

import json

from acd.events import CallConnected, CallEnded, CallQueued
from agent_desktop.staffing_panel import StaffingPanel
from agent_desktop.wall import QueueTargets


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_panel_advises_from_the_last_window_and_never_sends_infinity() -> None:
    clock = Clock()
    panel = StaffingPanel(clock=clock, targets={"support": QueueTargets(sl_seconds=20, sl_target=0.8)},
                          window_seconds=900)
    start = clock.now
    for i in range(90):  # 360 calls an hour for 15 minutes, 180 s each
        at = start + i * 10
        panel.apply(CallQueued(at=at, call_id=f"c{i}", queue="support", priority=0, enter_time=at))
        panel.apply(CallConnected(at=at + 5, call_id=f"c{i}", queue="support", agent_id="a1", wait_seconds=5))
        panel.apply(CallEnded(at=at + 185, call_id=f"c{i}", queue="support", agent_id="a1", talk_seconds=180))
    clock.now = start + 900
    (support,) = panel.panels({"support": 3}, ["support"])
    assert support["queue"] == "support" and support["logged_in"] == 3
    assert (support["now"]["calls_per_hour"], support["now"]["handle_seconds"]) == (360.0, 180.0)
    assert support["advice_now"]["erlang_c_agents"] == 22
    # 3 agents for 18 erlangs: no finite wait, sent as null.
    assert support["with_logged_in"]["asa"] is None
    json.dumps(support, allow_nan=False)

