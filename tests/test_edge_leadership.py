"""One ACD leader per site through a Redis lease: standby nodes wait, take over when the leader goes, and a
leader whose lease is gone knows it. Needs the Redis at 127.0.0.1:6379 (skipped without it)."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from acd.events import CallConnected, CallQueued
from callcenter.commands import _serve
from callcenter.leadership import LeaderLease
from callcenter.node import Node
from callcenter.settings import Settings
from callcenter.wiring import crm_directory
from cti.sim import CallerScript, Simulator, SimulatorConfig
from cti.sim.config import PhoneBehaviour

# A database of its own, so the lease key meets no other test's.
REDIS_URL = "redis://127.0.0.1:6379/7"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379 (make sure it runs: .ci/run)")


async def _until(predicate: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _key() -> str:
    return f"test:acd-leader:{uuid.uuid4().hex}"


async def test_one_node_leads_and_a_standby_takes_over_when_it_lets_go() -> None:
    key = _key()
    first, second = LeaderLease(REDIS_URL, "n1", ttl=1.0, key=key), LeaderLease(REDIS_URL, "n2", ttl=1.0, key=key)
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        assert await second.holder() == "n1"
        await asyncio.sleep(1.5)  # longer than the lease: renewals keep it
        assert not await second.try_acquire() and not first.lost.is_set()
        waiting = asyncio.create_task(second.acquire())
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await first.release()
        await asyncio.wait_for(waiting, 2.0)
        assert await second.holder() == "n2" and second.held
    finally:
        await first.release()
        await second.release()


async def test_a_dead_leaders_lease_expires_and_a_standby_takes_it() -> None:
    key = _key()
    dead, standby = LeaderLease(REDIS_URL, "n1", ttl=1.0, key=key), LeaderLease(REDIS_URL, "n2", ttl=1.0, key=key)
    try:
        assert await dead.try_acquire()
        assert dead._renewer is not None
        dead._halt.set()  # the process froze: no more renewals, and no release either
        started = time.monotonic()
        await asyncio.wait_for(standby.acquire(), 3.0)
        assert 0.5 < time.monotonic() - started < 2.0  # about one lease after the last renewal
    finally:
        await standby.release()
        await dead.release()


async def test_a_waiting_standby_takes_a_dead_leaders_lease_the_moment_it_runs_out() -> None:
    key = _key()
    dead, standby = LeaderLease(REDIS_URL, "n1", ttl=1.0, key=key), LeaderLease(REDIS_URL, "n2", ttl=1.0, key=key)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert await dead.try_acquire()
        waiting = asyncio.create_task(standby.acquire())
        await asyncio.sleep(1.2)  # the standby waits through renewals
        assert not waiting.done()
        assert dead._renewer is not None
        dead._halt.set()
        await asyncio.to_thread(dead._renewer.join)
        runs_out_at = time.monotonic() + client.pttl(key) / 1000
        await asyncio.wait_for(waiting, 3.0)
        assert -0.01 < time.monotonic() - runs_out_at < 0.1  # not a poll interval later
    finally:
        client.close()
        await standby.release()
        await dead.release()


async def test_a_leader_keeps_its_lease_through_an_event_loop_pause_longer_than_the_lease() -> None:
    key = _key()
    leader = LeaderLease(REDIS_URL, "n1", ttl=1.0, key=key)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert await leader.try_acquire()
        time.sleep(1.5)  # e.g. a password hashed on the loop: nothing decides meanwhile
        await asyncio.sleep(0.1)
        assert leader.held and client.get(key) == b"n1"
    finally:
        client.close()
        await leader.release()


async def test_a_leader_whose_event_loop_is_wedged_lets_the_lead_go() -> None:
    key = _key()
    leader = LeaderLease(REDIS_URL, "n1", ttl=1.0, key=key, stall_limit=1.0)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert await leader.try_acquire()
        time.sleep(2.5)  # renewals stop after a second of stillness; the lease runs out a second later
        assert client.get(key) is None
        await asyncio.wait_for(leader.lost.wait(), 0.5)  # the first thing the loop learns when it wakes
    finally:
        client.close()
        await leader.release()


async def test_a_leader_whose_lease_was_taken_knows_it_has_lost_the_lead() -> None:
    key = _key()
    lease = LeaderLease(REDIS_URL, "n1", ttl=1.0, key=key)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert await lease.try_acquire()
        client.set(key, "n2")  # e.g. the lease expired during a long pause and another node took it
        await asyncio.wait_for(lease.lost.wait(), 2.0)
        assert not lease.held
        await lease.release()
        assert client.get(key) == b"n2"  # releasing a lost lease leaves the new leader's alone
    finally:
        client.delete(key)
        client.close()
        await lease.release()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_standby_node_takes_over_a_waiting_call_when_the_leader_stops(tmp_path: Path) -> None:
    redis.Redis.from_url(REDIS_URL).delete("callcenter:acd-leader")
    agi_port = _free_port()
    sim = Simulator(SimulatorConfig(
        ami_port=0, ami_user="callcenter", ami_secret="callcenter", agi_url=f"agi://127.0.0.1:{agi_port}/inbound",
        speed=20.0, shipped_dialplan=True, default_phone=PhoneBehaviour(answer_after=1.0, talk_time=60.0),
        prompt_seconds=1.0,
    ))
    await sim.start()
    settings = {"db_url": f"sqlite:///{tmp_path / 'cc.sqlite3'}", "http_port": 0, "ami_host": "127.0.0.1",
                "ami_port": sim.ami_port, "agi_port": agi_port, "data_dir": str(tmp_path), "redis_url": REDIS_URL,
                "leader_ttl": 1}
    said: list[str] = []
    leader = Node(Settings(**settings), directory_factory=crm_directory, say=said.append)  # type: ignore[arg-type]
    standby = Node(Settings(**settings), directory_factory=crm_directory, say=said.append)  # type: ignore[arg-type]
    taking_over: asyncio.Task[None] | None = None
    try:
        await leader.start()
        taking_over = asyncio.create_task(standby.start())
        await _until(lambda: any("standby" in line for line in said), "the second node to wait on standby")
        assert standby.acd_service is None and standby.agi is None  # it decides nothing meanwhile

        queued: list[CallQueued] = []
        leader.bus.add_listener(lambda e: queued.append(e) if isinstance(e, CallQueued) else None)
        # No code keyed: the IVR sends the caller on, unidentified, to the general queue, where nobody is ready.
        await sim.place_inbound_call("5551000", "5550100", "Waiting Caller", script=CallerScript(patience=600))
        await _until(lambda: queued, "the caller to queue on the leader", timeout=30)
        call_id = queued[0].call_id

        await leader.stop()
        await asyncio.wait_for(taking_over, 15)
        assert any("leads the ACD now" in line for line in said)
        assert standby.acd is not None and standby.acd_service is not None
        assert standby.acd.call(call_id).queue == queued[0].queue  # re-adopted from the PBX and the log

        connected: list[CallConnected] = []
        standby.bus.add_listener(lambda e: connected.append(e) if isinstance(e, CallConnected) else None)
        agent = next(a.agent_id for a in standby.acd.agents() if a.agent_id.startswith("20"))
        await standby.acd_service.set_ready(agent)
        await _until(lambda: any(c.call_id == call_id for c in connected), "the new leader to connect the caller")
    finally:
        if taking_over is not None and not taking_over.done():
            taking_over.cancel()
        await standby.stop()
        await leader.stop()
        await sim.stop()


async def test_serve_stops_the_node_when_it_loses_the_lead(tmp_path: Path) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.delete("callcenter:acd-leader")
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}", http_port=0, ami_port=0, agi_port=0,
                        data_dir=str(tmp_path), redis_url=REDIS_URL, leader_ttl=1)
    node = Node(settings, directory_factory=crm_directory, say=lambda line: None)
    serving = asyncio.create_task(_serve(node))
    try:
        await _until(lambda: node.acd_service is not None and node.http_port is not None, "the node to lead")
        client.set("callcenter:acd-leader", "another-node")
        assert await asyncio.wait_for(serving, 5) == 3
        assert node.lease is not None and node.lease.lost.is_set()
    finally:
        client.delete("callcenter:acd-leader")
        client.close()
        if not serving.done():
            serving.cancel()


class _Partition:
    """A TCP relay to Redis that can stop passing bytes without closing anything (a cut cable)."""

    def __init__(self) -> None:
        self.cut = False
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _relay(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        redis_in, redis_out = await asyncio.open_connection("127.0.0.1", 6379)

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65536):
                if not self.cut:
                    sink.write(data)
                    await sink.drain()

        await asyncio.gather(pump(client_in, redis_out), pump(redis_in, client_out), return_exceptions=True)


async def test_a_leader_cut_off_from_redis_steps_down_before_a_standby_can_lead() -> None:
    key, partition = _key(), _Partition()
    port = await partition.start()
    leader = LeaderLease(f"redis://127.0.0.1:{port}/7", "leader", ttl=2.0, key=key)
    standby = LeaderLease(REDIS_URL, "standby", ttl=2.0, key=key)
    try:
        assert await leader.try_acquire()
        await asyncio.sleep(0.8)  # a renewal went through
        partition.cut = True
        stepped_down = asyncio.create_task(leader.lost.wait())
        await asyncio.wait_for(standby.acquire(), 5.0)
        assert stepped_down.done()  # never two leaders at once
    finally:
        partition.cut = False
        await standby.release()
        await leader.release()
        await partition.stop()
