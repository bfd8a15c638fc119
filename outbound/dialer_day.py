"""A simulated dialling day: one campaign, a team of agents, a pacer, the hopper, the callee population.

Discrete events on a virtual clock (no I/O, no wall clock). Every second the pacer is asked for lines; each
line takes the hopper's next lead (confirmed again at dial time, so do-not-call and calling windows are the
hopper's), and the callee population says how it ends. A person AMD passes on goes to a free agent at once,
or waits for one at most ``connect_limit`` (2 s) and is then abandoned (they hear the campaign's message).
With a pacer that reserves agents (progressive) the line's agent is held from dial to outcome. Agents talk,
wrap up ``wrap`` seconds and are free again; 2% of people ask not to be called (the number goes on the
internal do-not-call list), 3% ask for a call-back in an hour.

Every dial, do-not-call addition, connect and abandon goes to :attr:`DayResult.events`;
:func:`check_compliance` re-checks every dial from that log alone: number not on a do-not-call list at
that moment, calling window open in every zone of the number.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import heapq
import itertools
import random
import zoneinfo
from typing import Any

from outbound.callees import BUSY as CALLEE_BUSY
from outbound.callees import HUMAN, INVALID, MACHINE, CalleePopulation, DialResult
from outbound.contacts import ContactLog
from outbound.dnc import DncList
from outbound.eligibility import Eligibility
from outbound.hopper import Hopper
from outbound.leads import Lead, LeadHistory
from outbound.numbers import DialNumber, parse_number
from outbound.pacing import Pacer, PacingState
from outbound.rules import ABANDONED, ANSWERED, BUSY, DO_NOT_CALL, NO_ANSWER, RuleSet
from outbound.rules import INVALID as INVALID_NUMBER
from outbound.rules import MACHINE as MACHINE_OUTCOME
from outbound.windows import CallingWindows, WindowRules

CAMPAIGN = "sim"
#: A Tuesday, 08:30 in New York (winter time): the Pacific coast's window opens 3.5 hours in.
START = dt.datetime(2026, 3, 3, 13, 30, tzinfo=dt.UTC).timestamp()
#: Area codes by share of the list: Eastern, Central, Mountain, Pacific.
AREAS = (("212", 0.2), ("404", 0.15), ("617", 0.1), ("312", 0.15), ("214", 0.15), ("303", 0.1), ("415", 0.1),
         ("206", 0.05))


@dataclasses.dataclass(frozen=True)
class DayPlan:
    """The day to simulate. ``aht`` is the mean handle time of a call with a person: talk (Gamma(2) of mean
    ``aht - wrap``) then ``wrap`` seconds of wrap-up; so talk can fill at most ``(aht - wrap) / aht`` of an
    agent's hour (58.3 min at 180 s and 5 s), less the time agents wait for a connect and spend on the
    machines AMD passes as people. ``connect_limit``: how long a person waits for an agent before being
    abandoned (the 2 s rule). ``day``: the campaign's day (0 its first), that many days after :data:`START`, with
    a list of its own (new leads, new numbers): a pacer that ran the days before keeps what it learned."""

    agents: int = 20
    hours: float = 8.0
    answer_rate: float = 0.3
    aht: float = 180.0
    wrap: float = 5.0
    seed: int = 1
    connect_limit: float = 2.0
    leads_per_agent: int = 450
    dnc_share: float = 0.03
    day: int = 0

    @property
    def start(self) -> float:
        """When the day's dialling starts."""
        return START + self.day * 86400

    @property
    def list_size(self) -> int:
        return self.agents * self.leads_per_agent

    @property
    def day_seed(self) -> int:
        """The seed of the day's list and of its people's requests (the first day's is ``seed``)."""
        return self.seed + 1_000_003 * self.day


@dataclasses.dataclass
class DayResult:
    """Figures of one simulated day, and its event log (``(time, kind, lead id, number digits)``)."""

    pacing: str
    agents: int
    hours: float
    dials: int = 0
    lives: int = 0
    abandoned: int = 0
    machines: int = 0
    talk_seconds: float = 0.0
    busy_seconds: float = 0.0
    events: list[tuple[float, str, int, int]] = dataclasses.field(default_factory=list)

    def figures(self, *, false_positive: float) -> dict[str, Any]:
        agent_hours = self.agents * self.hours
        guessed = false_positive * self.machines
        return {
            "pacing": self.pacing, "agents": self.agents, "dials": self.dials, "lives": self.lives,
            "abandoned": self.abandoned,
            "talk_min_per_agent_hour": round(self.talk_seconds / 60 / agent_hours, 2),
            "abandon_rate_us": round(self.abandoned / self.lives, 4) if self.lives else 0.0,
            "abandon_rate_ofcom": round((self.abandoned + guessed) / (self.lives + guessed), 4) if self.lives else 0.0,
            "idle_share": round(1 - self.busy_seconds / (agent_hours * 3600), 4),
        }


