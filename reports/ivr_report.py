"""The IVR report over the event log's IVR steps (``IvrNodeVisited``) and outcomes (``IvrFinished``): pure.

* containment = calls the IVR finished itself (outcome ``hangup``: served without an agent) / calls;
* abandon in IVR = callers who hung up in the IVR / calls;
* paths = how many calls took each sequence of nodes entered (a retry re-enters its node);
* hang-up points = where callers hung up (the node of their ``hung_up`` step);
* customer-code recognition rate = validations that found the code valid / all validations, and per input
  node the share of answers recognised (over recognised, invalid and timeouts).
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable

from bus.events import DomainEvent
from ivr.events import IvrFinished, IvrNodeVisited

CONTAINED = "hangup"
ABANDONED = "abandoned_in_ivr"
PATH_SEPARATOR = " > "


@dataclasses.dataclass(frozen=True, slots=True)
class IvrReport:
    """The IVR's figures over the calls that finished in the period."""

    calls: int
    outcomes: dict[str, int]
    containment: float | None
    abandon_rate: float | None
    paths: list[tuple[str, int]]  # most taken first
    hang_up_points: dict[str, int]
    code_recognition: float | None
    input_recognition: dict[str, float]  # input node -> share recognised


def ivr_report(events: Iterable[DomainEvent], start: float, end: float) -> IvrReport:
    """The report for calls whose IVR part ended in ``[start, end)``."""
    steps: dict[str, list[IvrNodeVisited]] = defaultdict(list)
    finished: dict[str, IvrFinished] = {}
    for event in events:
        if isinstance(event, IvrNodeVisited):
            steps[event.call_id].append(event)
        elif isinstance(event, IvrFinished) and start <= event.at < end:
            finished[event.call_id] = event
    outcomes = Counter(f.outcome for f in finished.values())
    paths: Counter[str] = Counter()
    hang_ups: Counter[str] = Counter()
    answers: dict[str, Counter[str]] = defaultdict(Counter)
    validations: Counter[str] = Counter()
    for call_id in finished:
        walk = steps.get(call_id, [])
        paths[PATH_SEPARATOR.join(s.node for s in walk if s.result == "entered")] += 1
        for s in walk:
            if s.result == "hung_up":
                hang_ups[s.node] += 1
            elif s.result in ("recognised", "invalid", "timeout"):
                answers[s.node][s.result] += 1
            elif s.result in ("valid", "not_valid"):
                validations[s.result] += 1
    calls = len(finished)
    checked = validations["valid"] + validations["not_valid"]
    return IvrReport(
        calls=calls, outcomes=dict(outcomes),
        containment=outcomes[CONTAINED] / calls if calls else None,
        abandon_rate=outcomes[ABANDONED] / calls if calls else None,
        paths=paths.most_common(), hang_up_points=dict(hang_ups),
        code_recognition=validations["valid"] / checked if checked else None,
        input_recognition={node: c["recognised"] / sum(c.values()) for node, c in sorted(answers.items())},
    )

