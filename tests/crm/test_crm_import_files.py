"""Customer files that used to be half-imported, mangled or crash the import (issue: hardening).

Every data row of a file is either imported or reported; a file that cannot be read to its end imports
nothing and says where reading stopped.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core import lookup
from crm_core.codes import make_customer_code
from crm_core.customer_files import CustomerFileError, export_customers, import_customers
from crm_core.customers import CustomerService
from crm_core.models import Customer
from crm_core.tabular import TableReadError, detect_encoding


def _customers(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Customer)) or 0)


def _rows(n: int, start: int = 10_000) -> list[str]:
    return [f"{make_customer_code(start + i)},Customer {i}" for i in range(n)]


def test_an_unclosed_quote_imports_nothing_and_names_its_line(session: Session, tmp_path: Path) -> None:
    lines = ["code,name", *_rows(999)]
    lines[3] = f'{make_customer_code(10_002)},"Customer 2'  # line 4 opens a quote that never closes
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CustomerFileError, match=r"line 4: a quoted field is never closed.*nothing was imported"):
        import_customers(session, path)
    assert _customers(session) == 0


def test_a_huge_field_stops_reading_at_its_line_and_imports_nothing(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("code,name\n")
        for i, row in enumerate(_rows(1000), start=2):
            out.write(f'{row.split(",")[0]},"{"x" * (50 * 2**20)}"\n' if i == 502 else row + "\n")
    started = time.perf_counter()
    with pytest.raises(CustomerFileError, match=r"line 502: a field is longer than 128 KiB"):
        import_customers(session, path)
    assert _customers(session) == 0
    assert time.perf_counter() - started < 10


def test_a_malformed_row_is_reported_and_the_rows_after_it_are_kept(session: Session, tmp_path: Path) -> None:
    lines = ["code,name", *_rows(10)]
    lines[5] = f'{make_customer_code(10_004)},"Customer"x'  # a quote closed in the middle of a field
    path = tmp_path / "one-bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_customers(session, path)
    assert report.imported == 9
    assert [(r.line, r.reason.startswith("unreadable CSV")) for r in report.rejected] == [(6, True)]


def test_windows_1252_is_read_as_windows_1252_not_gbk(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "western.csv"
    path.write_bytes("code,name,company\n100008,Renée Åström,Café Müller\n".encode("cp1252"))
    report = import_customers(session, path)
    assert (report.encoding, report.imported) == ("cp1252", 1)
    customer = lookup.by_code(session, "100008")
    assert customer is not None and (customer.name, customer.company) == ("Renée Åström", "Café Müller")


def test_gbk_is_read_as_gb18030(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "chinese.csv"
    path.write_bytes("code,name,company\n100008,张伟,北京贸易\n".encode("gbk"))
    report = import_customers(session, path)
    assert report.encoding == "gb18030"
    customer = lookup.by_code(session, "100008")
    assert customer is not None and (customer.name, customer.company) == ("张伟", "北京贸易")


def test_an_ambiguous_file_is_refused_until_its_encoding_is_given(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_bytes("code,name\n100008,Çà\n".encode("cp1252"))  # also a common Chinese character in GBK
    with pytest.raises(CustomerFileError, match=r"cannot tell the encoding.*--encoding"):
        import_customers(session, path)
    assert _customers(session) == 0
    report = import_customers(session, path, encoding="cp1252")
    assert report.imported == 1 and lookup.by_code(session, "100008").name == "Çà"  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "encoding"), [
    ("code,name\n100008,张伟\n", "utf-8"),
    ("\ufeffcode,name\n100008,张伟\n", "utf-8-sig"),
    ("code,name\n100008,Jos\u00e9 M\u00fcller\n", "utf-8"),
])
def test_utf8_is_recognised_with_and_without_bom(text: str, encoding: str) -> None:
    data = text.encode("utf-8")
    assert detect_encoding(data) == encoding
    assert detect_encoding(data + "张".encode()[:2]) == encoding  # a character cut by the sample's end


def test_bytes_of_no_supported_encoding_are_refused_with_a_hint() -> None:
    with pytest.raises(TableReadError, match="--encoding"):
        detect_encoding("name\n\u039c\u03b1\u03c1\u03af\u03b1 \u03a0\u03b1\u03c0\u03ac\n".encode("cp1253") * 3)


def _minimal_xlsx(path: Path, sheet_rows: str) -> None:
    """An XLSX with inline strings and no <dimension> element, as some generators write."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    with zipfile.ZipFile(path, "w") as book:
        types = "http://schemas.openxmlformats.org/package/2006/content-types"
        book.writestr("[Content_Types].xml", f'<?xml version="1.0"?><Types xmlns="{types}"/>')
        book.writestr("xl/workbook.xml",
                      f'<?xml version="1.0"?><workbook {ns}><sheets><sheet name="s" sheetId="1"/></sheets></workbook>')
        book.writestr("xl/worksheets/sheet1.xml",
                      f'<?xml version="1.0"?><worksheet {ns}><sheetData>{sheet_rows}</sheetData></worksheet>')


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def test_an_xlsx_without_dimension_and_with_a_short_row_imports(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "nodim.xlsx"
    rows = (f'<row r="1">{_cell("A1", "name")}{_cell("B1", "company")}{_cell("C1", "code")}</row>'
            f'<row r="2">{_cell("A2", "Short Row")}</row>'
            f'<row r="3">{_cell("A3", "Ann")}{_cell("C3", "100008")}</row>')
    _minimal_xlsx(path, rows)
    report = import_customers(session, path)
    assert report.imported == 1
    assert [(r.line, r.reason) for r in report.rejected] == [(2, "customer code is missing")]


def test_one_cell_at_the_last_row_and_column_is_refused_quickly(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "far.xlsx"
    rows = (f'<row r="1">{_cell("A1", "code")}{_cell("B1", "name")}</row>'
            f'<row r="2">{_cell("A2", "100008")}{_cell("B2", "Ann")}</row>'
            f'<row r="1048576">{_cell("XFD1048576", "far away")}</row>')
    _minimal_xlsx(path, rows)
    started = time.perf_counter()
    report = import_customers(session, path)
    assert time.perf_counter() - started < 5
    assert report.imported == 1
    assert [(r.line, "beyond the 1000 read" in r.reason) for r in report.rejected] == [(1048576, True)]


def test_xlsx_export_keeps_control_characters_and_they_import_back(session: Session, tmp_path: Path) -> None:
    stored = CustomerService(session, "alice").create(name="Bell\x07 Name", code="100008",
                                                      notes="line one\x0bline two _x0041_ literal").customer
    session.commit()
    assert stored.name == "Bell\x07 Name" and "\x0b" in stored.notes
    path = tmp_path / "out.xlsx"
    assert export_customers(session, path) == 1
    assert openpyxl.load_workbook(path).worksheets[0]["B2"].value == "Bell_x0007_ Name"
    report = import_customers(session, path)
    assert (report.imported, report.updated, report.unchanged, report.rejected) == (0, 0, 1, [])
