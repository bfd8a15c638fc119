"""Customers to and from CSV / XLSX files: a bulk upsert keyed by customer code, and a safe export.

Import accepts UTF-8, UTF-8 with BOM and GBK text; it keeps every good row and reports every bad one
with its line number (the spreadsheet row: the header is line 1). Columns it does not know become
custom fields. Export prefixes text a spreadsheet would run as a formula with an apostrophe, and
import strips that prefix again, so an exported file imports back unchanged.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import json
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from bus.clock import Clock
from crm_core.audit import audit_rows
from crm_core.codes import CODE_LENGTH, InvalidCustomerCode
from crm_core.customers import EDITABLE_FIELDS, CustomerData, customer_data
from crm_core.db import table_of
from crm_core.fields import DEFAULT_REGION, InvalidField, invalid_number_reason
from crm_core.models import AuditEntry, Customer, CustomerPhone
from crm_core.tabular import RowProblem, TableReadError, open_table

EXPORT_COLUMNS = ("code", "name", "company", "phones", "email", "language", "time_zone", "revenue", "tier",
                  "notes")
HEADER_ALIASES = {
    "customer_code": "code", "customer code": "code", "phone": "phones", "timezone": "time_zone",
    "time zone": "time_zone", "e-mail": "email", "lang": "language",
}
# Computed by the CRM, never taken from a file.
READ_ONLY_COLUMNS = frozenset({"tier"})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000  # rows per statement: below every driver's bound-parameter limit
ENTITY = "customer"

T = TypeVar("T")


class CustomerFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, missing required columns)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Rejection:
    """A row that was not imported: its line number in the file and why."""

    line: int
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class RowWarning:
    """A row imported as it is, with something the site wanted told rather than refused."""

    line: int
    reason: str


class InvalidNumbers(enum.StrEnum):
    """What an import does with a phone number that is possible but not valid for its country."""

    REJECT = "reject"  # the row is rejected, with the reason
    WARN = "warn"  # the row is imported, with a warning


@dataclasses.dataclass(slots=True)
class ImportReport:
    """Counts of an import: new customers, changed ones, identical ones, every rejected row and every warning."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = dataclasses.field(default_factory=list)
    warnings: list[RowWarning] = dataclasses.field(default_factory=list)
    encoding: str = ""

    def summary(self) -> dict[str, Any]:
        """The JSON summary ``callcenter crm import --json`` prints."""
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
            "warnings": [{"line": w.line, "reason": w.reason} for w in self.warnings],
        }


def neutralise(text: str) -> str:
    """``text`` made inert for spreadsheets: a leading formula character gets an apostrophe before it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unneutralise(text: str) -> str:
    """Undo :func:`neutralise`."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


@dataclasses.dataclass(frozen=True, slots=True)
class _RawRow:
    line: int
    values: dict[str, str]
    error: str | None = None


def _header(names: Sequence[str]) -> list[str]:
    header = []
    for raw in names:
        name = unneutralise(raw).strip()
        key = name.lower()
        header.append(HEADER_ALIASES.get(key, key) if key in HEADER_ALIASES or key in EXPORT_COLUMNS
                      else name)
    seen = set()
    for name in header:
        if not name:
            raise CustomerFileError("a column has no header")
        if name in seen:
            raise CustomerFileError(f"column {name!r} appears twice")
        seen.add(name)
    for required in ("code", "name"):
        if required not in seen:
            raise CustomerFileError(f"the file has no {required!r} column")
    return header


def read_customer_file(
    path: str | Path, *, encoding: str | None = None
) -> tuple[str, list[str], Iterator[_RawRow]]:
    """Encoding (or ``xlsx``), normalised header, and the raw rows of a CSV or XLSX file.

    Raises :class:`CustomerFileError` when the file cannot be read, here or while the rows are read.
    """
    try:
        table = open_table(path, encoding=encoding)
    except TableReadError as exc:
        raise CustomerFileError(str(exc)) from None
    header = _header(table.header)
    code_index = header.index("code")

    def rows() -> Iterator[_RawRow]:
        try:
            for row in table.fitted_rows():
                if isinstance(row, RowProblem):
                    yield _RawRow(row.line, {}, row.reason)
                    continue
                cells = list(row.cells)
                if code_index in row.numeric and cells[code_index].isdigit():
                    cells[code_index] = cells[code_index].zfill(CODE_LENGTH)  # leading zeros lost as a number
                yield _RawRow(row.line, dict(zip(header, cells, strict=True)))
        except TableReadError as exc:
            raise CustomerFileError(f"{exc}; nothing was imported") from None

    return table.encoding, header, rows()


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclasses.dataclass(frozen=True, slots=True)
class _Parsed:
    line: int
    data: CustomerData
    cleared_custom: frozenset[str]


