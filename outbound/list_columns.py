"""Which column of a call list holds what: found by header (English and the usual Chinese headers), or named.

A list needs a phone column; a name column (or first and last name columns) is optional; every other
column is kept with the lead as a field for the agent's screen. When a file has several phone-like
columns the leftmost is the lead's number (the others are kept as fields). A caller may name the column
of any field instead (``{"phone": "Mobile"}``); a named column must exist.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence

PHONE, NAME, FIRST_NAME, LAST_NAME = "phone", "name", "first_name", "last_name"
FIELDS = (PHONE, NAME, FIRST_NAME, LAST_NAME)
ALIASES: Mapping[str, tuple[str, ...]] = {
    PHONE: ("phone", "phone number", "telephone", "tel", "mobile", "mobile number", "mobile phone", "cell",
            "cell phone", "number", "msisdn", "e164", "电话", "电话号码", "手机", "手机号", "手机号码", "联系电话",
            "移动电话", "号码", "联系方式", "座机"),
    NAME: ("name", "full name", "contact", "contact name", "customer", "customer name", "姓名", "名字",
           "客户姓名", "客户名称", "客户", "联系人"),
    FIRST_NAME: ("first name", "firstname", "given name", "名"),
    LAST_NAME: ("last name", "lastname", "surname", "family name", "姓"),
}
_FOLD = re.compile(r"[\s_\-]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
MAX_NAME = 200
_json = json.JSONEncoder(ensure_ascii=False).encode

#: What ``callcenter lists import --help`` and the upload page say about the columns.
LIST_COLUMNS = """\
columns (the first row names them; case, spaces and order do not matter):
  phone       required: the number to call, international (+86 138 0013 8000) or national in the
              campaign's region (138 0013 8000, (212) 555-0100); also read from the headers
              telephone, tel, mobile, cell, number, msisdn, 电话, 电话号码, 手机, 手机号, 手机号码, 联系电话,
              移动电话, 号码, 联系方式, 座机 (the leftmost phone column wins)
  name        optional: the person to ask for; also name, full name, contact, customer, 姓名, 名字,
              客户姓名, 客户名称, 客户, 联系人; or first name + last name (名 + 姓)
  any other   kept with the lead and shown to the agent
name a column yourself with --column FIELD=HEADER (FIELD is phone, name, first_name or last_name).
Each number must be a valid phone number; a number twice in the file, or already in the campaign, is
reported and added once. CSV: comma, semicolon or TAB separated; UTF-8 (with or without BOM),
GB18030/GBK or Windows-1252 (--encoding when it cannot be told). XLSX: the first sheet."""


class ColumnError(ValueError):
    """The header cannot be mapped: no phone column, a named column missing, a field named twice."""


def _fold(header: str) -> str:
    return _FOLD.sub(" ", header.strip().lower())


_BY_ALIAS = {alias: field for field, aliases in ALIASES.items() for alias in aliases}


@dataclasses.dataclass(frozen=True, slots=True)
class ColumnMap:
    """The positions of the fields in a row, and the other columns kept as lead fields."""

    header: tuple[str, ...]
    positions: Mapping[str, int]
    kept: tuple[int, ...]

    @classmethod
    def from_header(cls, header: Sequence[str], named: Mapping[str, str] | None = None) -> ColumnMap:
        """Map ``header``; ``named`` gives a field's column by its header text (overriding the aliases)."""
        header = tuple(header)
        positions: dict[str, int] = {}
        folded = [_fold(h) for h in header]
        for field, wanted in (named or {}).items():
            if field not in FIELDS:
                raise ColumnError(f"unknown field {field!r}; one of {', '.join(FIELDS)}")
            if _fold(wanted) not in folded:
                raise ColumnError(f"no column {wanted!r} for {field} (the columns are: {', '.join(header)})")
            positions[field] = folded.index(_fold(wanted))
        taken = set(positions.values())
        for index, name in enumerate(folded):
            found = _BY_ALIAS.get(name)
            if found is not None and found not in positions and index not in taken:
                positions[found] = index
                taken.add(index)
        if len(taken) < len(positions):
            raise ColumnError("two fields are given the same column")
        if PHONE not in positions:
            raise ColumnError(f"no phone column (the columns are: {', '.join(header) or 'none'}); "
                              "name it with --column phone=HEADER")
        kept = tuple(i for i, h in enumerate(header) if i not in taken and h.strip())
        return cls(header, positions, kept)

    def describe(self) -> dict[str, str]:
        """Field -> the header it is read from (what the import report shows)."""
        return {field: self.header[index] for field, index in self.positions.items()}

    def phone(self, cells: Sequence[str]) -> str:
        return cells[self.positions[PHONE]].strip()

    def name(self, cells: Sequence[str]) -> str:
        """The name cell, or first and last name joined (family name first for Chinese names)."""
        if NAME in self.positions:
            text = cells[self.positions[NAME]]
        else:
            first = cells[self.positions[FIRST_NAME]].strip() if FIRST_NAME in self.positions else ""
            last = cells[self.positions[LAST_NAME]].strip() if LAST_NAME in self.positions else ""
            text = last + first if _CJK.search(first + last) else f"{first} {last}"
        return " ".join(text.split())[:MAX_NAME]

    def fields(self, cells: Sequence[str]) -> str | None:
        """The kept columns' non-empty cells as a JSON object, or None."""
        kept = {self.header[i].strip(): cells[i].strip() for i in self.kept if cells[i].strip()}
        return _json(kept) if kept else None
