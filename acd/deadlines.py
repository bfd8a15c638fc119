"""The core's deadlines: escalation steps of waiting calls and ends of wrap-up, in time order."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator

from acd.calls import Call


class Deadlines:
    """What the clock will make due. An entry may go stale (the call was offered or ended, the agent left
    wrap-up early); the core tells which are live, and stale ones are dropped as they are met."""

    def __init__(self) -> None:
        # (due, seq, step, push counter, call): the counter keeps re-pushed duplicates from comparing calls.
        self._escalations: list[tuple[float, int, int, int, Call]] = []
        self._pushes = 0
        self._wrap_ups: list[tuple[float, str]] = []

    def escalate_at(self, due: float, call: Call) -> None:
        """The call's next escalation step (its ``escalations``-th) is due at ``due``."""
        self._pushes += 1
        heapq.heappush(self._escalations, (due, call.seq, call.escalations, self._pushes, call))

    def end_wrap_up_at(self, until: float, agent_id: str) -> None:
        heapq.heappush(self._wrap_ups, (until, agent_id))

    def due_wrap_ups(self, now: float) -> Iterator[tuple[float, str]]:
        """Pop the wrap-up ends due by ``now``: (until, agent id)."""
        while self._wrap_ups and self._wrap_ups[0][0] <= now:
            yield heapq.heappop(self._wrap_ups)

    def due_escalations(self, now: float) -> Iterator[tuple[int, Call]]:
        """Pop the escalation steps due by ``now``: (step, call)."""
        while self._escalations and self._escalations[0][0] <= now:
            _, _, step, _, call = heapq.heappop(self._escalations)
            yield step, call

    def next(
        self, escalation_live: Callable[[int, Call], bool], wrap_up_live: Callable[[float, str], bool]
    ) -> float | None:
        """The earliest live deadline (None: nothing scheduled); stale entries met on the way are dropped."""
        while self._escalations:
            _, _, step, _, call = self._escalations[0]
            if escalation_live(step, call):
                break
            heapq.heappop(self._escalations)
        while self._wrap_ups and not wrap_up_live(*self._wrap_ups[0]):
            heapq.heappop(self._wrap_ups)
        times = [h[0][0] for h in (self._escalations, self._wrap_ups) if h]
        return min(times) if times else None
