"""Invariants over many generated decisions: no do-not-call number and no call outside its window, ever.

The large runs generate in bulk with a seeded RNG (a million hypothesis examples would take hours); the
smaller hypothesis properties shrink a failure to a readable case.
"""

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st
from outbound_helpers import FakeClock, eligibility, in_default_window, number, variant

from outbound.contacts import ContactLog
from outbound.dnc import DncList
from outbound.eligibility import Eligibility
from outbound.hopper import READY, Hopper
from outbound.leads import Lead, LeadHistory
from outbound.numbers import DialNumber
from outbound.registry import NationalRegistry
from outbound.rules import (
    ANSWERED,
    BUSY,
    DO_NOT_CALL,
    FAILED,
    MACHINE,
    NO_ANSWER,
    OUTCOMES,
    RETRYABLE,
    RULE_ATTEMPTS,
    RULE_CALLBACK,
    RULE_DNC,
    RULE_ELIGIBLE,
    RULE_RETRY,
    RULE_WINDOW,
    RuleSet,
)

# Single zones on both sides of the date line, half- and quarter-hour offsets, zones without DST, and
# numbers over several zones: US area codes, a Newfoundland one, Indonesian, Russian and Australian mobiles.
TEMPLATES = (
    "+12125550100", "+12085550100", "+13055550100", "+19075550100", "+18085550100", "+16025550100",
    "+17095550100", "+14165550100", "+442079460123", "+33142685300", "+4930901820", "+79161234567",
    "+74012123456", "+61412345678", "+61212345678", "+628111234567", "+5511912345678", "+919812345678",
    "+97714123456", "+529981234567",
)
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp()
YEAR = 365 * 86400


def pool(size: int, rng: random.Random) -> list[DialNumber]:
    templates = [number(t) for t in TEMPLATES]
    return [variant(templates[i % len(templates)], rng.randrange(10**6)) for i in range(size)]


def history_at(rng: random.Random, now: float) -> LeadHistory:
    roll = rng.random()
    if roll < 0.5:
        return LeadHistory()
    ended = now - rng.uniform(0, 2 * 86400)
    dials = tuple(sorted(now - rng.uniform(0, 2 * 86400) for _ in range(rng.randrange(4))))
    callback = now + rng.uniform(-7200, 7200) if roll > 0.9 else None
    return LeadHistory(attempts=rng.randrange(1, 8), last_outcome=rng.choice(OUTCOMES[:-1]), last_outcome_at=ended,
                       recent_dials=dials, callback_at=callback)


def test_a_million_decisions_release_no_listed_number_and_nothing_outside_a_window() -> None:
    rng = random.Random(20240101)
    numbers = pool(4000, rng)
    leads = [Lead(i, "spring", n, created_at=0.0) for i, n in enumerate(numbers)]
    listed = {n.digits for n in rng.sample(numbers, 200)}
    dnc = DncList(NationalRegistry.from_numbers(listed))
    e = eligibility(dnc=dnc)
    t = START
    released = by_window = by_dnc = next_checked = 0
    for step in range(1_000_000):
        t += rng.expovariate(1 / 50)
        if step % 1000 == 999:  # do-not-call requests arrive mid-run, and a few are taken back
            chosen = rng.choice(numbers)
            if chosen.digits not in listed:
                dnc.internal.add(chosen, at=t, by="agent", reason="asked")
                listed.add(chosen.digits)
            elif dnc.internal.entry(chosen.digits) is not None and rng.random() < 0.2:
                dnc.internal.remove(chosen, at=t, by="cm", role="campaign_manager", reason="opted in")
                listed.discard(chosen.digits)
        candidate = leads[rng.randrange(len(leads))]
        decision = e.decide(candidate, history_at(rng, t), t)
        if decision.released:
            released += 1
            assert candidate.number.digits not in listed, decision
            assert in_default_window(candidate.number, t), decision
        elif decision.rule == RULE_DNC:
            by_dnc += 1
            assert candidate.number.digits in listed
        elif decision.rule == RULE_WINDOW:
            by_window += 1
            assert not in_default_window(candidate.number, t)
            if step % 50 == 0 and decision.next_at is not None:
                next_checked += 1
                assert in_default_window(candidate.number, decision.next_at), decision
                assert not in_default_window(candidate.number, max(t, decision.next_at - 60)), decision
    assert t - START > YEAR  # every DST change and every yearly holiday of every zone was crossed
    assert released > 100_000 and by_window > 100_000 and by_dnc > 5_000 and next_checked > 1000


