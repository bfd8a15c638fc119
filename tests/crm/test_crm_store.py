"""The CRM store end to end, on SQLite and PostgreSQL (see conftest's ``engine`` fixture)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import openpyxl
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

import crm_core.eventlog
from acd.events import CallConnected, CallDisposed, CallEnded, CallOffered, CallQueued
from bus.events import DomainEvent
from callcenter.cli import main as callcenter_main
from callcenter.interaction_rows import apply_event
from crm_core import audit, lookup
from crm_core.customer_files import export_customers, import_customers
from crm_core.customers import CustomerService, NotACompany
from crm_core.db import Base
from crm_core.demo import seed_demo
from crm_core.eventlog import append_events, read_events, read_logged
from crm_core.interactions import close_leg, get_leg, open_leg, update_leg
from crm_core.models import AuditEntry, Customer, Interaction
from crm_core.tickets import IllegalTicketTransition, TicketService, active_tickets
from crm_core.tiers import recompute_tiers
from ivr.caller import CallerData
from ivr.events import IvrFinished


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    assert crm_core.eventlog.EventLogEntry.__tablename__ in Base.metadata.tables
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_customer_create_update_is_audited_and_duplicates_warned(session: Session) -> None:
    service = CustomerService(session, "alice", Clock())
    created = service.create(name="Mary  O'Neil", company="Acme", phones="(415) 555-0101; 415-555-0102",
                             email="mary@ACME.com", time_zone="America/Los_Angeles", revenue="12.50")
    mary = created.customer
    assert created.duplicates == []
    assert mary.code == "100008" and mary.name == "Mary O'Neil"
    assert mary.phone_numbers == ["+14155550101", "+14155550102"] and mary.email == "mary@acme.com"
    assert mary.revenue_cents == 1250

    look_alike = service.create(name="Mary O Neil", phones=["+1 415 555 0102"])
    reasons = [d.reason for d in look_alike.duplicates]
    assert [d.code for d in look_alike.duplicates] == ["100008"]
    assert "same phone +14155550102" in reasons[0] and "similar name" in reasons[0]
    assert look_alike.customer.code == "100016"

    bob = CustomerService(session, "bob", Clock(1_800_000_000.0))
    assert bob.update(mary, email="m.oneil@acme.com", notes="prefers mornings", name="Mary O'Neil") == {
        "email": ("mary@acme.com", "m.oneil@acme.com"), "notes": ("", "prefers mornings")}
    session.commit()
    trail = [(e.actor, e.action, e.field, e.old_value, e.new_value)
             for e in audit.history(session, "customer", mary.id) if e.action == "update"]
    assert trail == [("bob", "update", "email", '"mary@acme.com"', '"m.oneil@acme.com"'),
                     ("bob", "update", "notes", '""', '"prefers mornings"')]
    assert all(e.at > 1_800_000_000 for e in audit.history(session, "customer", mary.id)
               if e.actor == "bob")

    contact = service.add_contact(mary, name="Raj Patel", role="IT", phone="415 555 0199")
    assert contact.phone == "+14155550199"
    with pytest.raises(NotACompany):
        service.add_contact(look_alike.customer, name="Nobody")


def test_lookups_by_code_ani_and_fuzzy(session: Session) -> None:
    service = CustomerService(session, "alice", Clock())
    acme = service.create(name="Wile Coyote", company="Acme Corporation", phones=["+1 212 555 0100"]).customer
    service.add_contact(acme, name="Road Runner", phone="212-555-0177")
    other = service.create(name="Zhang Wei", company="Beijing Trading", phones=["+86 10 6552 9988"]).customer
    session.commit()

    found = lookup.by_code(session, acme.code)
    assert found is not None and found.id == acme.id
    assert lookup.by_code(session, "999999") is None
    assert [c.id for c in lookup.by_ani(session, "2125550100")] == [acme.id]
    assert [c.id for c in lookup.by_ani(session, "+12125550177")] == [acme.id]  # a contact's phone
    assert [c.id for c in lookup.by_ani(session, "008610 6552 9988")] == [other.id]
    assert lookup.by_ani(session, "anonymous") == []
    hits = lookup.search(session, "acme corp")
    assert hits[0].customer.id == acme.id
    assert hits[0].customer.id not in [h.customer.id for h in hits[1:]]
    assert lookup.search(session, "zang wei")[0].customer.id == other.id
    assert lookup.search(session, "qqqqqq") == []


def test_ticket_status_history_and_audit(session: Session) -> None:
    customer = CustomerService(session, "alice", Clock()).create(name="Ann Lee").customer
    tickets = TicketService(session, "agent7", Clock())
    ticket = tickets.open(customer, "Router keeps rebooting", priority="high")
    tickets.move(ticket, "in_progress", note="remote reset")
    tickets.move(ticket, "resolved")
    with pytest.raises(IllegalTicketTransition):
        tickets.move(ticket, "in_progress")
    assert active_tickets(session, customer.id) == []
    tickets.move(ticket, "open", note="still rebooting")
    session.commit()
    assert [t.id for t in active_tickets(session, customer.id)] == [ticket.id]
    assert [(h.from_status, h.to_status, h.actor) for h in ticket.history] == [
        (None, "open", "agent7"), ("open", "in_progress", "agent7"),
        ("in_progress", "resolved", "agent7"), ("resolved", "open", "agent7")]
    status_audit = [(e.old_value, e.new_value) for e in audit.history(session, "ticket", ticket.id)
                    if e.field == "status"]
    assert status_audit[-1] == ('"resolved"', '"open"')


def test_interaction_leg_is_recorded_once(session: Session) -> None:
    for _ in range(2):  # the replay changes nothing
        open_leg(session, "leg-1", call_id="c1", direction="inbound", enter_at=100.0, queue="support",
                 ani="+14155550101", ivr_data={"code": "100008"})
        update_leg(session, "leg-1", answer_at=112.0, agent_id="a1")
        close_leg(session, "leg-1", end_at=200.0, outcome="answered")
    close_leg(session, "leg-1", end_at=999.0, outcome="abandoned")  # a late duplicate close loses
    open_leg(session, "leg-1", call_id="c1", direction="inbound", enter_at=50.0, dnis="8005550100",
             ivr_data={"code": "ignored", "intent": "billing"})
    session.commit()
    legs = session.scalars(select(Interaction)).all()
    assert len(legs) == 1
    leg = legs[0]
    assert (leg.enter_at, leg.answer_at, leg.end_at, leg.outcome) == (100.0, 112.0, 200.0, "answered")
    assert (leg.wait_seconds, leg.talk_seconds, leg.dnis) == (12.0, 88.0, "8005550100")
    assert leg.ivr_data == {"code": "100008", "intent": "billing"}


def test_acd_events_fill_one_row_per_call_even_when_replayed(session: Session) -> None:
    customer = CustomerService(session, "alice", Clock()).create(name="Ann Lee").customer
    events: list[DomainEvent] = [
        CallQueued(at=10.0, call_id="call-9", queue="sales", priority=10, enter_time=10.0,
                   caller=CallerData(ani="+14155550101", customer_code=customer.code, tier="normal", intent="buy")),
        CallOffered(at=25.0, call_id="call-9", queue="sales", agent_id="a2",
                    caller=CallerData(customer_code=customer.code, ivr_data=(("code", customer.code),)),
                    wait_seconds=15.0),
        CallConnected(at=30.0, call_id="call-9", queue="sales", agent_id="a2", wait_seconds=20.0),
        CallEnded(at=90.0, call_id="call-9", queue="sales", agent_id="a2", talk_seconds=60.0),
        CallDisposed(at=120.0, call_id="call-9", agent_id="a2", disposition="sale", notes="two units"),
    ]
    for _ in range(2):
        for event in events:
            apply_event(session, event)
    apply_event(session, CallQueued(at=11.0, call_id="call-10", queue="sales", priority=0, enter_time=11.0,
                                    caller=CallerData(customer_id=str(customer.id))))
    assert get_leg(session, "call-10").customer_id == customer.id  # type: ignore[union-attr]
    session.commit()
    leg = get_leg(session, "call-9")
    legs_of_call_9 = select(func.count()).select_from(Interaction).where(Interaction.call_id == "call-9")
    assert leg is not None and session.scalar(legs_of_call_9) == 1
    assert (leg.customer_id, leg.queue, leg.agent_id, leg.intent) == (customer.id, "sales", "a2", "buy")
    assert (leg.enter_at, leg.answer_at, leg.end_at) == (10.0, 30.0, 90.0)
    assert (leg.wait_seconds, leg.talk_seconds, leg.wrap_up_seconds) == (20.0, 60.0, 30.0)
    assert (leg.outcome, leg.disposition, leg.notes, leg.ivr_data) == (
        "answered", "sale", "two units", {"code": customer.code})


def test_event_log_appends_and_reads_back(session: Session) -> None:
    events: list[DomainEvent] = [
        CallQueued(at=1.0, call_id="c1", queue="q", priority=1, enter_time=1.0, required_skills=(("en", 5),)),
        CallConnected(at=2.0, call_id="c2", queue="q", agent_id="a1", wait_seconds=1.0),
        CallEnded(at=3.0, call_id="c1", queue="q", agent_id=None, talk_seconds=0.0, outcome="abandoned"),
    ]
    append_events(session, events)
    session.commit()
    assert read_events(session) == events
    assert read_events(session, call_id="c1") == [events[0], events[2]]
    assert read_events(session, types=[CallConnected]) == [events[1]]
    first = read_logged(session, limit=1)[0]
    assert read_events(session, since_id=first.id, types=["CallEnded", "CallQueued"]) == [events[2]]



# Payloads as nodes logged them before the caller's data travelled as one value (field by field).
OLD_PAYLOADS = [
    {"type": "IvrFinished", "at": 9.0, "call_id": "c1", "outcome": "queue", "ani": "", "dnis": "5551000",
     "queue": "support", "priority": 2, "customer_id": None, "customer_code": None, "tier": None, "intent": "billing",
     "unidentified": True, "ivr_data": [["entered_code", "000000"]], "last_node": "general", "entered_at": 1.0},
    {"type": "CallQueued", "at": 10.0, "call_id": "c1", "queue": "support", "priority": 2, "enter_time": 10.0,
     "customer_id": "17", "customer_code": "100008", "tier": "gold", "intent": "billing", "ani": "+14155550101",
     "required_skills": [["en", 3]], "unidentified": False, "callback": False, "consult_of": None},
    {"type": "CallOffered", "at": 12.0, "call_id": "c1", "queue": "support", "agent_id": "a1", "customer_id": "17",
     "customer_code": "100008", "tier": "gold", "intent": "billing", "ani": "+14155550101",
     "ivr_data": [["order", "42"]], "wait_seconds": 2.0, "consult_of": None},
]


def test_event_log_reads_records_from_before_the_caller_was_one_value(session: Session) -> None:
    session.execute(crm_core.eventlog.EventLogEntry.__table__.insert(), [
        {"at": p["at"], "type": p["type"], "call_id": p["call_id"], "agent_id": p.get("agent_id"),
         "payload": json.dumps(p)} for p in OLD_PAYLOADS
    ])
    session.commit()
    finished, queued, offered = read_events(session)
    gold = CallerData(ani="+14155550101", customer_id="17", customer_code="100008", tier="gold", intent="billing")
    assert finished == IvrFinished(
        at=9.0, call_id="c1", outcome="queue", dnis="5551000", queue="support", priority=2, last_node="general",
        entered_at=1.0, caller=CallerData(intent="billing", unidentified=True, ivr_data=(("entered_code", "000000"),)))
    assert queued == CallQueued(at=10.0, call_id="c1", queue="support", priority=2, enter_time=10.0, caller=gold,
                                required_skills=(("en", 3),))
    assert offered == CallOffered(at=12.0, call_id="c1", queue="support", agent_id="a1", wait_seconds=2.0,
                                  caller=dataclasses.replace(gold, ivr_data=(("order", "42"),)))
    # Written again, they nest the caller's data and read back the same.
    append_events(session, [finished, queued, offered])
    session.commit()
    assert read_events(session)[3:] == [finished, queued, offered]
    stored = session.scalars(select(crm_core.eventlog.EventLogEntry.payload)).all()[3:]
    assert all("customer_code" not in json.loads(p) and "caller" in json.loads(p) for p in stored)


def _write_csv(path: Path, rows: list[str], encoding: str) -> None:
    path.write_bytes("\n".join(rows).encode(encoding))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_import_keeps_good_rows_reports_bad_ones_and_upserts(
    session: Session, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "customers.csv"
    _write_csv(path, [
        "Customer Code,Name,Company,Phone,Email,Revenue,Segment",
        "100008,张伟,北京贸易,010 6552 9988,zw@example.cn,1000,gold",
        "100007,Bad Check,,,,,",
        "100016,,,,,,",
        "100024,Li Na,,not a phone,,,",
        "100032,Wang Fang,,,,-3,",
        "100008,Again,,,,,",
        "100040,Chen Jie,,+86 21 5555 0101,,abc,",
        "100057,Liu Yang,,,,25.5,silver,extra",
        "",
        "100065,Yang Min,,,,,",
    ], encoding)
    report = import_customers(session, path, region="CN", clock=Clock())
    session.commit()
    assert (report.imported, report.updated) == (2, 0)
    assert [(r.line, r.reason.split(" ")[0]) for r in report.rejected] == [
        (3, "customer"), (4, "name:"), (5, "phone:"), (6, "revenue:"), (7, "customer"), (8, "revenue:"),
        (9, "has")]
    assert "repeats line 2" in report.rejected[4].reason
    zhang = lookup.by_code(session, "100008")
    assert zhang is not None
    assert (zhang.name, zhang.company, zhang.phone_numbers, zhang.revenue_cents, zhang.custom_fields) == (
        "张伟", "北京贸易", ["+861065529988"], 100_000, {"Segment": "gold"})

    _write_csv(path, ["code,name,revenue,Segment,phones", "100008,张伟,2000,,010 6552 9989; 010 6552 9988",
                      "100065,Yang Min,,,"], encoding)
    again = import_customers(session, path, region="CN", clock=Clock())
    session.commit()
    assert (again.imported, again.updated, again.unchanged, again.rejected) == (0, 1, 1, [])
    session.refresh(zhang)
    assert (zhang.revenue_cents, zhang.custom_fields, zhang.company) == (200_000, {}, "北京贸易")
    assert zhang.phone_numbers == ["+861065529989", "+861065529988"]
    assert [c.id for c in lookup.by_ani(session, "+86 10 6552 9989")] == [zhang.id]
    assert session.scalar(select(func.count()).select_from(Customer)) == 2
    changes = {e.field for e in audit.history(session, "customer", zhang.id) if e.field}
    assert changes == {"revenue_cents", "custom_fields", "phones"}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_neutralises_formulas_and_imports_back_unchanged(
    session: Session, tmp_path: Path, suffix: str
) -> None:
    service = CustomerService(session, "alice", Clock())
    service.create(name="=HYPERLINK(\"http://evil\")", company="@SUM(A1)", phones=["+1 212 555 0100"],
                   notes="-2+3", custom_fields={"vip_since": "2019"}, revenue_cents=12345)
    service.create(name="Plain Name", code="000018")
    session.commit()
    path = tmp_path / f"out{suffix}"
    assert export_customers(session, path) == 2
    if suffix == ".xlsx":
        rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    else:
        import csv
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    header = rows[0]
    evil = dict(zip(header, rows[2], strict=True))
    assert evil["name"] == "'=HYPERLINK(\"http://evil\")" and evil["company"] == "'@SUM(A1)"
    assert evil["phones"] == "'+12125550100" and evil["notes"] == "'-2+3" and evil["vip_since"] == "2019"
    assert dict(zip(header, rows[1], strict=True))["code"] == "000018"
    report = import_customers(session, path)
    assert (report.imported, report.updated, report.unchanged, report.rejected) == (0, 0, 2, [])


def test_tiers_recomputed_from_revenue_and_audited(session: Session) -> None:
    service = CustomerService(session, "alice", Clock())
    ids = [service.create(name=f"Customer {i}", revenue_cents=i * 100).customer.id for i in range(200)]
    result = recompute_tiers(session, clock=Clock())
    session.commit()
    assert result.counts == {"vip": 2, "key": 8, "normal": 30, "small": 160}
    assert result.changed == 40
    tiers = {cid: tier for cid, tier in session.execute(select(Customer.id, Customer.tier))}
    assert [tiers[ids[i]] for i in (199, 198, 197, 190, 189, 160, 159, 0)] == [
        "vip", "vip", "key", "key", "normal", "normal", "small", "small"]
    assert recompute_tiers(session).changed == 0
    rows = session.scalars(select(AuditEntry).where(AuditEntry.field == "tier")).all()
    assert len(rows) == 40 and rows[0].actor == "system:tiers"


def test_demo_seed_is_realistic_and_idempotent(session: Session) -> None:
    assert seed_demo(session, n=120, seed=7, clock=Clock()) == 120
    session.commit()
    assert seed_demo(session, n=120, seed=7, clock=Clock()) == 0
    customers = session.scalars(select(Customer)).all()
    assert len(customers) == 120 and len({c.code for c in customers}) == 120
    assert {c.tier for c in customers} == {"vip", "key", "normal", "small"}
    assert all(c.phones for c in customers)
    assert any(active_tickets(session, c.id) for c in customers)


def test_cli_import_json_summary_and_tiers(engine: Engine, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.csv"
    path.write_text("code,name,revenue\n100008,Ann,10\n100009,Bad,1\n", encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    assert callcenter_main(["--db-url", url, "crm", "import", str(path), "--json"]) == 1  # a row was rejected
    last = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last)
    assert (summary["imported"], summary["updated"]) == (1, 0)
    assert summary["rejected"] == [{"line": 3, "reason": "customer code '100009' has a wrong check digit"}]
    assert callcenter_main(["--db-url", url, "crm", "tiers"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["counts"]["vip"] == 1
    out = tmp_path / "out.xlsx"
    assert callcenter_main(["--db-url", url, "crm", "export", str(out)]) == 0
    assert out.exists()
