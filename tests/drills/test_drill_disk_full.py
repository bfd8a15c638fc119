"""Drill: the event log's disk fills up mid-traffic (SQLite on a small tmpfs this test mounts). The node says so
once, clearly, keeps serving calls, and writes every kept event once the space is back: nothing dropped.
Needs root to mount (skipped otherwise)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from drill_kit import (
    caller,
    drill_center,
    free_port,
    logged_events,
    lost_and_twice,
    node_settings,
    pbx_for,
    prepare_database,
    until,
)

from acd.events import CallConnected
from bus.events import DomainEvent
from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.soak_bench import audit_calls
from callcenter.wiring import crm_directory

FULL_SECONDS = 3.0
AGENTS = 10


@contextlib.contextmanager
def small_disk(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Take every free byte of ``disk``."""
    filler = disk / "filler"
    # the disk may be full already (the database grew to its end): then there is nothing left to take
    with contextlib.suppress(OSError), open(filler, "wb") as out:
        while True:
            out.write(b"\0" * 65536)
            out.flush()
    return filler


async def test_drill_event_log_disk_full(tmp_path: Path, figure, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING, logger="callcenter.recorder")
    with small_disk(tmp_path / "disk", "8m") as disk:
        db_url = f"sqlite:///{disk / 'cc.sqlite3'}"
        agents = [str(7000 + i) for i in range(AGENTS)]
        codes = prepare_database(db_url, agents_ready=agents)
        ami_port, agi_port = free_port(), free_port()
        pbx = pbx_for(ami_port, agi_port)
        await pbx.start()
        node = Node(Settings(**node_settings(tmp_path, db_url, ami_port, agi_port), raw=drill_center(AGENTS)),
                    directory_factory=crm_directory, say=lambda line: None)
        try:
            await node.start()
            assert node.recorder is not None
            published: list[DomainEvent] = []
            node.bus.add_listener(published.append)
            rung = [caller(codes[i % len(codes)], f"55502{i:02d}", talk=1.0, after=i * 0.3) for i in range(25)]
            await pbx.schedule(rung)
            await asyncio.sleep(1.5)

            filler = await asyncio.to_thread(fill, disk)
            full_at = time.monotonic()
            connected_before = len([e for e in published if isinstance(e, CallConnected)])
            kept = 0
            while time.monotonic() - full_at < FULL_SECONDS:
                kept = max(kept, node.recorder.backlog(time.time())[0])
                await asyncio.sleep(0.05)
            served_while_full = len([e for e in published if isinstance(e, CallConnected)]) - connected_before
            failed_writes = node.recorder.failed_writes
            filler.unlink(missing_ok=True)
            freed_at = time.time()
            written_by = await until(lambda: node.recorder is not None and not node.recorder.unreachable
                                     and node.recorder.backlog(time.time())[0] == 0, "the kept events written")
            await until(lambda: len([e for e in published if type(e).__name__ == "IvrFinished"]) == len(rung),
                        "every caller through the IVR", timeout=30, every=0.1)
            await asyncio.sleep(3.0)  # the last talks end
            await node.recorder.flush()
        finally:
            await node.stop()
            await pbx.stop()
        events = logged_events(db_url)

    errors = [r.getMessage() for r in caplog.records
              if r.name == "callcenter.recorder" and r.levelno == logging.ERROR and "event log" in r.getMessage()]
    lost, twice = lost_and_twice(published, events)
    audit = audit_calls(events)
    figure(f"disk full {FULL_SECONDS:g} s: {served_while_full} calls connected meanwhile, {kept} events kept in "
           f"memory, all written {written_by - freed_at:.2f} s after space came back; lost: {lost}, "
           f"duplicates: {twice}; error logged {len(errors)} time(s): {errors[0] if errors else None!r}",
           served_while_full=served_while_full, kept=kept, lost=lost, duplicates=twice,
           failed_writes=failed_writes, errors_logged=len(errors))
    assert kept > 0 and served_while_full > 0
    assert len(errors) == 1 and "database or disk is full" in errors[0]
    assert lost == 0 and twice == 0
    assert audit["calls_in_log"] == len(rung) and not audit["without_end"]
