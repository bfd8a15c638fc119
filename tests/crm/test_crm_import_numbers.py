"""A phone number that is possible but not valid for its country is a rejected row with its reason, or, when
the site asks for it, an imported row with a warning (issue 11, fix 3)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from crm_core import lookup
from crm_core.customer_files import InvalidNumbers, import_customers
from crm_core.fields import invalid_number_reason

ROWS = "code,name,phones\n100008,Wang Fang,13800138001\n100016,Li Na,+86 138 0013 8001\n"


def test_a_chinese_mobile_written_without_country_code_is_rejected_in_the_us_region(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(ROWS, encoding="utf-8")
    report = import_customers(session, path, region="US")
    session.commit()
    assert report.imported == 1
    [rejected] = report.rejected
    assert rejected.line == 2
    assert "+13800138001 is not a valid number" in rejected.reason and "+86" in rejected.reason
    assert lookup.by_code(session, "100008") is None
    assert report.summary()["rejected"][0]["line"] == 2


def test_the_site_may_import_such_numbers_with_a_warning(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(ROWS, encoding="utf-8")
    report = import_customers(session, path, region="US", invalid_numbers=InvalidNumbers.WARN)
    session.commit()
    assert (report.imported, report.rejected) == (2, [])
    assert [(w.line, "+13800138001" in w.reason) for w in report.warnings] == [(2, True)]
    assert report.summary()["warnings"][0]["line"] == 2


def test_the_same_number_read_in_its_own_region_is_valid() -> None:
    assert invalid_number_reason("+8613800138001", "CN") is None


@given(st.integers(min_value=200, max_value=999), st.integers(min_value=0, max_value=9_999_999))
def test_the_reason_always_names_the_number(area: int, rest: int) -> None:
    number = f"+1{area}{rest:07d}"
    reason = invalid_number_reason(number, "US")
    assert reason is None or number in reason
