"""The IVR records every node entered and its result in the event log, and the IVR report reads them:
containment, paths, hang-up points, recognition rates."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_agi_runner import ADA, HANG_UP, FakeChannel, directory, library

from bus.events import DomainEvent
from ivr.agi_runner import run_flow
from ivr.events import IvrFinished, IvrNodeVisited
from ivr.loader import load_builtin_flow
from reports.ivr_report import ivr_report


async def walk(tmp_path: Path, script: list[object], call_id: str, **kwargs: object) -> list[DomainEvent]:
    prompts, _ = library(tmp_path / call_id)
    channel = FakeChannel(script, **kwargs)  # type: ignore[arg-type]
    channel.call_id = call_id
    events: list[DomainEvent] = []
    outcome = await run_flow(channel, load_builtin_flow(), directory(), prompts=prompts, publish=events.append,
                             clock=lambda: 100.0)
    return [*events, IvrFinished.from_outcome(outcome)]


async def test_each_node_and_its_result_is_published(tmp_path: Path) -> None:
    events = await walk(tmp_path, ["100009", "123455", None], "c1")
    steps = [(e.node, e.result) for e in events if isinstance(e, IvrNodeVisited)]
    assert steps[:6] == [("caller_language", "entered"), ("welcome", "entered"), ("ask_code", "entered"),
                         ("ask_code", "recognised"), ("check_code", "entered"), ("check_code", "not_valid")]
    # the second code fails its checksum, then silence: three attempts used, so the fallback queue.
    assert ("ask_code", "timeout") in steps
    assert steps.count(("check_code", "not_valid")) == 2
    assert steps[-1] == ("general", "entered")


async def test_the_ivr_report_over_four_callers(tmp_path: Path) -> None:
    events = [
        *await walk(tmp_path, [ADA.code, "1"], "served"),  # identified, support queue
        *await walk(tmp_path, ["100009", ADA.code, "7", "2"], "retried"),  # a bad code, an invalid key, sales
        *await walk(tmp_path, [ADA.code, HANG_UP], "left"),  # hangs up at the menu
        *await walk(tmp_path, [], "early", hang_up_on_stream=0),  # hangs up during the welcome
    ]
    report = ivr_report(events, 0.0, 200.0)
    assert report.calls == 4
    assert report.outcomes == {"queue": 2, "abandoned_in_ivr": 2}
    assert (report.containment, report.abandon_rate) == (0.0, 0.5)
    assert report.hang_up_points == {"main_menu": 1, "welcome": 1}
    # check_code: valid for served, retried (second try) and left; not valid once (retried's first code).
    assert report.code_recognition == pytest.approx(3 / 4)
    # main_menu: served 1 ok; retried 7 invalid then 2 ok; left hung up (no answer counted).
    assert report.input_recognition["main_menu"] == pytest.approx(2 / 3)
    assert report.input_recognition["ask_code"] == 1.0
    assert ("caller_language > welcome", 1) in report.paths
    assert sum(count for _, count in report.paths) == 4
