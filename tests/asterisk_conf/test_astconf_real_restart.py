"""Drill on a real Asterisk (``ASTERISK_BIN``, PJSIP, sipp): Asterisk restarted while one caller talks to the only
agent and two more wait. Measured and printed as a ``DRILL`` line: how long after Asterisk is back the node's PBX
link is up again, when every cut call is closed in the event log, and that the next caller is served."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from real_asterisk import asterisk_binary

from acd.events import CallAbandoned, CallConnected, CallEnded, CallQueued
from bus.events import DomainEvent
from callcenter.sip_load import RateFigures, RigOptions, SipLoadError, open_rig
from crm_core.eventlog import read_events
from ivr.tts import SpeechSynthesizer

pytestmark = pytest.mark.asterisk


def _pbx_connected(ops_port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ops_port}/readyz", timeout=1) as response:
            return bool(json.load(response)["pbx"] == "connected")
    except urllib.error.HTTPError as exc:
        return bool(json.load(exc)["pbx"] == "connected")
    except (OSError, ValueError):
        return False


def _until(predicate: object, what: str, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)
    return time.monotonic()


@pytest.mark.timeout(300)
def test_drill_asterisk_restarted_mid_calls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = asterisk_binary()
    if shutil.which("sipp") is None:
        pytest.skip("sipp is not installed (Debian package sip-tester)")
    if not SpeechSynthesizer(tmp_path).available():
        pytest.skip("espeak-ng is not installed: the IVR cannot speak its prompts")
    options = RigOptions(asterisk=binary, data_dir=tmp_path / "data", work_dir=tmp_path / "run",
                         agents=1, ring_ms=300, talk_ms=15_000)
    with open_rig(options) as rig:
        def logged() -> list[DomainEvent]:
            with rig.sessions() as session:
                return read_events(session, types=[CallQueued, CallConnected, CallEnded, CallAbandoned])

        def of(kind: type[DomainEvent]) -> set[str]:
            return {str(getattr(e, "call_id", "")) for e in logged() if isinstance(e, kind)}

        first: list[RateFigures | BaseException] = []

        def ring_first() -> None:
            try:
                first.append(rig.run_rate(2.0, 1.5))  # three callers: one talks, two wait
            except (SipLoadError, OSError) as exc:
                first.append(exc)

        callers = threading.Thread(target=ring_first)
        callers.start()
        _until(lambda: len(of(CallConnected)) >= 1 and len(of(CallQueued)) >= 3, "one caller talking, two waiting",
               90)
        cut = of(CallQueued)
        link: list[tuple[float, bool]] = []  # the node's PBX link as /readyz tells it, sampled through the restart
        watching = threading.Event()

        def watch() -> None:
            while not watching.is_set():
                link.append((time.monotonic(), _pbx_connected(rig.ops_port)))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        began = time.monotonic()
        try:
            rig.asterisk.restart()
            up = time.monotonic()
            closed = _until(lambda: cut <= of(CallEnded) | of(CallAbandoned), "the cut calls closed", 60) - began
            lost_at = _until(lambda: any(not ok for _, ok in link), "the node to see the PBX go", 30)
            _until(lambda: any(ok and t > lost_at for t, ok in link), "the node's PBX link back", 30)
        finally:
            watching.set()
            watcher.join()
        back_at = min(t for t, ok in link if ok and t > min(t for t, ok in link if not ok))
        callers.join(180)
        after = rig.run_rate(1.0, 1.0)
        served = time.monotonic() - up
        events = logged()

    ends = [str(getattr(e, "call_id", "")) for e in events
            if isinstance(e, CallEnded | CallAbandoned) and getattr(e, "call_id", "") in cut]
    how = {call: type(e).__name__ for e in events if isinstance(e, CallEnded | CallAbandoned)
           for call in [str(e.call_id)] if call in cut}
    values = {"restart_s": round(up - began, 2), "pbx_back_after_up_s": round(back_at - up, 3),
              "cut_calls": len(cut), "closed_after_restart_began_s": round(closed, 3),
              "how_closed": sorted(how.values()), "next_call_completed": after.completed,
              "next_call_done_s": round(served, 1)}
    with capsys.disabled():
        print(f"\nDRILL test_drill_asterisk_restarted_mid_calls: real Asterisk restarted ({up - began:.1f} s to stop "
              f"and boot) with 1 caller talking and {len(cut) - 1} waiting: the {len(cut)} cut calls closed "
              f"{closed:.2f} s after the restart began, the node's PBX link back {back_at - up:+.2f} s from Asterisk "
              f"fully booted, the next caller served (IVR, queue, talk, end) {served:.1f} s after "
              f"{json.dumps(values)}", flush=True)
    assert sorted(ends) == sorted(cut)  # each cut call closed, once
    assert after.completed == after.accounted == 1, after
