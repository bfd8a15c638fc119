"""The rollups' sums recounted from the rows themselves (the legs gathered by call, each call's contributions
at their exact times, agents' stretches clipped to the period): pure. Reports built from it must equal those
built from the stored rollups, which is how the rollups are checked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reports.history import AgentSegment
from reports.rollups import (
    DIMENSIONS,
    STATE_TABLE,
    UNTRACKED_STATES,
    Contribution,
    KpisOf,
    LegFacts,
    call_contributions,
)


class Recount:
    """A :class:`reports.rollup_reports.RollupReader` over legs and agent stretches."""

    def __init__(self, legs: Iterable[LegFacts], segments: Iterable[AgentSegment], kpis: KpisOf) -> None:
        calls: dict[str, list[LegFacts]] = defaultdict(list)
        for leg in legs:
            calls[leg.call_id].append(leg)
        self._contributions: list[Contribution] = [c for call in calls.values() for c in call_contributions(call, kpis)]
        self._segments = [s for s in segments if s.state not in UNTRACKED_STATES]

    def _items(self, name: str, start: int, end: int) -> Iterable[tuple[float, tuple[str, ...], tuple[float, ...]]]:
        if name == STATE_TABLE:
            for s in self._segments:
                seconds = min(s.end, end) - max(s.start, start)
                if seconds > 0:
                    yield max(s.start, start), (s.agent_id, s.state, s.reason or ""), (seconds,)
            return
        for table, at, key, counters in self._contributions:
            if table == name and start <= at < end:
                yield at, key, counters

    def __call__(self, name: str, start: int, end: int, group_by: Sequence[str], filters: Mapping[str, str], *,
                 by_quarter: bool = False) -> list[tuple[Any, ...]]:
        dims = DIMENSIONS[name]
        wanted = [(dims.index(d), v) for d, v in filters.items() if v]
        picked = [dims.index(d) for d in group_by]
        sums: dict[tuple[Any, ...], list[float]] = defaultdict(list)
        for at, key, counters in self._items(name, start, end):
            if any(key[i] != v for i, v in wanted):
                continue
            group = ((at,) if by_quarter else ()) + tuple(key[i] for i in picked)
            total = sums[group] or [0.0] * len(counters)
            sums[group] = [a + b for a, b in zip(total, counters, strict=True)]
        return [(*group, *values) for group, values in sums.items()]
