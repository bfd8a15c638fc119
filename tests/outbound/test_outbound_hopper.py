import random

import pytest
from outbound_helpers import FLORIDA, IDAHO, NY, PARIS, FakeClock, at, eligibility, lead, number, variant

from crm_core.tiers import KEY, NORMAL, SMALL, VIP, queue_priority
from outbound.baseline import NaiveHopper
from outbound.best_time import BestTime, hour_of_week, reference_zone
from outbound.contacts import ContactLog
from outbound.dnc import DncList
from outbound.eligibility import Decision, Eligibility
from outbound.hopper import DONE, OUT, PARKED, READY, WAITING, Hopper, HopperError
from outbound.leads import Lead, LeadHistory
from outbound.registry import NationalRegistry
from outbound.rules import (
    ANSWERED,
    BUSY,
    DO_NOT_CALL,
    NO_ANSWER,
    RULE_DAILY_ATTEMPTS,
    RULE_DNC,
    RULE_ELIGIBLE,
    RULE_OTHER_CAMPAIGN,
    RULE_RETRY,
    RULE_WINDOW,
    RuleSet,
)

NOON = at("America/New_York", 2025, 6, 10, 12)


def hopper(clock: FakeClock, e: Eligibility | None = None, *, campaign: str = "spring",
           best_time: BestTime | None = None) -> tuple[Hopper, list[Decision]]:
    story: list[Decision] = []
    return Hopper(campaign, e or eligibility(), clock, recorder=story.append, best_time=best_time), story


def drain(h: Hopper) -> list[int]:
    released = []
    while (found := h.next()) is not None:
        released.append(found.id)
    return released


def test_leads_come_out_call_backs_due_first_then_vip_then_age() -> None:
    clock = FakeClock(NOON)
    h, _ = hopper(clock)
    due = LeadHistory(attempts=1, last_outcome=ANSWERED, last_outcome_at=NOON - 86400,
                      recent_dials=(NOON - 86400,), callback_at=NOON - 60)
    later = LeadHistory(attempts=1, last_outcome=ANSWERED, last_outcome_at=NOON - 86400,
                        recent_dials=(NOON - 86400,), callback_at=NOON + 600)
    h.load([
        (lead(1, variant(number(NY), 1), created_at=10.0, tier=queue_priority(SMALL)), LeadHistory()),
        (lead(2, variant(number(NY), 2), created_at=20.0, tier=queue_priority(VIP)), LeadHistory()),
        (lead(3, variant(number(NY), 3), created_at=30.0, tier=queue_priority(SMALL)), due),
        (lead(4, variant(number(NY), 4), created_at=5.0, tier=queue_priority(KEY)), LeadHistory()),
        (lead(5, variant(number(NY), 5), created_at=1.0, tier=queue_priority(VIP)), later),
        (lead(6, variant(number(NY), 6), created_at=2.0, tier=queue_priority(SMALL)), LeadHistory()),
    ])
    assert drain(h) == [3, 2, 4, 6, 1]
    clock.now = NOON + 600
    assert drain(h) == [5]


def test_the_best_time_score_orders_equal_tiers_by_the_callees_local_hour() -> None:
    clock = FakeClock(NOON)  # 12:00 in New York, 18:00 in Paris
    learned = BestTime()
    paris_hour = hour_of_week(NOON, reference_zone(("Europe/Paris",)))
    for _ in range(200):
        learned.learn(paris_hour, ANSWERED)
    h, _ = hopper(clock, best_time=learned)
    h.load([(lead(1, NY, created_at=1.0), LeadHistory()), (lead(2, PARIS, created_at=2.0), LeadHistory())])
    assert drain(h) == [2, 1]


def test_release_order_matches_a_naive_scan_of_the_same_leads() -> None:
    rng = random.Random(5)
    clock = FakeClock(NOON)
    learned = BestTime()
    for _ in range(500):
        learned.learn(rng.randrange(168), rng.choice([ANSWERED, NO_ANSWER]))
    templates = [number(t) for t in (NY, FLORIDA, IDAHO, PARIS)]
    tiers = [queue_priority(t) for t in (VIP, KEY, NORMAL, SMALL)]
    leads = []
    for i in range(400):
        history = LeadHistory()
        if rng.random() < 0.1:
            history = LeadHistory(attempts=1, last_outcome=ANSWERED, last_outcome_at=NOON - 9000,
                                  recent_dials=(NOON - 9000,), callback_at=NOON - rng.uniform(0, 3600))
        leads.append((lead(i, variant(rng.choice(templates), i), created_at=rng.uniform(0, 1e6),
                           tier=rng.choice(tiers)), history))
    h, _ = hopper(clock, best_time=learned)
    h.load(leads)
    naive = NaiveHopper(eligibility(), clock, leads, best_time=learned)
    ours = drain(h)
    theirs = []
    while (found := naive.next()) is not None:
        theirs.append(found.id)
    assert ours == theirs and len(ours) == 400