def _parse(row: _RawRow, header: list[str], custom_columns: list[str], region: str) -> _Parsed:
    values: dict[str, Any] = {k: unneutralise(v) for k, v in row.values.items() if k in EXPORT_COLUMNS}
    custom = {c: unneutralise(row.values[c]).strip() for c in custom_columns}
    values["custom_fields"] = {k: v for k, v in custom.items() if v}
    for column in READ_ONLY_COLUMNS:
        values.pop(column, None)
    data = customer_data(values, region)
    return _Parsed(row.line, data, frozenset(k for k, v in custom.items() if not v))


def _stored(session: Session, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    columns = [getattr(Customer, f) for f in EDITABLE_FIELDS if f != "phones"]
    stored: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(codes):
        query = select(Customer.id, Customer.code, *columns).where(Customer.code.in_(chunk))
        for row in session.execute(query):
            values = row._asdict()
            values["phones"] = ()
            stored[values.pop("code")] = values
    by_id = {v["id"]: v for v in stored.values()}
    ids = list(by_id)
    for chunk in _chunks(ids):
        query = (
            select(CustomerPhone.customer_id, CustomerPhone.number)
            .where(CustomerPhone.customer_id.in_(chunk))
            .order_by(CustomerPhone.customer_id, CustomerPhone.position)
        )
        for customer_id, number in session.execute(query):
            by_id[customer_id]["phones"] += (number,)
    return stored


def _phone_rows(customer_id: int, phones: Sequence[str]) -> list[dict[str, Any]]:
    return [{"customer_id": customer_id, "number": n, "position": i} for i, n in enumerate(phones)]


def import_customers(
    session: Session,
    path: str | Path,
    *,
    region: str = DEFAULT_REGION,
    actor: str = "import",
    clock: Clock = time.time,
    encoding: str | None = None,
    invalid_numbers: InvalidNumbers = InvalidNumbers.REJECT,
) -> ImportReport:
    """Upsert the customers of a CSV/XLSX file by code; the caller commits (or rolls back) the session.

    Only the columns present in the file are compared and updated; an empty cell in a custom-field
    column removes that custom field. Raises :class:`CustomerFileError`, having written nothing, if the
    file cannot be read (or not to its end). ``encoding`` overrides the detected one. A phone number
    that is not valid for its country rejects its row, or with ``InvalidNumbers.WARN`` is kept with a warning.
    """
    encoding, header, raw_rows = read_customer_file(path, encoding=encoding)
    report = ImportReport(encoding=encoding)
    custom_columns = [c for c in header if c not in EXPORT_COLUMNS]
    present = {f for f in EDITABLE_FIELDS if f in header}
    if "revenue" in header:
        present.add("revenue_cents")
    if custom_columns:
        present.add("custom_fields")
    parsed: dict[str, _Parsed] = {}
    for row in raw_rows:
        if row.error:
            report.rejected.append(Rejection(row.line, row.error))
            continue
        try:
            item = _parse(row, header, custom_columns, region)
        except (InvalidField, InvalidCustomerCode) as exc:
            report.rejected.append(Rejection(row.line, str(exc)))
            continue
        problems = [p for p in (invalid_number_reason(n, region) for n in item.data.phones) if p]
        if problems and invalid_numbers is InvalidNumbers.REJECT:
            report.rejected.append(Rejection(row.line, "phone: " + "; ".join(problems)))
            continue
        report.warnings.extend(RowWarning(row.line, "phone: " + p) for p in problems)
        first = parsed.get(item.data.code)
        if first is not None:
            reason = f"customer code {item.data.code} repeats line {first.line}"
            report.rejected.append(Rejection(row.line, reason))
            continue
        parsed[item.data.code] = item

    now = clock()
    stored = _stored(session, list(parsed))
    new = [p for code, p in parsed.items() if code not in stored]
    audit: list[dict[str, Any]] = []
    for chunk in _chunks(new):
        stamps = {"tier": "small", "created_at": now, "updated_at": now}
        rows = [{**p.data.column_values(), **stamps} for p in chunk]
        # Core executemany, then the new ids by code: no RETURNING, which would make the drivers build
        # one giant multi-row statement per batch (slow to parse for psycopg).
        session.execute(insert(table_of(Customer)), rows)
        query = select(Customer.code, Customer.id).where(Customer.code.in_([p.data.code for p in chunk]))
        ids = {code: customer_id for code, customer_id in session.execute(query)}
        phones: list[dict[str, Any]] = []
        for p in chunk:
            customer_id = ids[p.data.code]
            phones += _phone_rows(customer_id, p.data.phones)
            audit += audit_rows(
                at=now, actor=actor, entity_type=ENTITY, entity_id=customer_id, action="import"
            )
        if phones:
            session.execute(insert(table_of(CustomerPhone)), phones)
    report.imported = len(new)

    changed_rows: list[dict[str, Any]] = []
    new_phones: dict[int, tuple[str, ...]] = {}
    for code, p in parsed.items():
        old = stored.get(code)
        if old is None:
            continue
        wanted = {f: getattr(p.data, f) for f in present}
        if "custom_fields" in wanted:
            merged = {**(old["custom_fields"] or {}), **wanted["custom_fields"]}
            wanted["custom_fields"] = {k: v for k, v in merged.items() if k not in p.cleared_custom}
        diff = {f: (old[f], v) for f, v in wanted.items() if old[f] != v}
        if not diff:
            report.unchanged += 1
            continue
        report.updated += 1
        if "phones" in diff:
            new_phones[old["id"]] = diff["phones"][1]
        columns = {f: new for f, (_old, new) in diff.items() if f != "phones"}
        if columns:
            changed_rows.append({"id": old["id"], **columns, "updated_at": now})
        audit += audit_rows(at=now, actor=actor, entity_type=ENTITY, entity_id=old["id"], action="import",
                            changes=diff)
    for changed in _chunks(changed_rows):
        session.execute(update(Customer), list(changed))
    for id_chunk in _chunks(list(new_phones)):
        session.execute(delete(CustomerPhone).where(CustomerPhone.customer_id.in_(id_chunk)))
        rows = [r for cid in id_chunk for r in _phone_rows(cid, new_phones[cid])]
        if rows:
            session.execute(insert(table_of(CustomerPhone)), rows)
    for entries in _chunks(audit):
        session.execute(insert(table_of(AuditEntry)), list(entries))
    session.expire_all()  # bulk statements bypass the identity map
    return report


def _custom_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _export_records(session: Session) -> tuple[list[str], list[list[str]]]:
    phones: dict[int, list[str]] = {}
    query = select(CustomerPhone.customer_id, CustomerPhone.number).order_by(
        CustomerPhone.customer_id, CustomerPhone.position
    )
    for customer_id, number in session.execute(query):
        phones.setdefault(customer_id, []).append(number)
    customers = session.scalars(select(Customer).order_by(Customer.code)).all()
    custom_columns = sorted({k for c in customers for k in (c.custom_fields or {})} - set(EXPORT_COLUMNS))
    records = []
    for c in customers:
        values = {
            "code": c.code, "name": c.name, "company": c.company or "",
            "phones": "; ".join(phones.get(c.id, [])),
            "email": c.email or "", "language": c.language, "time_zone": c.time_zone or "",
            "revenue": f"{c.revenue_cents // 100}.{c.revenue_cents % 100:02d}", "tier": c.tier,
            "notes": c.notes,
        }
        custom = c.custom_fields or {}
        row = [values[col] for col in EXPORT_COLUMNS]
        row += [_custom_text(custom[col]) if col in custom else "" for col in custom_columns]
        records.append([neutralise(text) for text in row])
    return [*EXPORT_COLUMNS, *custom_columns], records


# Characters an XLSX cell cannot hold (XML 1.0 forbids them), and text that would read as their escape.
_XLSX_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")


def xlsx_text(text: str) -> str:
    """``text`` for an XLSX cell: control characters written as OOXML's ``_xHHHH_``, as Excel does."""
    return _XLSX_UNSAFE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def export_customers(session: Session, path: str | Path) -> int:
    """Write every customer to ``path`` (``.xlsx`` or CSV in UTF-8 with BOM); returns the row count."""
    path = Path(path)
    header, records = _export_records(session)
    if path.suffix.lower() == ".xlsx":
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("customers")
        sheet.append(header)
        for record in records:
            sheet.append([xlsx_text(text) for text in record])
        book.save(path)
    else:
        # The BOM makes spreadsheet programs read the file as UTF-8.
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(records)
    return len(records)
