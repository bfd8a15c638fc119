"""A simulated callee population: what happens when a number is dialled (pure; seeded, no I/O).

Per lead, fixed: an invalid number (2%), a machine at home (35%). Per dial, drawn from the lead, attempt and
seed (so every pacing meets the same people the same way): a person answers with the campaign's answer rate
times the factor of the callee's local hour (of the valid numbers dialled: the busy 6% are among the rest),
after 3 s + Gamma(2, 3 s) of ringing (a connect's delay, dial to AMD verdict: 5-25 s, mean 10.5), and AMD says
HUMAN 1-2 s into their "hello" (3% of people say MACHINE: a long greeting); else the machine answers after
12-22 s with a 4-15 s greeting, AMD says MACHINE 2.5-3.5 s in (8% say HUMAN: a short greeting, and an agent
gets it); else nobody answers before the ring timeout. A person talks Gamma(2) seconds of the given mean.
"""

from __future__ import annotations

import dataclasses
import random

from cti.sim.config import ANSWER_BY_HOUR

BUSY, INVALID, NO_ANSWER, HUMAN, MACHINE = "busy", "invalid", "no_answer", "human", "machine"


@dataclasses.dataclass(frozen=True, slots=True)
class DialResult:
    """How a dial ends: ``kind`` after ``resolve_after`` s (AMD's verdict for an answer); ``amd`` says what
    AMD reported (``HUMAN`` passes the call to an agent); ``talk`` is the conversation an agent gets."""

    kind: str
    resolve_after: float
    amd: str | None = None
    talk: float = 0.0


@dataclasses.dataclass(frozen=True)
class CalleePopulation:
    """The people behind a campaign's numbers; see the module doc."""

    answer_rate: float = 0.3
    talk_mean: float = 175.0
    ring_timeout: float = 25.0
    seed: int = 1
    invalid_share: float = 0.02
    machine_share: float = 0.35
    busy_share: float = 0.06
    human_as_machine: float = 0.03
    machine_as_human: float = 0.08

    def dial(self, lead_id: int, attempt: int, local_hour: int) -> DialResult:
        rng = random.Random(self.seed * 1_000_003 + lead_id * 97 + attempt)
        lead_rng = random.Random(self.seed * 7_919 + lead_id)
        if lead_rng.random() < self.invalid_share:
            return DialResult(INVALID, rng.uniform(0.3, 1.0))
        machine_home = lead_rng.random() < self.machine_share
        answer = min(1.0, self.answer_rate * ANSWER_BY_HOUR.get(local_hour, 0.8))
        roll = rng.random()  # one roll, so a person answers the answer rate's share of dials, busy or not
        if answer <= roll < answer + self.busy_share:
            return DialResult(BUSY, rng.uniform(2.0, 5.0))
        if roll < answer:
            ring = min(3.0 + rng.gammavariate(2.0, 3.0), self.ring_timeout - 1)
            amd = MACHINE if rng.random() < self.human_as_machine else HUMAN
            return DialResult(HUMAN, ring + rng.uniform(1.0, 2.0), amd, rng.gammavariate(2.0, self.talk_mean / 2))
        if machine_home:
            answer = rng.uniform(12.0, min(22.0, self.ring_timeout - 1))
            amd = HUMAN if rng.random() < self.machine_as_human else MACHINE
            return DialResult(MACHINE, answer + rng.uniform(2.5, 3.5), amd, rng.uniform(8.0, 15.0))
        return DialResult(NO_ANSWER, self.ring_timeout)