def test_a_lead_waits_for_its_window_and_comes_out_when_it_opens() -> None:
    clock = FakeClock(at("America/New_York", 2025, 6, 10, 7, 59))
    h, story = hopper(clock)
    h.add(lead(1, NY))
    assert h.next() is None and h.place(1) == READY
    assert [(d.rule, d.next_at) for d in story] == [(RULE_WINDOW, at("America/New_York", 2025, 6, 10, 8))]
    clock.now = at("America/New_York", 2025, 6, 10, 8)
    released = h.next()
    assert released is not None and released.id == 1 and h.place(1) == OUT


def test_the_gate_closes_at_nine_in_the_evening_with_leads_still_ready() -> None:
    clock = FakeClock(at("America/New_York", 2025, 6, 10, 20, 59))
    h, _ = hopper(clock)
    h.load([(lead(1, variant(number(NY), 1)), LeadHistory()), (lead(2, variant(number(NY), 2)), LeadHistory())])
    assert h.next() is not None
    clock.now = at("America/New_York", 2025, 6, 10, 21)
    assert h.next() is None and h.counts()[READY] == 1
    clock.now = at("America/New_York", 2025, 6, 11, 8)
    found = h.next()
    assert found is not None and found.id == 2


def test_retry_delay_moves_the_lead_back_in_when_it_ends() -> None:
    clock = FakeClock(NOON)
    h, story = hopper(clock)
    h.add(lead(1, NY))
    assert h.next() is not None
    clock.now += 30
    effects = h.outcome(1, BUSY)
    assert effects.history.attempts == 1 and effects.history.last_outcome == BUSY
    assert h.place(1) == WAITING and story[-1].rule == RULE_RETRY
    clock.now += 599
    assert h.next() is None
    clock.now += 1
    found = h.next()
    assert found is not None and found.id == 1


def test_dnc_takes_effect_within_a_minute_for_a_lead_already_in_the_hopper() -> None:
    clock = FakeClock(NOON)
    dnc = DncList()
    h, story = hopper(clock, eligibility(dnc=dnc))
    h.load([(lead(1, variant(number(NY), 1), created_at=1.0), LeadHistory()),
            (lead(2, variant(number(NY), 2), created_at=2.0), LeadHistory())])
    assert h.place(1) == READY
    dnc.internal.add(variant(number(NY), 1), at=clock.now, by="agent:ann", reason="do-not-call disposition")
    clock.now += 59
    found = h.next()
    assert found is not None and found.id == 2  # lead 1 was first in line
    assert h.place(1) == PARKED
    assert [d.rule for d in story if d.lead_id == 1] == [RULE_DNC]
    assert all(d.lead_id != 1 for d in story if d.released)


def test_dnc_reaches_a_lead_released_and_not_yet_dialled() -> None:
    clock = FakeClock(NOON)
    dnc = DncList()
    h, _ = hopper(clock, eligibility(dnc=dnc))
    h.add(lead(1, NY))
    assert h.next() is not None
    assert h.confirm(1).released
    dnc.campaign("spring").add(number(NY), at=clock.now, by="cm", reason="complaint")
    clock.now += 1
    decision = h.confirm(1)
    assert not decision.released and decision.rule == RULE_DNC and h.place(1) == PARKED


def test_taking_a_number_off_the_list_brings_its_lead_back() -> None:
    clock = FakeClock(NOON)
    dnc = DncList()
    dnc.internal.add(number(NY), at=0.0, by="agent:ann", reason="asked")
    h, _ = hopper(clock, eligibility(dnc=dnc))
    h.add(lead(1, NY))
    assert h.next() is None and h.place(1) == PARKED
    dnc.internal.remove(number(NY), at=clock.now, by="cm", role="campaign_manager", reason="opted in again")
    found = h.next()
    assert found is not None and found.id == 1


def test_a_new_registry_is_applied_to_parked_and_ready_leads() -> None:
    clock = FakeClock(NOON)
    dnc = DncList(NationalRegistry.from_numbers([variant(number(NY), 1).digits]))
    h, _ = hopper(clock, eligibility(dnc=dnc))
    h.load([(lead(1, variant(number(NY), 1)), LeadHistory()), (lead(2, variant(number(NY), 2)), LeadHistory())])
    assert h.place(1) == PARKED
    dnc.replace_registry(NationalRegistry.from_numbers([variant(number(NY), 2).digits]))
    assert drain(h) == [1]
    assert h.place(2) == PARKED


def test_a_do_not_call_disposition_puts_the_number_on_the_internal_list_at_once() -> None:
    clock = FakeClock(NOON)
    dnc = DncList()
    contacts = ContactLog()
    ours, _ = hopper(clock, eligibility(dnc=dnc, contacts=contacts))
    other, _ = hopper(clock, eligibility(dnc=dnc, contacts=contacts), campaign="autumn")
    ours.add(lead(1, NY))
    other.add(lead(2, NY, campaign="autumn"))
    assert ours.next() is not None
    effects = ours.outcome(1, DO_NOT_CALL, by="agent:ann")
    assert effects.dnc_change is not None and effects.dnc_change.actor == "agent:ann"
    assert dnc.blocks(number(NY).digits) is not None
    clock.now += 86400
    assert other.next() is None and other.place(2) == PARKED