def _leads(plan: DayPlan, rng: random.Random) -> tuple[list[Lead], DncList]:
    templates = [(parse_number(f"+1{npa}2345678"), share) for npa, share in AREAS]
    dnc = DncList()
    leads: list[Lead] = []
    first = plan.day * plan.list_size  # lead ids (and numbers) of its own each day
    for i in range(first, first + plan.list_size):
        if leads and rng.random() < 0.05:
            number = leads[rng.randrange(len(leads))].number  # the same household on two leads
        else:
            roll, template = rng.random(), templates[-1][0]
            for candidate, share in templates:
                roll -= share
                if roll < 0:
                    template = candidate
                    break
            digits = template.digits // 10_000_000 * 10_000_000 + 2_000_000 + i
            number = dataclasses.replace(template, e164=f"+{digits}", digits=digits)
        leads.append(Lead(i, CAMPAIGN, number, created_at=plan.start - 86400))
        if rng.random() < plan.dnc_share:
            dnc.internal.add(number, at=plan.start - 86400, by="list", reason="asked before")
    return leads, dnc


def _local_hour(number: DialNumber, at: float) -> int:
    zone = zoneinfo.ZoneInfo(number.time_zones[0]) if number.time_zones else dt.UTC
    return dt.datetime.fromtimestamp(at, zone).hour


