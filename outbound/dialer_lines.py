"""The dialer's lines (pure): which leads are being dialled for which campaign, which agent each holds, and
how the next leads are taken for the lines the pacer asks for.

:class:`LineBook` is the table the dialer edge (:mod:`outbound.dialer`) keeps: one :class:`Line` per attempt
from the originate to its outcome. :func:`take_leads` is one round of one campaign: per wanted line it first
holds an agent (when the pacer reserves agents, or for a preview), then takes the hopper's next lead and
confirms it (do-not-call, calling window and attempt rules decided again, now); a lead the confirmation
skips goes back to the hopper and the next one is tried; with no lead left the agent is let go. So a line
never holds an agent without a lead, an agent is held by at most one line, and only confirmed leads are
dialled. :func:`pacing_state` is what the pacer sees of a campaign's agents and lines.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator

from acd.agents import AgentState, AgentView
from outbound.campaigns import HANGUP
from outbound.eligibility import Decision
from outbound.leads import Lead
from outbound.pacing import PacingState

#: How many skipped leads one round looks past per wanted line before giving up for now.
SKIPS_PER_LINE = 20


@dataclasses.dataclass(slots=True)
class Line:
    """One attempt: a lead dialled for a campaign, the agent held for it (if any) and what is known so far."""

    attempt_id: str
    campaign_id: int
    lead: Lead
    dialled_at: float
    agent_id: str | None = None
    answered_at: float | None = None
    verdict: str | None = None  # dial_outcomes.PERSON / MACHINE once AMD told
    amd_cause: str = ""  # AMDCAUSE, set just before AMDSTATUS
    machine_rule: str = HANGUP  # the campaign's, when the line was dialled
    causes: list[int] = dataclasses.field(default_factory=list)  # Q.850 causes of its channels' hang-ups


class LineBook:
    """Every line in progress, by attempt id; ids are ``<prefix><n>``, unique for this book."""

    def __init__(self, prefix: str = "dial-") -> None:
        self.prefix = prefix
        self._lines: dict[str, Line] = {}
        self._seq = 0

    def new_id(self) -> str:
        self._seq += 1
        return f"{self.prefix}{self._seq}"

    def open(self, line: Line) -> Line:
        if line.attempt_id in self._lines:
            raise ValueError(f"attempt {line.attempt_id} is in progress already")
        self._lines[line.attempt_id] = line
        return line

    def get(self, attempt_id: str) -> Line | None:
        return self._lines.get(attempt_id)

    def close(self, attempt_id: str) -> Line | None:
        """Take the line out (None when it was closed already: reports may arrive twice)."""
        return self._lines.pop(attempt_id, None)

    def of(self, campaign_id: int) -> list[Line]:
        return [line for line in self._lines.values() if line.campaign_id == campaign_id]

    def __iter__(self) -> Iterator[Line]:
        return iter(list(self._lines.values()))

    def __len__(self) -> int:
        return len(self._lines)

    def holding(self) -> dict[str, str]:
        """Agent id -> the attempt holding that agent."""
        return {line.agent_id: line.attempt_id for line in self._lines.values() if line.agent_id is not None}


def pacing_state(now: float, agents: Iterable[AgentView], lines: Iterable[Line], *, keep_for_inbound: int = 0
                 ) -> PacingState:
    """A campaign's agents and lines as the pacer sees them. ``keep_for_inbound`` ready agents are left
    out (kept free for inbound calls of a blended queue). A line that holds an agent is counted once, by its
    agent being reserved (not ready), not again as a ringing line: so progressive pacing dials one line per
    ready agent, and each line a failed dial frees is dialled again at once."""
    views = list(agents)
    ready = sum(1 for a in views if a.state is AgentState.READY)
    talking = tuple(now - a.since for a in views if a.state is AgentState.ON_CALL)
    wrapping = tuple(now - a.since for a in views if a.state is AgentState.WRAP_UP)
    ringing = tuple(now - line.dialled_at for line in lines if line.answered_at is None and line.agent_id is None)
    return PacingState(now=now, ready=max(0, ready - keep_for_inbound), busy_elapsed=talking,
                       ringing_elapsed=ringing, wrapping_elapsed=wrapping)


@dataclasses.dataclass(frozen=True, slots=True)
class Take:
    """A lead to dial now as ``attempt_id``, with the agent held for it (None: nobody held yet)."""

    attempt_id: str
    lead: Lead
    agent_id: str | None


def take_leads(wanted: int, *, new_id: Callable[[], str], next_lead: Callable[[], Lead | None],
               confirm: Callable[[int], Decision], hold: Callable[[str], str | None] | None = None,
               let_go: Callable[[str, str], None] | None = None) -> list[Take]:
    """Up to ``wanted`` confirmed leads for one campaign (see the module doc).

    ``hold(attempt_id)`` holds an agent for the attempt and returns its id (None: nobody free, the round
    ends); ``let_go(agent_id, attempt_id)`` gives back one held for a line that got no lead. Without
    ``hold`` no agent is held (predictive: one is found when a person answers).
    """
    taken: list[Take] = []
    skips = 0
    while len(taken) < wanted:
        attempt_id = new_id()
        agent_id = None
        if hold is not None:
            agent_id = hold(attempt_id)
            if agent_id is None:
                break
        lead = None
        while skips <= SKIPS_PER_LINE * wanted:
            lead = next_lead()
            if lead is None or confirm(lead.id).released:
                break
            lead, skips = None, skips + 1
        if lead is None:
            if agent_id is not None and let_go is not None:
                let_go(agent_id, attempt_id)
            break
        taken.append(Take(attempt_id, lead, agent_id))
    return taken
