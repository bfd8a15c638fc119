"""The CRM behind an agent's tools, on SQLite and PostgreSQL: the paged customer search, tickets edited and
noted with an audit trail, the knowledge base (word search, Chinese included, audited writes) and an agent's
day read from the event log."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from acd.events import AgentStateChanged, CallConnected, CallEnded, CallQueued
from agent_desktop.my_day import MyDay, day_start
from crm_core import audit, knowledge
from crm_core.customer_search import search_page
from crm_core.customers import CustomerService
from crm_core.db import make_session_factory, session_scope
from crm_core.demo import seed_knowledge
from crm_core.eventlog import append_events
from crm_core.interactions import MANUAL, close_leg, open_leg
from crm_core.knowledge import ArticleDraft, InvalidArticle, KnowledgeService
from crm_core.tickets import IllegalTicketTransition, InvalidTicket, TicketService, tickets_of


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def _customers(session: Session) -> CustomerService:
    service = CustomerService(session, "alice", Clock())
    service.create(name="Mary O'Neil", company="Acme 100% Ltd", phones=["+14155550101"], email="mary@acme.com")
    service.create(name="Mario Rossi", phones=["+14155550102"], email="mario@rossi.it")
    service.create(name="Wang Fang", company="Acme", phones=["+14155550103"], email="fang@example.cn")
    service.create(name="王芳", phones=["+14155550104"])
    return service


def _names(session: Session, text: str, **options: int) -> list[str]:
    return [c.name for c in search_page(session, text, **options).customers]


def test_customer_search_by_words_code_phone_and_email(session: Session) -> None:
    _customers(session)
    assert _names(session, "mar") == ["Mario Rossi", "Mary O'Neil"]  # by name, every word must match
    assert _names(session, "acme fang") == ["Wang Fang"]
    assert _names(session, "ROSSI.IT") == ["Mario Rossi"]  # e-mail, any case
    assert _names(session, "(415) 555-0103") == ["Wang Fang"]  # a phone as typed, normalised
    assert _names(session, "王") == ["王芳"]
    assert _names(session, "100%") == ["Mary O'Neil"]  # a wildcard typed is a character, not a pattern
    assert _names(session, "_") == []
    code = search_page(session, "mario").customers[0].code
    assert _names(session, code) == ["Mario Rossi"]
    assert _names(session, "   ") == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page_size=st.integers(min_value=1, max_value=5))
def test_pages_of_a_search_cover_every_hit_once_in_name_order(session: Session, page_size: int) -> None:
    if not _names(session, "a", page_size=50):
        service = CustomerService(session, "alice", Clock())
        for i in range(11):
            service.create(name=f"Ann {chr(ord('k') - i)}", phones=[f"+1415555{200 + i:04d}"])
    everyone = _names(session, "a", page_size=50)
    seen: list[str] = []
    page = 0
    while True:
        found = search_page(session, "a", page=page, page_size=page_size)
        assert len(found.customers) <= page_size
        seen += [c.name for c in found.customers]
        if not found.more:
            break
        page += 1
    assert seen == everyone == sorted(everyone)


def test_tickets_are_edited_noted_and_moved_with_an_audit_trail(session: Session) -> None:
    _customers(session)
    customer = search_page(session, "mario").customers[0]
    tickets = TicketService(session, "agent1", Clock())
    ticket = tickets.open(customer, "Router blinks red", priority="high")
    tickets.edit(ticket, subject="Router blinks red and orange", description="since Monday")
    tickets.add_note(ticket, "called back, no answer")
    tickets.move(ticket, "in_progress", note="engineer booked")
    try:
        tickets.move(ticket, "closed")
    except IllegalTicketTransition:
        pass
    else:
        raise AssertionError("in_progress must not go to closed directly")
    for blank in ("", "  "):
        try:
            tickets.add_note(ticket, blank)
        except InvalidTicket:
            continue
        raise AssertionError("an empty note is refused")
    trail = [(e.actor, e.action, e.field) for e in audit.history(session, "ticket", ticket.id)]
    assert ("agent1", "update", "subject") in trail and ("agent1", "update", "description") in trail
    assert ("agent1", "note", "note") in trail and ("agent1", "status", "status") in trail
    assert [t.subject for t in tickets_of(session, customer.id)] == ["Router blinks red and orange"]
    assert ticket.status == "in_progress"


def test_knowledge_search_finds_every_word_in_any_field_titles_first(session: Session) -> None:
    writer = KnowledgeService(session, "root", Clock())
    writer.create(ArticleDraft("Printer jams", "Open tray 2 and pull the paper out.", "hardware"))
    writer.create(ArticleDraft("Refunds", "A printer bought this month can be returned.", "billing"))
    writer.create(ArticleDraft("50% discount rules", "Only for new customers.", "sales"))
    titles = [a.title for a in knowledge.search(session, "printer")]
    assert titles == ["Printer jams", "Refunds"]  # the title hit first
    assert [a.title for a in knowledge.search(session, "PRINTER returned")] == ["Refunds"]
    assert [a.title for a in knowledge.search(session, "billing")] == ["Refunds"]  # by tag
    assert [a.title for a in knowledge.search(session, "50%")] == ["50% discount rules"]
    assert [a.title for a in knowledge.search(session, "%")] == ["50% discount rules"]
    assert knowledge.search(session, "printer fax") == []
    assert knowledge.search(session, "") == []


def test_demo_articles_are_found_in_chinese_and_english_and_seeded_once(session: Session) -> None:
    assert seed_knowledge(session, clock=Clock()) == 6
    assert seed_knowledge(session, clock=Clock()) == 0
    # The refund article by its title, then the parcel one, whose text offers a refund.
    assert [a.title for a in knowledge.search(session, "退款")] == ["重复扣款的退款", "包裹未送达"]
    assert [a.title for a in knowledge.search(session, "密码")] == ["重置门户密码"]
    assert [a.title for a in knowledge.search(session, "包裹")] == ["包裹未送达"]
    assert [a.title for a in knowledge.search(session, "refund card")] == ["Refund for a double charge"]


def test_article_changes_are_audited_and_bad_articles_refused(session: Session) -> None:
    writer = KnowledgeService(session, "root", Clock())
    article = writer.create(ArticleDraft("Opening hours", "Mon-Fri 9-17", "hours"))
    assert writer.update(article, ArticleDraft("Opening hours", "Mon-Sat 9-17", "hours")) == {
        "body": ("Mon-Fri 9-17", "Mon-Sat 9-17")}
    assert writer.update(article, ArticleDraft("Opening hours", "Mon-Sat 9-17", "hours")) == {}
    article_id = article.id
    writer.delete(article)
    trail = [(e.actor, e.action) for e in audit.history(session, "article", article_id)]
    assert trail[0] == ("root", "create") and ("root", "update") in trail and trail[-1] == ("root", "delete")
    for bad in (ArticleDraft("  "), ArticleDraft("x" * 201), ArticleDraft("t", "b" * 20_001)):
        try:
            writer.create(bad)
        except InvalidArticle:
            continue
        raise AssertionError(f"{bad!r} must be refused")


async def test_an_agents_day_is_read_from_the_event_log_on_either_database(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    now = day_start(1_700_000_000.0, None) + 12 * 3600
    at = now - 1000

    def state(when: float, new: str, old: str) -> AgentStateChanged:
        return AgentStateChanged(agent_id="a1", state=new, previous=old, at=when)

    with session_scope(sessions) as session:
        append_events(session, [
            state(at, "ready", "logged_out"),
            CallQueued(call_id="d1", queue="support", priority=0, enter_time=at + 90, at=at + 90),
            state(at + 100, "reserved", "ready"),
            CallConnected(call_id="d1", queue="support", agent_id="a1", wait_seconds=10.0, at=at + 105),
            state(at + 105, "on_call", "reserved"),
            CallEnded(call_id="d1", queue="support", agent_id="a1", talk_seconds=200.0, at=at + 305),
            state(at + 305, "wrap_up", "on_call"),
            state(at + 345, "ready", "wrap_up"),
            # Another agent's call the same day is not this agent's.
            CallQueued(call_id="d2", queue="support", priority=0, enter_time=at + 400, at=at + 400),
            CallConnected(call_id="d2", queue="support", agent_id="a2", wait_seconds=1.0, at=at + 401),
        ])
        # Two calls a1 placed by hand, one answered, and one of a2's: counted apart from the ACD's calls.
        for call_id, agent_id, answered in (("m1", "a1", True), ("m2", "a1", False), ("m3", "a2", True)):
            open_leg(session, call_id, call_id=call_id, direction=MANUAL, enter_at=at + 500, agent_id=agent_id)
            close_leg(session, call_id, end_at=at + 600, outcome="answered" if answered else "busy",
                      answer_at=at + 510 if answered else None)
    day = await MyDay(sessions, clock=lambda: now).of("a1")
    assert (day["calls"], day["aht"]) == (1, 200 + 40)
    assert (day["manual_calls"], day["manual_answered"]) == (2, 1)
    assert day["seconds_by_state"] == {"ready": 100 + 655, "reserved": 5, "on_call": 200, "wrap_up": 40}
