"""The campaign report's figures per campaign, list and agent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outbound.rules import ABANDONED, ANSWERED, BUSY, DO_NOT_CALL, MACHINE, NO_ANSWER, OUTCOMES
from reports.campaign_kpis import Attempt, LeadCounts, ReportError, campaign_figures

NOW = 1_800_000_000.0


def attempts() -> list[Attempt]:
    made = [
        Attempt(NOW - 100, "spring", "march", 1, ANSWERED, "ann", "sale", right_party=True, talk_seconds=300),
        Attempt(NOW - 90, "spring", "march", 2, ANSWERED, "bob", "call back", right_party=False, talk_seconds=60),
        Attempt(NOW - 80, "spring", "april", 3, DO_NOT_CALL, "ann", "do not call", right_party=True, talk_seconds=20),
        Attempt(NOW - 70, "spring", "april", 4, ABANDONED),
        Attempt(NOW - 60, "spring", "april", 5, BUSY),
        Attempt(NOW - 50, "spring", "april", 6, NO_ANSWER),
    ]
    made += [Attempt(NOW - 40, "spring", "march", 10 + i, MACHINE) for i in range(10)]
    return made


def test_per_campaign_dials_contacts_abandons_talk_and_completion() -> None:
    [spring] = campaign_figures(attempts(), now=NOW, leads={"spring": LeadCounts(total=100, dialled=16, finished=4)},
                                agent_hours={"spring": 0.5}, false_positives={"spring": 0.1, "autumn": 0.5})
    assert spring.dials == 16
    assert spring.contacts == 4  # three talked, one abandoned
    assert spring.right_party_contacts == 2
    assert spring.dispositions == {"sale": 1, "call back": 1, "do not call": 1}
    assert spring.abandon_rate_us == pytest.approx(1 / 4)
    assert spring.abandon_rate_ofcom == pytest.approx((1 + 1) / (4 + 1))
    assert spring.talk_min_per_agent_hour == pytest.approx(380 / 60 / 0.5)
    assert spring.penetration == pytest.approx(0.16)
    assert spring.remaining_leads == 96
    assert spring.expected_completion == pytest.approx(NOW + 96 * 3600 / 3)  # 3 leads answered in the last hour
    assert spring.row()["disposition:sale"] == 1


def test_per_list_and_per_agent() -> None:
    by_list = {f.key: f for f in campaign_figures(attempts(), by="list", now=NOW)}
    assert by_list["april"].dials == 4 and by_list["march"].dials == 12
    by_agent = {f.key: f for f in campaign_figures(attempts(), by="agent", now=NOW, agent_hours={"ann": 1.0})}
    assert set(by_agent) == {"ann", "bob"}
    assert by_agent["ann"].talk_min_per_agent_hour == pytest.approx(320 / 60)
    assert by_agent["bob"].talk_min_per_agent_hour is None  # no logged-in hours known


def test_an_unknown_grouping_is_refused() -> None:
    with pytest.raises(ReportError):
        campaign_figures([], by="queue", now=NOW)


@given(st.lists(st.sampled_from(OUTCOMES), max_size=60))
def test_rates_stay_between_zero_and_one_and_dials_add_up(outcomes: list[str]) -> None:
    made = [Attempt(NOW - i, "c", "l", i, outcome) for i, outcome in enumerate(outcomes)]
    figures = campaign_figures(made, now=NOW, false_positives={"c": 0.2})
    assert sum(f.dials for f in figures) == len(outcomes)
    for f in figures:
        assert 0.0 <= f.abandon_rate_us <= 1.0 and 0.0 <= f.abandon_rate_ofcom <= 1.0
        assert f.contacts <= f.dials
