import pytest
from outbound_helpers import IDAHO, NY, at, eligibility, lead, number

from outbound.contacts import ContactLog
from outbound.dnc import DncList
from outbound.leads import LeadHistory
from outbound.rules import (
    ANSWERED,
    BUSY,
    FAILED,
    MACHINE,
    NO_ANSWER,
    RULE_ATTEMPTS,
    RULE_CALLBACK,
    RULE_DAILY_ATTEMPTS,
    RULE_DNC,
    RULE_ELIGIBLE,
    RULE_OTHER_CAMPAIGN,
    RULE_RETRY,
    RULE_WINDOW,
    RetryRule,
    RuleSet,
    RuleSetError,
)

NOON = at("America/New_York", 2025, 6, 10, 12)


def history(outcome: str, ended: float, *, dials: tuple[float, ...] = (), attempts: int = 1,
            callback_at: float | None = None) -> LeadHistory:
    return LeadHistory(attempts=attempts, last_outcome=outcome, last_outcome_at=ended,
                       recent_dials=dials or (ended - 60,), callback_at=callback_at)


def test_a_fresh_lead_inside_its_window_is_released_with_the_rule_set_version() -> None:
    decision = eligibility(RuleSet(version="7")).decide(lead(1, NY), LeadHistory(), NOON)
    assert decision.released and decision.rule == RULE_ELIGIBLE
    assert (decision.rules_version, decision.at, decision.e164, decision.campaign) == ("7", NOON, NY, "spring")
    assert "released" in decision.describe() and "rules v7" in decision.describe()


def test_do_not_call_decides_before_anything_else_and_for_good() -> None:
    dnc = DncList()
    dnc.internal.add(number(NY), at=0.0, by="agent:ann", reason="asked")
    night = at("America/New_York", 2025, 6, 10, 23)
    decision = eligibility(dnc=dnc).decide(lead(1, NY), LeadHistory(), night)
    assert not decision.released and decision.rule == RULE_DNC and decision.next_at is None
    assert "internal" in decision.reason


def test_outside_the_window_the_decision_says_when_it_opens() -> None:
    decision = eligibility().decide(lead(1, NY), LeadHistory(), at("America/New_York", 2025, 6, 10, 7, 59))
    assert decision.rule == RULE_WINDOW and decision.next_at == at("America/New_York", 2025, 6, 10, 8)
    assert "may be eligible from 2025-06-10 12:00:00Z" in decision.describe()


def test_attempt_limit_per_lead() -> None:
    rules = RuleSet(max_attempts=2)
    used = history(NO_ANSWER, NOON - 86400, attempts=2)
    decision = eligibility(rules).decide(lead(1, NY), used, NOON)
    assert decision.rule == RULE_ATTEMPTS and decision.next_at is None


@pytest.mark.parametrize(("outcome", "delay"), [(BUSY, 600), (NO_ANSWER, 3 * 3600), (MACHINE, 4 * 3600),
                                                 (FAILED, 1800)])
def test_retry_delay_per_outcome(outcome: str, delay: float) -> None:
    e = eligibility()
    ended = NOON - 60
    waiting = e.decide(lead(1, NY), history(outcome, ended), ended + delay - 1)
    assert waiting.rule == RULE_RETRY and waiting.next_at == ended + delay
    assert e.decide(lead(1, NY), history(outcome, ended), ended + delay).released


def test_an_outcome_without_retry_finishes_the_lead() -> None:
    rules = RuleSet(retry={BUSY: RetryRule(retry=False)})
    decision = eligibility(rules).decide(lead(1, NY), history(BUSY, NOON - 86400), NOON)
    assert decision.rule == RULE_RETRY and decision.next_at is None and "busy" in decision.reason
    answered = eligibility().decide(lead(1, NY), history(ANSWERED, NOON - 86400), NOON)
    assert answered.rule == RULE_RETRY and answered.next_at is None


def test_a_call_back_scheduled_later_waits_and_once_due_overrides_the_retry_rule() -> None:
    e = eligibility()
    asked = history(ANSWERED, NOON - 120, callback_at=NOON + 3600)
    later = e.decide(lead(1, NY), asked, NOON)
    assert later.rule == RULE_CALLBACK and later.next_at == NOON + 3600
    assert e.decide(lead(1, NY), asked, NOON + 3600).released  # answered has no retry, the call-back still goes


def test_attempts_per_day_count_in_the_callees_local_day_across_midnight() -> None:
    e = eligibility(RuleSet(max_attempts_per_day=2))
    dials = (at("America/New_York", 2025, 6, 10, 9), at("America/New_York", 2025, 6, 10, 18))
    two = LeadHistory(attempts=2, last_outcome=NO_ANSWER, last_outcome_at=dials[1], recent_dials=dials)
    late = at("America/New_York", 2025, 6, 10, 23, 59)  # 03:59 UTC on the 11th: still the 10th in New York
    decision = e.decide(lead(1, NY), two, late)
    assert decision.rule == RULE_DAILY_ATTEMPTS and decision.next_at == at("America/New_York", 2025, 6, 11)
    after_midnight = e.decide(lead(1, NY), two, at("America/New_York", 2025, 6, 11, 0, 1))
    assert after_midnight.rule == RULE_WINDOW  # the day limit is over; the window is the next thing


def test_a_number_over_two_zones_counts_the_day_from_the_earliest_midnight() -> None:
    e = eligibility(RuleSet(max_attempts_per_day=1))
    dial = at("America/Los_Angeles", 2025, 6, 10, 23, 30)  # 00:30 on the 11th in Boise
    one = LeadHistory(attempts=1, last_outcome=BUSY, last_outcome_at=dial, recent_dials=(dial,))
    decision = e.decide(lead(1, IDAHO), one, dial + 3600)
    # The dial was on the 10th in Los Angeles but on the 11th in Boise: it counts as today's until Boise's
    # 11th is over, although Los Angeles' 11th began after it.
    assert decision.rule == RULE_DAILY_ATTEMPTS
    assert decision.next_at == at("America/Boise", 2025, 6, 12)


def test_another_campaign_dialling_the_number_rests_it() -> None:
    contacts = ContactLog()
    contacts.dialed(number(NY).digits, "autumn", NOON - 600)
    e = eligibility(RuleSet(other_campaign_gap=3600), contacts=contacts)
    decision = e.decide(lead(1, NY), LeadHistory(), NOON)
    assert decision.rule == RULE_OTHER_CAMPAIGN and decision.next_at == NOON + 3000 and "autumn" in decision.reason
    assert e.decide(lead(1, NY), LeadHistory(), NOON + 3000).released
    contacts.dialed(number(NY).digits, "spring", NOON)  # its own campaign's dial is the retry rule's business
    assert e.decide(lead(1, NY, campaign="spring"), LeadHistory(), NOON + 3000).released
    no_spacing = eligibility(RuleSet(other_campaign_gap=0), contacts=contacts)
    assert no_spacing.decide(lead(1, NY), LeadHistory(), NOON).released


def test_contact_log_forgets_old_dials() -> None:
    contacts = ContactLog()
    contacts.dialed(1, "a", 10.0)
    contacts.dialed(2, "a", 100.0)
    contacts.forget_before(50.0)
    assert len(contacts) == 1 and contacts.last_by_other(2, "b") == (100.0, "a")


def test_rule_sets_refuse_nonsense() -> None:
    with pytest.raises(RuleSetError):
        RuleSet(retry={"sale": RetryRule()})
    with pytest.raises(RuleSetError):
        RuleSet(max_attempts=0)
    with pytest.raises(RuleSetError):
        RuleSet(other_campaign_gap=-1)
