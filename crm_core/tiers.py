"""Customer tiers by revenue, as a pyramid: VIP top 1%, key next 4%, normal next 15%, small the rest."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Hashable, Mapping
from typing import TypeVar

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bus.clock import Clock
from crm_core.audit import audit_rows
from crm_core.db import table_of
from crm_core.models import AuditEntry, Customer

VIP, KEY, NORMAL, SMALL = "vip", "key", "normal", "small"
TIERS = (VIP, KEY, NORMAL, SMALL)
# Cumulative share of customers (best first) that each tier reaches down to.
PYRAMID: tuple[tuple[str, float], ...] = ((VIP, 0.01), (KEY, 0.05), (NORMAL, 0.20))
# ACD priority of a caller's tier: a larger number is served first.
TIER_PRIORITY: dict[str, int] = {VIP: 30, KEY: 20, NORMAL: 10, SMALL: 0}
UNKNOWN_CALLER_PRIORITY = 0

K = TypeVar("K", bound=Hashable)


def queue_priority(tier: str | None) -> int:
    """The ACD priority for a caller of ``tier`` (unknown callers get the lowest)."""
    if tier is None:
        return UNKNOWN_CALLER_PRIORITY
    return TIER_PRIORITY.get(tier, UNKNOWN_CALLER_PRIORITY)


def assign_tiers(revenues: Mapping[K, int]) -> dict[K, str]:
    """The tier of every key by its revenue rank.

    Each tier's size is rounded up (any non-empty store has a VIP); customers with no revenue are
    always ``small``; equal revenues rank by key so the result does not depend on input order.
    """
    ranked = sorted(revenues, key=lambda k: (-revenues[k], k))
    total = len(ranked)
    result: dict[K, str] = {}
    start = 0
    for tier, share in PYRAMID:
        stop = math.ceil(total * share)
        for key in ranked[start:stop]:
            result[key] = tier if revenues[key] > 0 else SMALL
        start = max(start, stop)
    for key in ranked[start:]:
        result[key] = SMALL
    return result


@dataclasses.dataclass(frozen=True, slots=True)
class TierRecount:
    """What :func:`recompute_tiers` did: customers per tier afterwards and how many changed."""

    counts: dict[str, int]
    changed: int


def recompute_tiers(session: Session, *, actor: str = "system:tiers", clock: Clock = time.time
                    ) -> TierRecount:
    """Recompute every customer's tier from stored revenue; changed tiers are updated and audited."""
    rows = session.execute(select(Customer.id, Customer.revenue_cents, Customer.tier)).all()
    tiers = assign_tiers({cid: revenue for cid, revenue, _ in rows})
    now = clock()
    changes = [(cid, old, tiers[cid]) for cid, _, old in rows if tiers[cid] != old]
    if changes:
        session.execute(
            update(Customer), [{"id": cid, "tier": new, "updated_at": now} for cid, _, new in changes]
        )
        audit = [
            row
            for cid, old, new in changes
            for row in audit_rows(at=now, actor=actor, entity_type="customer", entity_id=cid, action="update",
                                  changes={"tier": (old, new)})
        ]
        session.execute(insert(table_of(AuditEntry)), audit)
        session.expire_all()  # bulk UPDATE by primary key does not refresh loaded objects
    counts = dict.fromkeys(TIERS, 0)
    for tier in tiers.values():
        counts[tier] += 1
    return TierRecount(counts, len(changes))
