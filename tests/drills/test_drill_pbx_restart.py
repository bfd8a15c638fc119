"""Drill: the PBX restarted mid-calls (the simulator's process killed with ``kill -9`` and started again on the same
ports, as Asterisk comes back after a crash: every call gone). The node's AMI link comes back, the calls the
restart cut are closed in the event log, the agents are free again, and the next caller is served.

(tests/integration/test_integration_ami_restart.py covers the AMI client alone when only the manager
interface restarts and calls stay up; this is the whole node when the calls go down with the PBX.)
"""

from __future__ import annotations

import time
from pathlib import Path

from drill_kit import caller, drill_center, free_port, node_settings, of, pbx_for, prepare_database, until

from acd.agents import AgentState
from acd.events import CallAbandoned, CallConnected, CallEnded, CallQueued
from bus.events import DomainEvent
from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.wiring import crm_directory
from cti.ami.events import PbxResynced

AGENTS = ("7000", "7001")


async def test_drill_pbx_restarted_mid_calls(tmp_path: Path, figure) -> None:  # type: ignore[no-untyped-def]
    db_url = f"sqlite:///{tmp_path / 'cc.sqlite3'}"
    codes = prepare_database(db_url, agents_ready=AGENTS)
    ami_port, agi_port = free_port(), free_port()
    pbx = pbx_for(ami_port, agi_port)
    await pbx.start()
    node = Node(Settings(**node_settings(tmp_path, db_url, ami_port, agi_port), raw=drill_center(len(AGENTS))),
                directory_factory=crm_directory, say=lambda line: None)
    events: list[DomainEvent] = []
    try:
        await node.start()
        assert node.acd is not None
        node.bus.add_listener(events.append)
        await pbx.ring([caller(codes[0], "5550001", talk=300), caller(codes[1], "5550002", talk=300)])
        await until(lambda: len(of(events, CallConnected)) == 2, "both agents talking")
        await pbx.ring([caller(codes[2], "5550003")])
        await until(lambda: len(of(events, CallQueued)) == 3, "a third caller waiting")
        cut = {e.call_id for e in of(events, CallQueued)}

        pbx.kill()
        await pbx.start()
        up_at = time.monotonic()
        since = len(events)
        await until(lambda: any(isinstance(e, PbxResynced) for e in events[since:]), "the AMI link back")
        back = time.monotonic() - up_at
        await until(lambda: {e.call_id for e in of(events, CallEnded) + of(events, CallAbandoned)} >= cut,
                    "the cut calls closed")
        closed = time.monotonic() - up_at
        acd = node.acd
        await until(lambda: all(acd.agent(a).state is AgentState.READY for a in AGENTS), "the agents free")
        await pbx.ring([caller(codes[3], "5550004", talk=1)])
        await until(lambda: of(events, CallConnected)[2:], "the next caller served")
        served = time.monotonic() - up_at
    finally:
        await node.stop()
        await pbx.stop()

    figure(f"PBX restarted mid-calls: AMI back {back:.2f} s after the PBX was up, the {len(cut)} cut calls "
           f"closed {closed:.2f} s after, agents free, next caller connected {served:.2f} s after",
           ami_back_s=round(back, 3), cut_calls=len(cut), closed_s=round(closed, 3), next_served_s=round(served, 3))
    ends = [e.call_id for e in of(events, CallEnded) + of(events, CallAbandoned) if e.call_id in cut]
    assert sorted(ends) == sorted(cut)  # each closed once
