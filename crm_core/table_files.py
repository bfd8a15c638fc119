"""Tables written as CSV (UTF-8 with a BOM, so spreadsheet programs read it right) or XLSX bytes.

The XLSX is the smallest valid workbook: one sheet, inline strings, numbers as numbers. Both read back
through :func:`crm_core.tabular.open_table`. A text cell starting with ``=``, ``+``, ``-`` or ``@`` is
prefixed with an apostrophe in CSV, so a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

Cell = str | int | float | None
_FORMULA_START = ("=", "+", "-", "@")
# Characters XML 1.0 cannot hold; OOXML writes them as _xHHHH_.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return repr(round(cell, 6))
    return str(cell)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The table as CSV, UTF-8 with a BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([
            "'" + c if isinstance(c, str) and c.startswith(_FORMULA_START) else _text(c) for c in row
        ])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _xml_cell(ref: str, cell: Cell) -> str:
    if isinstance(cell, bool) or cell is None:
        cell = "" if cell is None else str(cell)
    if isinstance(cell, int | float):
        return f'<c r="{ref}"><v>{_text(cell)}</v></c>'
    text = _NOT_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", cell)
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]], sheet: str = "report") -> bytes:
    """The table as a one-sheet XLSX workbook."""
    lines = []
    for number, row in enumerate((header, *rows), start=1):
        cells = "".join(_xml_cell(f"{_column(i)}{number}", c) for i, c in enumerate(row))
        lines.append(f'<row r="{number}">{cells}</row>')
    sheet_xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 f'<sheetData>{"".join(lines)}</sheetData></worksheet>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in _PARTS.items():
            book.writestr(name, text.replace("{name}", escape(sheet[:31], {'"': "&quot;"})))
        book.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()
