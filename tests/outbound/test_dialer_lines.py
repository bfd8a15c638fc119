"""The dialer's rounds (pure): only confirmed leads are dialled, agents are held one per line and let go
when no lead comes, and the pacer sees each line once."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from outbound_helpers import FakeClock, in_default_window, number, variant

from acd.agents import AgentState, AgentView
from outbound.contacts import ContactLog
from outbound.dialer_lines import Line, LineBook, pacing_state, take_leads
from outbound.dnc import DncList
from outbound.eligibility import Eligibility
from outbound.hopper import Hopper
from outbound.leads import Lead, LeadHistory
from outbound.pacing import Pacer
from outbound.rules import RuleSet

TEMPLATES = ("+12125550100", "+12085550100", "+442079460123", "+61412345678", "+819012345678")
START = dt.datetime(2025, 3, 3, tzinfo=dt.UTC).timestamp()


def agent(agent_id: str, state: AgentState, since: float = 0.0) -> AgentView:
    return AgentView(agent_id, state, None, since, None, None)


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 40),
    hour=st.floats(0, 24 * 14),
    listed=st.sets(st.integers(0, 39), max_size=15),
    listed_meanwhile=st.sets(st.integers(0, 39), max_size=10),
    ready=st.integers(0, 12),
    wanted=st.integers(0, 15),
    holding=st.booleans(),
)
def test_a_round_dials_only_confirmed_leads_and_holds_one_agent_per_line(
        size: int, hour: float, listed: set[int], listed_meanwhile: set[int], ready: int, wanted: int,
        holding: bool) -> None:
    numbers = [variant(number(TEMPLATES[i % len(TEMPLATES)]), 1000 + i) for i in range(size)]
    dnc = DncList()
    clock = FakeClock(START + hour * 3600)
    for i in listed & set(range(size)):
        dnc.internal.add(numbers[i], at=clock.now - 10, by="agent", reason="asked")
    hopper = Hopper("spring", Eligibility(RuleSet(), dnc, ContactLog()), clock)
    hopper.load((Lead(i, "spring", n, created_at=float(i)), LeadHistory()) for i, n in enumerate(numbers))
    free = [f"a{i}" for i in range(ready)]
    held: dict[str, str] = {}
    let_go: list[str] = []

    def confirm(lead_id: int):  # a do-not-call request may arrive between the release and the dial
        if lead_id in listed_meanwhile:
            dnc.internal.add(numbers[lead_id], at=clock.now, by="agent", reason="asked meanwhile")
        return hopper.confirm(lead_id)

    def hold(attempt_id: str) -> str | None:
        if not free:
            return None
        held[attempt_id] = free.pop()
        return held[attempt_id]

    def release(agent_id: str, attempt_id: str) -> None:
        assert held.pop(attempt_id) == agent_id
        let_go.append(agent_id)

    book = LineBook()
    takes = take_leads(wanted, new_id=book.new_id, next_lead=hopper.next, confirm=confirm,
                       hold=hold if holding else None, let_go=release)
    assert len(takes) <= wanted
    for take in takes:
        digits = take.lead.number.digits
        assert take.lead.id not in listed and take.lead.id not in listed_meanwhile, "a do-not-call number dialled"
        assert in_default_window(take.lead.number, clock.now), "dialled outside the callee's window"
        assert digits == numbers[take.lead.id].digits
    if holding:
        assert len(takes) <= ready
        agents = [t.agent_id for t in takes]
        assert None not in agents and len(set(agents)) == len(agents)  # one line per agent
        assert sorted(held.values()) == sorted(agents)  # never more agents held than lines
    else:
        assert all(t.agent_id is None for t in takes) and not held and not let_go


def test_progressive_pacing_sees_held_agents_once_and_redials_for_a_freed_one() -> None:
    lead = Lead(1, "spring", number("+12125550100"), created_at=0.0)
    held = [Line(f"d{i}", 7, lead, dialled_at=100.0, agent_id=f"a{i}") for i in range(3)]
    agents = [agent("a0", AgentState.RESERVED), agent("a1", AgentState.RESERVED), agent("a2", AgentState.READY),
              agent("a3", AgentState.ON_CALL, since=50.0)]
    # a2's line just failed and was closed: a2 is ready again and gets a new line at once.
    state = pacing_state(110.0, agents, held[:2])
    assert (state.ready, state.ringing_elapsed, state.busy_elapsed) == (1, (), (60.0,))
    assert Pacer().lines(state) == 1
    assert pacing_state(110.0, agents, held[:2], keep_for_inbound=1).ready == 0
    # Predictive lines hold nobody while they ring: each counts as ringing.
    unheld = [Line("p1", 7, lead, dialled_at=104.0), Line("p2", 7, lead, dialled_at=100.0, answered_at=105.0)]
    assert pacing_state(110.0, agents, unheld).ringing_elapsed == (6.0,)
