"""What the agent's outbound work adds to the outbound core and stores: a previewed lead put back into the
hopper undialled, and the story's disposition text read back (disposition, agent, call-back's agent)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from outbound_helpers import NY, FakeClock, at, eligibility, lead, number, variant

from outbound.hopper import OUT, READY, Hopper
from outbound.lead_store import _DISPOSITION_DETAIL, disposition_detail, read_disposition_detail
from outbound.leads import LeadHistory
from outbound.rules import OUTCOMES

NOON = at("America/New_York", 2025, 6, 10, 12)


def test_a_lead_put_back_undialled_is_released_again_with_no_attempt_counted() -> None:
    clock = FakeClock(NOON)
    h = Hopper("spring", eligibility(), clock)
    h.load([(lead(1, variant(number(NY), 1)), LeadHistory()), (lead(2, variant(number(NY), 2)), LeadHistory())])
    first = h.next()
    assert first is not None and h.place(first.id) == OUT
    h.put_back(first.id)
    assert h.place(first.id) == READY and h.history(first.id).attempts == 0
    assert sorted(lead.id for lead in (h.next(), h.next()) if lead is not None) == [1, 2]


_NAMES = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40).map(str.strip) \
    .filter(bool)
_AGENTS = st.from_regex(r"[A-Za-z0-9:_.-]{1,20}", fullmatch=True)


@given(st.sampled_from(OUTCOMES), _NAMES, _AGENTS, st.none() | _AGENTS)
def test_a_disposition_written_to_the_story_reads_back_as_it_was(outcome: str, disposition: str, agent: str,
                                                                  owner: str | None) -> None:
    detail = disposition_detail(outcome, disposition, agent, owner)
    assert read_disposition_detail(detail) == (outcome, disposition, agent)
    found = _DISPOSITION_DETAIL.match(detail)
    assert found is not None and found["owner"] == owner


@given(st.sampled_from(OUTCOMES), st.text(max_size=30))
def test_the_dialers_own_details_give_their_outcome_and_no_agent(outcome: str, note: str) -> None:
    assert read_disposition_detail(f"{outcome} {note}".strip())[0] == outcome