class _Day:
    def __init__(self, plan: DayPlan, pacer: Pacer, population: CalleePopulation) -> None:
        self.plan, self.pacer, self.population = plan, pacer, population
        self.now = plan.start
        self.end = plan.start + plan.hours * 3600
        leads, self.dnc = _leads(plan, random.Random(plan.day_seed))
        self.hopper = Hopper(CAMPAIGN, Eligibility(RuleSet(), self.dnc, ContactLog()), lambda: self.now)
        self.hopper.load((lead, LeadHistory()) for lead in leads)
        self.result = DayResult(pacer.name, plan.agents, plan.hours)
        self.events: list[tuple[float, int, str, tuple[Any, ...]]] = []
        self.seq = itertools.count()
        self.free = list(range(plan.agents))
        self.busy: dict[int, float] = {}  # agent -> when their call began
        self.wrapping: dict[int, float] = {}  # agent -> when their after-call work began
        self.lines: dict[int, tuple[float, int | None]] = {}  # lead id -> (dialled at, reserved agent)
        self.waiting: collections.OrderedDict[int, DialResult] = collections.OrderedDict()
        self.rng = random.Random(plan.day_seed + 1)

    def at(self, when: float, kind: str, *args: Any) -> None:
        heapq.heappush(self.events, (when, next(self.seq), kind, args))

    def run(self) -> DayResult:
        self.at(self.now, "tick")
        while self.events:
            when, _, kind, args = heapq.heappop(self.events)
            if when > self.end:
                break
            self.now = when
            getattr(self, f"_{kind}")(*args)
        for started in self.busy.values():
            self.result.busy_seconds += self.end - started
        return self.result

    def _tick(self) -> None:
        now = self.now
        ready = len(self.free)
        talking = tuple(now - s for a, s in self.busy.items() if a not in self.wrapping)
        state = PacingState(now, ready, talking, tuple(now - d for d, _ in self.lines.values()),
                            tuple(now - s for s in self.wrapping.values()))
        for _ in range(self.pacer.lines(state)):
            if not self._dial():
                break
        self.at(now + 1.0, "tick")

    def _dial(self) -> bool:
        lead = self.hopper.next()
        if lead is None:
            return False
        if not self.hopper.confirm(lead.id).released:
            return True
        agent = self.free.pop() if self.pacer.reserves_agents() and self.free else None
        self.lines[lead.id] = (self.now, agent)
        self.result.dials += 1
        self.result.events.append((self.now, "dial", lead.id, lead.number.digits))
        attempt = self.hopper.history(lead.id).attempts
        outcome = self.population.dial(lead.id, attempt, _local_hour(lead.number, self.now))
        self.at(self.now + outcome.resolve_after, "resolve", lead.id, outcome)
        return True

    def _resolve(self, lead_id: int, outcome: DialResult) -> None:
        dialed, agent = self.lines.pop(lead_id)
        passed = outcome.amd == HUMAN
        self.pacer.resolved(self.now, self.now - dialed, connect=passed)
        if passed:  # a person, or a machine AMD took for one
            if outcome.kind == HUMAN:
                self.result.lives += 1
            if agent is not None:
                self._connect(agent, lead_id, outcome)
            elif self.free:
                self._connect(self.free.pop(), lead_id, outcome)
            else:
                self.waiting[lead_id] = outcome
                self.at(self.now + self.plan.connect_limit, "give_up", lead_id, outcome)
            return
        if agent is not None:
            self.free.append(agent)
        if outcome.amd == MACHINE:
            self.result.machines += 1
            self.pacer.machine(self.now)
        ends = {CALLEE_BUSY: BUSY, INVALID: INVALID_NUMBER, HUMAN: MACHINE_OUTCOME, MACHINE: MACHINE_OUTCOME}
        self.hopper.outcome(lead_id, ends.get(outcome.kind, NO_ANSWER))
        self._serve_waiting()

    def _connect(self, agent: int, lead_id: int, outcome: DialResult) -> None:
        self.busy[agent] = self.now
        if outcome.kind == HUMAN:
            self.pacer.live(self.now, abandoned=False)
            self.result.talk_seconds += min(outcome.talk, self.end - self.now)
        self.result.events.append((self.now, "connect", lead_id, agent))
        self.at(self.now + outcome.talk, "hang_up", agent, lead_id, outcome.kind == HUMAN)

    def _give_up(self, lead_id: int, outcome: DialResult) -> None:
        if self.waiting.pop(lead_id, None) is None:
            return
        if outcome.kind == HUMAN:
            self.result.abandoned += 1
            self.pacer.live(self.now, abandoned=True)
        self.result.events.append((self.now, "abandon", lead_id, 0))
        self.hopper.outcome(lead_id, ABANDONED)

    def _hang_up(self, agent: int, lead_id: int, human: bool) -> None:
        self.wrapping[agent] = self.now
        self.pacer.handled(self.now - self.busy[agent])
        self.at(self.now + self.plan.wrap, "free", agent, lead_id, human)

    def _free(self, agent: int, lead_id: int, human: bool) -> None:
        started = self.busy.pop(agent)
        self.result.busy_seconds += self.now - started
        self.pacer.wrapped(self.now - self.wrapping.pop(agent))
        roll = self.rng.random()
        if human and roll < 0.02:
            self.hopper.outcome(lead_id, DO_NOT_CALL, by=f"agent{agent}")
            self.result.events.append((self.now, "dnc", lead_id, self.hopper.lead(lead_id).number.digits))
        elif human and roll < 0.05:
            self.hopper.outcome(lead_id, ANSWERED, callback_at=self.now + 3600)
        else:
            self.hopper.outcome(lead_id, ANSWERED if human else MACHINE_OUTCOME)
        self.free.append(agent)
        self._serve_waiting()

    def _serve_waiting(self) -> None:
        while self.waiting and self.free:
            lead_id, outcome = self.waiting.popitem(last=False)
            self._connect(self.free.pop(), lead_id, outcome)


def simulate_day(plan: DayPlan, pacer: Pacer) -> DayResult:
    """Run one day of ``plan`` under ``pacer``."""
    population = CalleePopulation(answer_rate=plan.answer_rate, talk_mean=plan.aht - plan.wrap, seed=plan.seed)
    return _Day(plan, pacer, population).run()


def check_compliance(plan: DayPlan, result: DayResult) -> dict[str, int]:
    """Dials of numbers on a do-not-call list at the time, and dials outside the window, from the events alone."""
    leads, dnc = _leads(plan, random.Random(plan.day_seed))
    numbers = {lead.id: lead.number for lead in leads}
    blocked = {lead.number.digits for lead in leads if dnc.blocks(lead.number.digits, CAMPAIGN) is not None}
    windows = CallingWindows(WindowRules())
    counts = {"dials": 0, "dnc_dials": 0, "out_of_window_dials": 0}
    for at, kind, lead_id, digits in result.events:
        if kind == "dnc":
            blocked.add(digits)
        elif kind == "dial":
            counts["dials"] += 1
            counts["dnc_dials"] += digits in blocked
            counts["out_of_window_dials"] += not windows.state(numbers[lead_id], at).open
    return counts