def test_a_hopper_over_a_season_releases_no_listed_number_and_nothing_outside_a_window() -> None:
    rng = random.Random(7)
    numbers = pool(6000, rng)
    listed = {n.digits for n in rng.sample(numbers, 150)}
    dnc = DncList(NationalRegistry.from_numbers(listed))
    clock = FakeClock(START + 100 * 86400)
    e = Eligibility(RuleSet(max_attempts=50), dnc, ContactLog())
    story = []
    h = Hopper("spring", e, clock, recorder=story.append)
    h.load((Lead(i, "spring", n, created_at=float(i)), LeadHistory()) for i, n in enumerate(numbers))
    released = 0
    outcomes = [BUSY, NO_ANSWER, MACHINE, FAILED, ANSWERED, DO_NOT_CALL]
    for step in range(150_000):
        clock.now += rng.expovariate(1 / 60) if rng.random() < 0.98 else rng.uniform(3600, 6 * 3600)
        if step % 100 == 0:  # a manager's entry for a lead waiting in the hopper
            chosen = numbers[rng.randrange(len(numbers))]
            if h.place(numbers.index(chosen)) == READY and chosen.digits not in listed:
                dnc.internal.add(chosen, at=clock.now, by="manager", reason="asked by letter")
                listed.add(chosen.digits)
        found = h.next()
        if found is None:
            continue
        released += 1
        assert found.number.digits not in listed
        assert in_default_window(found.number, clock.now)
        outcome = rng.choice(outcomes)
        if outcome == DO_NOT_CALL:
            listed.add(found.number.digits)
        h.outcome(found.id, outcome, callback_at=clock.now + 7200 if outcome == ANSWERED and rng.random() < 0.3
                  else None)
    assert released > 20_000
    assert sum(1 for d in story if d.released) == released
    assert any(d.rule == RULE_DNC for d in story) and any(d.rule == RULE_WINDOW for d in story)


def _retry_passed(history: LeadHistory, rules: RuleSet, now: float) -> bool:
    if history.callback_at is not None or history.last_outcome is None:
        return True
    retry = rules.retry.get(history.last_outcome)
    return retry is not None and retry.retry and now >= (history.last_outcome_at or now) + retry.delay


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(TEMPLATES), st.floats(START, START + 2 * YEAR), st.integers(0, 8),
       st.sampled_from((None, *RETRYABLE, ANSWERED)), st.floats(0, 3 * 86400),
       st.one_of(st.none(), st.floats(-86400, 86400)), st.booleans())
def test_a_release_means_every_rule_holds(template: str, now: float, attempts: int, outcome: str | None,
                                          ago: float, callback_in: float | None, on_list: bool) -> None:
    dial = number(template)
    dnc = DncList()
    if on_list:
        dnc.internal.add(dial, at=0.0, by="t", reason="t")
    rules = RuleSet()
    e = eligibility(rules, dnc)
    history = LeadHistory(attempts=attempts, last_outcome=outcome, last_outcome_at=now - ago if outcome else None,
                          recent_dials=(now - ago,) if outcome else (),
                          callback_at=None if callback_in is None else now + callback_in)
    decision = e.decide(Lead(1, "spring", dial, 0.0), history, now)
    fails = {
        RULE_DNC: on_list,
        RULE_ATTEMPTS: attempts >= rules.max_attempts,
        RULE_CALLBACK: history.callback_at is not None and history.callback_at > now,
        RULE_RETRY: not _retry_passed(history, rules, now),
        RULE_WINDOW: not in_default_window(dial, now),
    }
    if decision.released:
        assert decision.rule == RULE_ELIGIBLE and not any(fails.values())
    else:
        assert decision.next_at is None or decision.next_at > now
        # The deciding rule really fails, and no rule checked before it does.
        order = [RULE_DNC, RULE_ATTEMPTS, RULE_CALLBACK, RULE_RETRY, RULE_WINDOW]
        if decision.rule in fails:
            assert fails[decision.rule]
            assert not any(fails[r] for r in order[:order.index(decision.rule)])
