"""Which node leads the ACD: a lease in Redis that one node holds and renews, the others wait for.

Only one ACD may decide for a site at a time (two would offer the same caller to two agents). The
leader holds the key ``callcenter:acd-leader`` (its node id, with a time to live) and renews it every
third of that time; a standby reads how long the key has left and looks again the moment it runs out, so
it takes the lead within milliseconds of a dead leader's lease expiring.

A leader that finds the key taken has lost the lead; so has one that could not renew in time: Redis counts a
lease from when it applies the renewal, later than we sent it, so the leader counts its own lease from the
sending and gives up a safety margin before that runs out, i.e. before Redis can hand the key to another
node. Then :attr:`LeaderLease.lost` is set and the node must stop deciding at once. (Clocks running at
different rates on the two machines are the margin's to absorb.)

The renewals run on a thread of their own, so a lease of two seconds survives the event loop pausing (a
password hash, a garbage collection, a slow start-up step): a paused loop decides nothing, and the lead is
given up only when the loop stays still longer than ``stall_limit`` (a wedged node hands over). The lease's
end is watched on the event loop, which runs that check before anything else once it wakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time

import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

DEFAULT_KEY = "callcenter:acd-leader"
# The part of a lease the leader counts on, from the sending of the command that set or extended it.
SAFE_FRACTION = 0.8
# A standby looks again this long after the holder's lease should have run out (Redis expires on access).
EXPIRY_SLACK = 0.005
# The leader stops renewing when its event loop has not run for this long (it is wedged, not busy).
DEFAULT_STALL_LIMIT = 5.0
# Extend the lease only while we still hold it; a plain PEXPIRE could extend another node's lease.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class LeaderLease:
    """The ACD lead of one node: :meth:`acquire` waits for it, :attr:`lost` tells when it is gone."""

    def __init__(self, url: str, node_id: str, *, ttl: float = 2.0, key: str = DEFAULT_KEY,
                 stall_limit: float = DEFAULT_STALL_LIMIT) -> None:
        if ttl <= 0:
            raise ValueError(f"the lease needs a positive time to live, got {ttl}")
        self.node_id = node_id
        self.ttl = ttl
        self.key = key
        self.stall_limit = stall_limit
        self.lost = asyncio.Event()
        self._url = url
        self._redis: aioredis.Redis = aioredis.Redis.from_url(url, socket_timeout=ttl / 3,
                                                             socket_connect_timeout=ttl / 3)
        # Written by the renewer thread, read on the loop (a float assignment is atomic).
        self._valid_until = 0.0
        self._beat = 0.0
        self._halt = threading.Event()
        self._renewer: threading.Thread | None = None
        self._watch: asyncio.Task[None] | None = None

    @property
    def held(self) -> bool:
        return self._renewer is not None and not self.lost.is_set()

    async def try_acquire(self) -> bool:
        """Take the lead if nobody holds it; True when this node leads now."""
        if self.held:
            return True
        sent_at = time.monotonic()
        taken = await self._redis.set(self.key, self.node_id, nx=True, px=int(self.ttl * 1000))
        if not taken:
            return False
        self.lost.clear()
        self._valid_until = sent_at + self.ttl * SAFE_FRACTION
        self._beat = time.monotonic()
        self._halt.clear()
        loop = asyncio.get_running_loop()
        self._renewer = threading.Thread(target=self._renew, args=(loop,), name="leader-lease", daemon=True)
        self._renewer.start()
        self._watch = loop.create_task(self._watch_lease(), name="leader-lease-watch")
        return True

    async def acquire(self) -> None:
        """Wait until this node leads (Redis errors while waiting are logged and retried)."""
        while True:
            try:
                if await self.try_acquire():
                    return
                pause = await self._until_free()
            except RedisError as exc:
                log.warning("leader lease: Redis unreachable while waiting for the lead: %s", exc)
                pause = self.ttl / 3
            await asyncio.sleep(pause)

    async def _until_free(self) -> float:
        """How long to wait before trying again: until the holder's lease runs out unless it renews it,
        and at most a third of a lease."""
        left_ms = await self._redis.pttl(self.key)
        if left_ms == -2:  # gone meanwhile
            return 0.0
        if left_ms < 0:  # a key without a time to live (set by hand): look again later
            return self.ttl / 3
        return min(self.ttl / 3, left_ms / 1000 + EXPIRY_SLACK)

    async def holder(self) -> str | None:
        """The node id leading now, if any."""
        value = await self._redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else value

    async def release(self) -> None:
        """Give the lead up (only if still ours) so a standby takes over without waiting for the expiry."""
        renewer, self._renewer = self._renewer, None
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        if renewer is not None:
            self._halt.set()
            await asyncio.to_thread(renewer.join)
            if not self.lost.is_set():
                with contextlib.suppress(RedisError):
                    await self._redis.eval(_RELEASE, 1, self.key, self.node_id)
        await self._redis.aclose()

    async def _watch_lease(self) -> None:
        """On the loop: note that it runs (for the renewer), and set :attr:`lost` once the lease is over."""
        while not self.lost.is_set():
            now = time.monotonic()
            self._beat = now
            if now >= self._valid_until:
                log.error("leader lease: not renewed in time (Redis unreachable?); the lead is lost")
                self._lose()
                return
            await asyncio.sleep(min(self._valid_until - now, self.ttl / 6))

    def _lose(self) -> None:
        self.lost.set()
        self._halt.set()

    def _renew(self, loop: asyncio.AbstractEventLoop) -> None:
        """The renewer thread: extend the lease every third of its time while the loop lives."""
        client = redis.Redis.from_url(self._url, socket_timeout=self.ttl / 3, socket_connect_timeout=self.ttl / 3)
        ttl_ms = str(int(self.ttl * 1000))
        try:
            while not self._halt.wait(self.ttl / 3):
                while not self._halt.is_set() and time.monotonic() < self._valid_until:
                    if time.monotonic() - self._beat > self.stall_limit:
                        log.error("leader lease: the event loop has not run for %.1f s; letting the lead go",
                                  time.monotonic() - self._beat)
                        return
                    sent_at = time.monotonic()
                    try:
                        still_ours = client.eval(_RENEW, 1, self.key, self.node_id, ttl_ms)
                    except RedisError as exc:
                        log.warning("leader lease: could not renew (%s); retrying", exc)
                        self._halt.wait(min(self.ttl / 10, max(0.0, self._valid_until - time.monotonic())))
                        continue
                    if not still_ours:
                        log.error("leader lease: the key expired or another node took it; the lead is lost")
                        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody to tell
                            loop.call_soon_threadsafe(self._lose)
                        return
                    self._valid_until = sent_at + self.ttl * SAFE_FRACTION
                    break
        finally:
            client.close()
