"""Which node leads the ACD: a lease in Redis that one node holds and renews, the others wait for.

Only one ACD may decide for a site at a time (two would offer the same caller to two agents). The
leader holds the key ``callcenter:acd-leader`` (its node id, with a time to live) and renews it every
third of that time; a standby node polls until the key is free and takes it. A leader that finds the key
taken has lost the lead; so has one that could not renew in time: Redis counts a lease from when it applies
the renewal, later than we sent it, so the leader counts its own lease from the sending and gives up a safety
margin before that runs out, i.e. before Redis can hand the key to another node. Then :attr:`LeaderLease.lost`
is set and the node must stop deciding at once. (Clocks running at different rates on the two machines are
the margin's to absorb.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

DEFAULT_KEY = "callcenter:acd-leader"
# The part of a lease the leader counts on, from the sending of the command that set or extended it.
SAFE_FRACTION = 0.8
# A standby looks again this long after the holder's lease should have run out (Redis expires on access).
EXPIRY_SLACK = 0.005
# Extend the lease only while we still hold it; a plain PEXPIRE could extend another node's lease.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class LeaderLease:
    """The ACD lead of one node: :meth:`acquire` waits for it, :attr:`lost` tells when it is gone."""

    def __init__(self, url: str, node_id: str, *, ttl: float = 2.0, key: str = DEFAULT_KEY) -> None:
        if ttl <= 0:
            raise ValueError(f"the lease needs a positive time to live, got {ttl}")
        self.node_id = node_id
        self.ttl = ttl
        self.key = key
        self.lost = asyncio.Event()
        self._redis: aioredis.Redis = aioredis.Redis.from_url(url, socket_timeout=ttl / 3,
                                                             socket_connect_timeout=ttl / 3)
        self._renewer: asyncio.Task[None] | None = None

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
        self._renewer = asyncio.create_task(self._renew(sent_at + self.ttl * SAFE_FRACTION), name="leader-lease")
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
        if renewer is not None:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            if not self.lost.is_set():
                with contextlib.suppress(RedisError):
                    await self._redis.eval(_RELEASE, 1, self.key, self.node_id)
        await self._redis.aclose()

    async def _renew(self, valid_until: float) -> None:
        """Extend the lease every third of its time; set :attr:`lost` when it is taken or runs out."""
        ttl_ms = str(int(self.ttl * 1000))
        while True:
            await asyncio.sleep(self.ttl / 3)
            while True:
                remaining = valid_until - time.monotonic()
                if remaining <= 0:
                    log.error("leader lease: not renewed in time (Redis unreachable?); the lead is lost")
                    self.lost.set()
                    return
                sent_at = time.monotonic()
                try:
                    async with asyncio.timeout(remaining):
                        still_ours = await self._redis.eval(_RENEW, 1, self.key, self.node_id, ttl_ms)
                except (RedisError, TimeoutError) as exc:
                    log.warning("leader lease: could not renew (%s); retrying", exc or "timed out")
                    await asyncio.sleep(min(self.ttl / 10, max(0.0, valid_until - time.monotonic())))
                    continue
                if not still_ours:
                    log.error("leader lease: the key expired or another node took it; the lead is lost")
                    self.lost.set()
                    return
                valid_until = sent_at + self.ttl * SAFE_FRACTION
                break
