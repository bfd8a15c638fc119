"""Drill: a network partition between the leading node and Redis. Redis runs in a network namespace of its own,
reached by each node through its own veth pair; the leader's link is cut (``ip link set ... down``). The
cut-off leader steps down before the standby can lead: never two leaders. Needs root and ``ip netns``
(skipped otherwise)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from drill_kit import RedisServer, drill_center, free_port, node_settings, pbx_for, prepare_database, until

from callcenter.commands import _serve
from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.wiring import crm_directory

# Addresses inside the drill's own namespace and on its veth ends (link-local: they never leave the machine).
LEADER_SIDE, LEADER_REDIS = "169.254.77.1", "169.254.77.2"
STANDBY_SIDE, STANDBY_REDIS = "169.254.77.5", "169.254.77.6"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@contextlib.contextmanager
def redis_namespace() -> Iterator[tuple[str, str]]:
    """A namespace joined to this one by two veth pairs; yields (namespace, the leader's veth end here)."""
    tag = secrets.token_hex(3)
    ns, leader_link, standby_link = f"ccdrill{tag}", f"ccl{tag}", f"ccs{tag}"
    try:
        _ip("netns", "add", ns)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"cannot make a network namespace here: {getattr(exc, 'stderr', exc)}")
    try:
        for here, there, mine, theirs in ((leader_link, f"{leader_link}r", LEADER_SIDE, LEADER_REDIS),
                                          (standby_link, f"{standby_link}r", STANDBY_SIDE, STANDBY_REDIS)):
            _ip("link", "add", here, "type", "veth", "peer", "name", there)
            _ip("link", "set", there, "netns", ns)
            _ip("addr", "add", f"{mine}/30", "dev", here)
            _ip("link", "set", here, "up")
            _ip("netns", "exec", ns, "ip", "addr", "add", f"{theirs}/30", "dev", there)
            _ip("netns", "exec", ns, "ip", "link", "set", there, "up")
        _ip("netns", "exec", ns, "ip", "link", "set", "lo", "up")
        yield ns, leader_link
    finally:
        for link in (leader_link, standby_link):
            subprocess.run(["ip", "link", "del", link], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


async def test_drill_partition_between_the_leader_and_redis(tmp_path: Path, figure) -> None:  # type: ignore[no-untyped-def]
    with redis_namespace() as (ns, leader_link):
        port = free_port()
        redis = RedisServer(port, bind="0.0.0.0", prefix=("ip", "netns", "exec", ns))
        redis.start()
        db_url = f"sqlite:///{tmp_path / 'cc.sqlite3'}"
        prepare_database(db_url)
        ami_port, agi_port = free_port(), free_port()
        pbx = pbx_for(ami_port, agi_port)
        base = node_settings(tmp_path, db_url, ami_port, agi_port)
        leader = Node(Settings(**base, redis_url=f"redis://{LEADER_REDIS}:{port}/0", raw=drill_center(1)),
                      directory_factory=crm_directory, say=lambda line: None)
        standby = Node(Settings(**base, redis_url=f"redis://{STANDBY_REDIS}:{port}/0", raw=drill_center(1)),
                       directory_factory=crm_directory, say=lambda line: None)
        both_led = 0
        serving: list[asyncio.Task[int]] = []

        async def watch() -> None:
            nonlocal both_led
            while True:
                both_led += leader.role() == "leader" and standby.role() == "leader"
                await asyncio.sleep(0.005)

        watching = asyncio.create_task(watch())
        try:
            await pbx.start()
            serving.append(asyncio.create_task(_serve(leader)))
            await until(lambda: leader.acd_service is not None, "the first node to lead", timeout=30)
            serving.append(asyncio.create_task(_serve(standby)))
            await until(lambda: standby.lease is not None, "the second node on standby", timeout=30)
            await asyncio.sleep(1.0)  # renewals and the standby's watch go on through the link

            _ip("link", "set", leader_link, "down")
            cut_at = time.monotonic()
            assert leader.lease is not None
            await asyncio.wait_for(leader.lease.lost.wait(), 5)
            stepped_down = time.monotonic() - cut_at
            await until(lambda: standby.acd_service is not None and standby.role() == "leader",
                        "the standby to lead", timeout=10, every=0.005)
            took_over = time.monotonic() - cut_at
            assert await asyncio.wait_for(serving[0], 10) == 3  # the cut-off node stopped, to restart as standby
        finally:
            watching.cancel()
            for task in serving:
                task.cancel()
            await asyncio.gather(*serving, return_exceptions=True)
            await pbx.stop()
            redis.stop()

    figure(f"partition: the cut-off leader stepped down {stepped_down:.2f} s after the cut, the standby led "
           f"{took_over:.2f} s after it; moments with two leaders: {both_led}",
           stepped_down_s=round(stepped_down, 3), standby_leads_s=round(took_over, 3), two_leaders=both_led)
    assert stepped_down < took_over and both_led == 0