def test_campaigns_sharing_a_contact_log_keep_their_distance() -> None:
    clock = FakeClock(NOON)
    contacts = ContactLog()
    rules = RuleSet(other_campaign_gap=3600)
    spring, _ = hopper(clock, eligibility(rules, contacts=contacts))
    autumn, story = hopper(clock, eligibility(rules, contacts=contacts), campaign="autumn")
    spring.add(lead(1, NY))
    autumn.add(lead(2, NY, campaign="autumn"))
    assert spring.next() is not None
    assert autumn.next() is None and story[-1].rule == RULE_OTHER_CAMPAIGN
    clock.now += 3000
    contacts.dialed(number(NY).digits, "spring", clock.now)  # dialled again before autumn's turn came
    clock.now += 600
    assert autumn.next() is None
    assert [d.rule for d in story] == [RULE_OTHER_CAMPAIGN]  # skipped twice for one reason: told once
    clock.now += 3000
    found = autumn.next()
    assert found is not None and found.id == 2


def test_the_story_records_each_change_of_reason_once() -> None:
    clock = FakeClock(NOON)
    h, story = hopper(clock)
    h.add(lead(1, NY))
    for _ in range(3):
        assert h.next() is not None
        clock.now += 10
        h.outcome(1, BUSY)
        clock.now += 600
    for _ in range(50):
        h.next()  # the lead is out: asking again adds nothing to its story
    rules = [d.rule for d in story]
    assert rules == [RULE_ELIGIBLE, RULE_RETRY] * 3 + [RULE_DAILY_ATTEMPTS]
    assert all(d.rules_version == "1" for d in story)


def test_finished_leads_are_done_and_counted() -> None:
    clock = FakeClock(NOON)
    h, _ = hopper(clock, eligibility(RuleSet(max_attempts=1)))
    h.load([(lead(1, variant(number(NY), 1)), LeadHistory()), (lead(2, variant(number(NY), 2)), LeadHistory())])
    first = h.next()
    assert first is not None
    h.outcome(first.id, NO_ANSWER)
    assert h.counts() == {READY: 1, WAITING: 0, PARKED: 0, OUT: 0, DONE: 1}
    h.remove(2)
    assert h.counts()[READY] == 0 and h.next() is None


def test_many_wake_ups_at_once_are_taken_in_bit_by_bit() -> None:
    clock = FakeClock(NOON)
    h = Hopper("spring", eligibility(), clock, wakeups_per_call=10)
    ended = NOON - 3 * 3600
    waiting = LeadHistory(attempts=1, last_outcome=NO_ANSWER, last_outcome_at=ended + 10, recent_dials=(ended,))
    h.load([(lead(i, variant(number(NY), i), created_at=float(i)), waiting) for i in range(100)])
    assert h.counts()[WAITING] == 100
    clock.now = ended + 10 + 3 * 3600
    found = h.next()
    assert found is not None and h.counts()[READY] == 9  # ten woke, one went out
    h.tick()
    assert h.counts()[READY] == 99


def test_requests_about_leads_the_hopper_does_not_hold_are_refused() -> None:
    clock = FakeClock(NOON)
    h, _ = hopper(clock)
    h.add(lead(1, NY))
    with pytest.raises(HopperError):
        h.outcome(1, BUSY)  # not released
    with pytest.raises(HopperError):
        h.add(lead(1, NY))
    with pytest.raises(HopperError):
        h.add(Lead(2, "autumn", number(NY), 0.0))
    assert h.next() is not None
    with pytest.raises(HopperError):
        h.outcome(1, "sale")
    with pytest.raises(HopperError):
        h.confirm(99)


def test_a_lead_dialled_before_a_restart_is_adopted_out_of_any_place_and_takes_its_outcome() -> None:
    clock = FakeClock(NOON)
    h, _ = hopper(clock, eligibility(RuleSet(max_attempts=1)))
    ready, waiting = lead(1, variant(number(NY), 1)), lead(2, variant(number(NY), 2))
    retry = LeadHistory(attempts=0, last_outcome=None, last_outcome_at=None, callback_at=NOON + 3600)
    h.load([(ready, LeadHistory()), (waiting, retry)])
    assert (h.place(1), h.place(2)) == (READY, WAITING)
    for found in (ready, waiting):
        assert h.adopt(found.id, NOON - 20) == found
        assert h.place(found.id) == OUT
    assert h.next() is None  # neither is released again while its call is on
    clock.now += 5
    assert h.outcome(1, ANSWERED).history.recent_dials == (NOON - 20,)  # the dial began before the restart
    assert h.place(1) == DONE
    with pytest.raises(HopperError):
        h.adopt(1, NOON)  # nothing left to do for it
    assert h.adopt(2, NOON) == waiting  # out already: stays so
