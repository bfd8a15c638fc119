"""Importing call lists: every row accounted for, the job wholly in or reported, a second import adding nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, func, select
from storage_helpers import TUESDAY_10_NY, factory, new_campaign, run, write_csv

from crm_core.campaign_tables import Lead as LeadRow
from crm_core.customers import CustomerService
from crm_core.db import session_scope
from crm_core.tiers import TIER_PRIORITY, VIP
from outbound import list_import
from outbound.dnc import DncList
from outbound.lead_store import campaign_leads
from outbound.list_columns import ColumnError, ColumnMap
from outbound.numbers import parse_number

CHINESE_LIST = [
    ["姓名", "手机", "城市"],
    ["张三", "138 0013 8000", "北京"],
    ["李四", "12345", "上海"],
    ["王五", "13800138000", "广州"],
    ["赵六", "010-6552 9988", "北京"],
    ["", "", ""],
    ["钱七", "", "深圳"],
    ["孙八", "+1 (212) 555-0100", "纽约"],
]


def report(sessions: object, job_id: int) -> list[list[str]]:
    out = io.StringIO()
    with sessions() as session:  # type: ignore[operator]
        list_import.write_report(session, job_id, out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_a_gbk_list_with_chinese_headers_is_read_checked_and_reported_line_by_line(
        engine: Engine, tmp_path: Path) -> None:
    sessions = factory(engine)
    campaign = new_campaign(sessions, default_region="CN")
    path = write_csv(tmp_path / "名单.csv", CHINESE_LIST, encoding="gbk")
    summary = run(sessions, campaign, path)

    assert (summary.status, summary.encoding, summary.rows_read) == ("done", "gb18030", 6)  # the blank line is no row
    assert (summary.added, summary.rejected, summary.duplicate_in_file, summary.duplicate_in_campaign) == (3, 2, 1, 0)
    assert summary.columns["phone"] == "手机" and summary.columns["name"] == "姓名"
    with sessions() as session:
        rows = {r.e164: r for r in session.scalars(select(LeadRow).order_by(LeadRow.source_line))}
    assert list(rows) == ["+8613800138000", "+861065529988", "+12125550100"]
    mobile, beijing, new_york = rows.values()
    assert (mobile.name, mobile.kind, mobile.time_zones, mobile.source_line) == \
        ("张三", "mobile", "Asia/Shanghai", 2)
    assert (beijing.kind, json.loads(beijing.fields or "{}")) == ("fixed_line", {"城市": "北京"})
    assert (new_york.region, new_york.subdivision, new_york.time_zones) == ("US", "NY", "America/New_York")

    lines = report(sessions, summary.id)
    assert lines[0] == ["line", "problem", "reason", "姓名", "手机", "城市"]
    assert lines[1] == ["3", "rejected", "phone: '12345' is not a valid number", "李四", "12345", "上海"]
    assert lines[2] == ["4", "duplicate", "number +8613800138000 repeats line 2"]
    assert lines[3] == ["7", "rejected", "no phone number", "钱七", "", "深圳"]


def test_a_large_file_read_with_a_second_process_gives_the_same_leads_and_report(
        engine: Engine, tmp_path: Path) -> None:
    sessions = factory(engine)
    inline, parallel = (new_campaign(sessions, name=name, default_region="CN") for name in ("inline", "parallel"))
    path = write_csv(tmp_path / "名单.csv", CHINESE_LIST * 3, encoding="gbk")  # the header comes back as bad rows
    results = []
    for campaign, parallel_bytes in ((inline, 10**9), (parallel, 0)):
        summary = run(sessions, campaign, path, batch_size=4, parallel_bytes=parallel_bytes)
        with sessions() as session:
            leads = [(r.e164, r.name, r.kind, r.source_line) for r in session.scalars(
                select(LeadRow).where(LeadRow.campaign_id == campaign.id).order_by(LeadRow.source_line))]
        results.append((summary.added, summary.rejected, summary.duplicate_in_file, leads,
                        report(sessions, summary.id)))
    assert results[0] == results[1]
    assert results[0][:3] == (3, 8, 9)


def test_importing_the_same_file_again_adds_nothing_and_says_so(engine: Engine, tmp_path: Path) -> None:
    sessions = factory(engine)
    campaign = new_campaign(sessions, default_region="CN")
    path = write_csv(tmp_path / "list.csv", CHINESE_LIST, encoding="gbk")
    first = run(sessions, campaign, path)
    again = run(sessions, campaign, path)
    assert (again.added, again.duplicate_in_campaign, again.rejected) == (0, 4, 2)
    assert [line[:2] for line in report(sessions, again.id)[1:]] == [
        ["2", "in_campaign"], ["3", "rejected"], ["4", "in_campaign"], ["5", "in_campaign"], ["7", "rejected"],
        ["8", "in_campaign"]]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(LeadRow)) == first.added
    other = new_campaign(sessions, name="Autumn", default_region="CN")
    assert run(sessions, other, path).added == 3  # another campaign may call the same numbers


def test_duplicates_across_batches_leads_linked_to_customers_and_numbers_on_lists_counted(
        engine: Engine, tmp_path: Path) -> None:
    sessions = factory(engine)
    with session_scope(sessions) as session:
        service = CustomerService(session, "ann", lambda: TUESDAY_10_NY)
        vip = service.create(name="Ada", phones="+1 212 555 0101", revenue="1000000").customer
        service.create(name="Twin one", phones="+1 212 555 0102")
        service.create(name="Twin two", phones="+1 212 555 0102")  # a shared number links to nobody
        vip.tier = VIP
    campaign = new_campaign(sessions)
    rows = [["name", "phone"], *([f"P{i}", f"(212) 555-{100 + i:04d}"] for i in range(12)), ["again", "212-555-0100"]]
    path = write_csv(tmp_path / "us.csv", rows)
    dnc = DncList()
    dnc.internal.add(parse_number("+12125550103"), at=0.0, by="ann", reason="asked")
    dnc.campaign(campaign.key).add(parse_number("+12125550104"), at=0.0, by="ann", reason="asked")
    shares: list[float] = []
    summary = run(sessions, campaign, path, dnc=dnc, batch_size=5, on_batch=lambda share, _rows: shares.append(share))

    assert (summary.added, summary.duplicate_in_file, summary.on_dnc, summary.linked_customers) == (12, 1, 2, 1)
    assert len(shares) == 3 and shares == sorted(shares) and shares[-1] == 1.0
    assert report(sessions, summary.id)[1] == ["14", "duplicate", "number +12125550100 repeats line 2"]
    with sessions() as session:
        linked = session.execute(select(LeadRow.e164, LeadRow.customer_id, LeadRow.tier_priority)
                                 .where(LeadRow.customer_id.is_not(None))).all()
        assert [tuple(r) for r in linked] == [("+12125550101", vip.id, TIER_PRIORITY[VIP])]
        stored = list(campaign_leads(session, campaign.id))
    assert len(stored) == 12 and stored[0][0].campaign == campaign.key


def test_a_file_that_cannot_be_read_to_its_end_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    sessions = factory(engine)
    campaign = new_campaign(sessions)
    good = [f"P{i},(212) 555-{100 + i:04d}\r\n" for i in range(20)]
    path = tmp_path / "broken.csv"
    path.write_text("name,phone\r\n" + "".join(good) + 'Broken,"212 555 0199\r\nP,212 555 0198\r\n')
    summary = run(sessions, campaign, path, batch_size=4)
    assert summary.status == "failed" and summary.added == 0
    assert "line 22" in (summary.error or "") and "nothing was imported" in (summary.error or "")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(LeadRow)) == 0


def test_leads_of_an_unfinished_import_count_for_nothing_and_an_interrupted_one_leaves_none(
        engine: Engine, tmp_path: Path) -> None:
    sessions = factory(engine)
    campaign = new_campaign(sessions)
    path = write_csv(tmp_path / "us.csv", [["phone"], ["212 555 0100"], ["212 555 0101"]])
    with session_scope(sessions) as session:
        job = list_import.create_job(session, campaign.id, path.name, 1, actor="ann", at=TUESDAY_10_NY)
    work = list_import._Import(sessions, job, campaign, DncList(), lambda: TUESDAY_10_NY, 1, None)
    work.read(path, None, None)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(LeadRow)) == 2  # stored, pending
        assert list(campaign_leads(session, campaign.id)) == []
    with session_scope(sessions) as session:
        assert list_import.fail_interrupted_jobs(session, at=TUESDAY_10_NY) == 1
        assert list_import.job_summary(session, job).status == "failed"
        assert session.scalar(select(func.count()).select_from(LeadRow)) == 0


def test_a_workbook_and_named_columns(engine: Engine, tmp_path: Path) -> None:
    sessions = factory(engine)
    campaign = new_campaign(sessions)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Contact", "Office", "Cell"])
    sheet.append(["Ada", "212 555 0100", 2125550101])
    sheet.append(["Bob", "212 555 0102"])
    book.save(tmp_path / "list.xlsx")
    summary = run(sessions, campaign, tmp_path / "list.xlsx", columns={"phone": "cell"})
    assert (summary.encoding, summary.added, summary.rejected) == ("xlsx", 1, 1)
    with sessions() as session:
        lead = session.scalars(select(LeadRow)).one()
    assert (lead.e164, lead.name) == ("+12125550101", "Ada")
    assert json.loads(lead.fields or "{}") == {"Office": "212 555 0100"}


def test_columns_are_found_by_header_or_named() -> None:
    assert ColumnMap.from_header(["Full Name", "Mobile_Number", "Tel"]).describe() == \
        {"name": "Full Name", "phone": "Mobile_Number"}
    split = ColumnMap.from_header(["姓", "名", "联系电话"])
    assert split.name(["张", "三", "1"]) == "张三"
    assert ColumnMap.from_header(["First name", "Last name", "phone"]).name(["Ada", "Lovelace", "1"]) == "Ada Lovelace"
    assert ColumnMap.from_header(["a", "b"], {"phone": "B"}).describe() == {"phone": "b"}
    with pytest.raises(ColumnError, match="no phone column"):
        ColumnMap.from_header(["name", "city"])
    with pytest.raises(ColumnError, match="no column 'Mobil'"):
        ColumnMap.from_header(["name", "phone"], {"phone": "Mobil"})
