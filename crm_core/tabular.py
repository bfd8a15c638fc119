"""Rows of an uploaded CSV or XLSX file, streamed, with the line each came from.

Every data row comes out either as a :class:`TableRow` or as a :class:`RowProblem` naming its line and
what is wrong with it, so an importer can account for every row. When a file cannot be read past some
point (a quoted field never closed, a field of many megabytes, bytes that are not in the file's
encoding), :class:`TableReadError` says where, and the importer imports nothing of that file.

Encodings: a BOM means UTF-8; text that is valid UTF-8 is UTF-8; otherwise a maintained detector
(``charset-normalizer``) chooses between GB18030 (the superset of GBK, for Chinese) and Windows-1252 (the
superset of Latin-1, for Western European text), and a file that could be either is refused with a
message naming both; ``encoding=`` overrides the choice.

XLSX is read from the sheet's XML as a stream, cell by cell: the work is bounded by the cells present
(not by the sheet's declared size, which a one-cell file can set to a million rows), and by
:data:`MAX_COLUMNS` and :data:`MAX_XML_BYTES`.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import iterparse

from charset_normalizer import from_bytes

#: Bytes looked at to choose an encoding.
SAMPLE_BYTES = 256 * 1024
#: The longest field a CSV may hold (Python's own default limit, kept explicit).
MAX_FIELD_BYTES = 128 * 1024
#: The widest sheet or CSV read; a cell beyond it is an error, not a reason to allocate.
MAX_COLUMNS = 1000
#: The largest uncompressed XML part of an XLSX file read (the sheet, the shared strings).
MAX_XML_BYTES = 1024 * 1024 * 1024

CHINESE, WESTERN = "gb18030", "cp1252"
_DESCRIBED = {CHINESE: "GB18030/GBK (Chinese)", WESTERN: "Windows-1252/Latin-1 (Western European)"}

_GB2312_TEXT = re.compile(rb"(?:[\x00-\x7f]|[\xa1-\xf7][\xa1-\xfe])*")

_SS_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")
# OOXML writes characters XML cannot hold as _xHHHH_ (and a literal "_x" as _x005F_x).
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


class TableReadError(ValueError):
    """The file cannot be read (at all, or past ``line``); nothing of it should be imported."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason if line is None else f"line {line}: {reason}")
        self.reason = reason
        self.line = line


@dataclasses.dataclass(frozen=True, slots=True)
class TableRow:
    """One data row: its line in the file (the header is line 1 in a simple file) and its cells.

    ``numeric`` holds the columns a workbook stored as numbers (a code typed as a number lost its
    leading zeros there).
    """

    line: int
    cells: tuple[str, ...]
    numeric: frozenset[int] = frozenset()


@dataclasses.dataclass(frozen=True, slots=True)
class RowProblem:
    """A data row that could not be read as cells."""

    line: int
    reason: str


def _nothing_read() -> float:
    return 0.0


@dataclasses.dataclass(slots=True)
class Table:
    """An opened file: its encoding (``xlsx`` for a workbook), the header cells and the data rows.

    ``progress()`` is the share of the file read so far, 0 to 1 (by bytes; a workbook by its sheet's XML),
    for a progress bar while the rows are consumed.
    """

    encoding: str
    header: tuple[str, ...]
    rows: Iterator[TableRow | RowProblem]
    progress: Callable[[], float] = _nothing_read

    def fitted_rows(self) -> Iterator[TableRow | RowProblem]:
        """The data rows with exactly as many cells as the header; blank rows are left out.

        A row with a value beyond the header's last column is a problem, and so is a CSV row with fewer
        fields than the header; a workbook's row is padded (it leaves trailing empty cells out).
        """
        width = len(self.header)
        for row in self.rows:
            if isinstance(row, RowProblem):
                yield row
                continue
            cells = row.cells
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > width:
                if any(cell.strip() for cell in cells[width:]):
                    yield RowProblem(row.line, f"has {len(cells)} fields, the header has {width}")
                    continue
                cells = cells[:width]
            elif len(cells) < width:
                if self.encoding != "xlsx":
                    yield RowProblem(row.line, f"has {len(cells)} fields, the header has {width}")
                    continue
                cells += ("",) * (width - len(cells))
            yield TableRow(row.line, cells, row.numeric) if cells is not row.cells else row


def detect_encoding(sample: bytes) -> str:
    """The encoding of a text file from its first bytes (see the module docstring)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sample is still UTF-8.
        if exc.start < len(sample) - 3 or exc.reason != "unexpected end of data":
            return _detected(sample)
    return "utf-8"


def _detected(sample: bytes) -> str:
    # Both decode almost any bytes; the detector judges which reading is text rather than noise.
    found = [match.encoding for match in from_bytes(sample, cp_isolation=[CHINESE, WESTERN])]
    if len(found) == 1:
        return found[0]
    if not found:
        raise TableReadError("the text is neither UTF-8, GB18030/GBK nor Windows-1252; "
                             "give its encoding (--encoding NAME)")
    # Short samples fool the detector. Chinese text keeps to GB2312's pairs (both bytes 0xA1 and up); a
    # Western accented letter is mostly followed by a plain one, which no GB2312 pair allows.
    chinese = _GB2312_TEXT.fullmatch(sample) is not None
    western = all(char.isalpha() for char in sample.decode(WESTERN, "replace") if not char.isascii())
    if chinese != western:
        return CHINESE if chinese else WESTERN
    both = " or ".join(_DESCRIBED[name] for name in found)
    raise TableReadError(f"cannot tell the encoding: the file reads as {both}; "
                         f"give it (--encoding {CHINESE} or --encoding {WESTERN})")


def open_table(path: str | Path, *, encoding: str | None = None) -> Table:
    """Open a CSV (any delimiter of , ; TAB) or an XLSX file (its first sheet)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _open_xlsx(path)
    return _open_csv(path, encoding)


# ---------------------------------------------------------------------------------------------- CSV


def _open_csv(path: Path, encoding: str | None) -> Table:
    binary = path.open("rb")
    try:
        sample = binary.read(SAMPLE_BYTES)
        if encoding is None:
            encoding = detect_encoding(sample)
        else:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise TableReadError(f"unknown encoding {encoding!r}") from None
        binary.seek(0)
        text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        try:
            head = text.read(8192)
        except UnicodeDecodeError as exc:
            raise TableReadError(f"the start of the file is not {encoding} text ({exc.reason})") from None
        try:
            # Only the delimiter is sniffed: the sniffer's guesses of quoting rules are unreliable.
            delimiter = csv.Sniffer().sniff(head, delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
        text.seek(0)
        if head.startswith("\ufeff"):  # a BOM read as UTF-8 rather than UTF-8-SIG
            text.read(1)
        header, rows = _csv_rows(text, delimiter, encoding)
    except BaseException:
        binary.close()
        raise
    size = max(path.stat().st_size, 1)
    return Table(encoding, header, rows, lambda: 1.0 if binary.closed else min(binary.tell() / size, 1.0))


def _csv_rows(text: IO[str], delimiter: str, encoding: str) -> tuple[tuple[str, ...], Iterator[TableRow | RowProblem]]:
    csv.field_size_limit(MAX_FIELD_BYTES)
    reader = csv.reader(text, csv.excel, delimiter=delimiter, strict=True)
    try:
        header = tuple(next(reader))
    except StopIteration:
        text.close()
        raise TableReadError("the file is empty") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        text.close()
        raise TableReadError(f"the header cannot be read: {exc}", 1) from None

    def rows() -> Iterator[TableRow | RowProblem]:
        previous_end = reader.line_num
        with text:
            while True:
                start = previous_end + 1
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError as exc:
                    raise TableReadError(f"bytes that are not {encoding} text ({exc.reason}); reading stopped "
                                         "(give the file's encoding with --encoding)", start) from None
                except csv.Error as exc:
                    message = str(exc)
                    if "unexpected end of data" in message:
                        raise TableReadError("a quoted field is never closed (the rest of the file would be "
                                             "one value); reading stopped", start) from None
                    if "field larger than field limit" in message:
                        raise TableReadError(f"a field is longer than {MAX_FIELD_BYTES // 1024} KiB "
                                             "(a quote never closed?); reading stopped", start) from None
                    previous_end = reader.line_num
                    yield RowProblem(start, f"unreadable CSV: {message}")
                    continue
                previous_end = reader.line_num
                if len(record) > MAX_COLUMNS:
                    yield RowProblem(start, f"has {len(record)} fields, more than {MAX_COLUMNS}")
                    continue
                yield TableRow(start, tuple(record))

    return header, rows()


# --------------------------------------------------------------------------------------------- XLSX


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _unescape(text: str) -> str:
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _checked_part(book: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    info = book.getinfo(name)
    if info.file_size > MAX_XML_BYTES:
        raise TableReadError(f"{name} is {info.file_size // 2**20} MiB uncompressed, more than "
                             f"{MAX_XML_BYTES // 2**20} MiB")
    return info


def _first_sheet(book: zipfile.ZipFile) -> str:
    sheets = sorted(n for n in book.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    if not sheets:
        raise TableReadError("the workbook has no sheet")
    # The first sheet of the workbook is sheet1.xml in every file Excel, LibreOffice and openpyxl write.
    return "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in sheets else sheets[0]


def _shared_strings(book: zipfile.ZipFile) -> list[str]:
    name = "xl/sharedStrings.xml"
    if name not in book.namelist():
        return []
    strings: list[str] = []
    with book.open(_checked_part(book, name)) as part:
        for _, element in iterparse(part):
            if element.tag == _SS_NS + "si":
                strings.append(_unescape("".join(t.text or "" for t in element.iter(_SS_NS + "t"))))
                element.clear()
    return strings


def _cell_value(cell: Any, strings: list[str]) -> str:
    kind = _kind(cell)
    if kind == "inlineStr":
        return _unescape("".join(t.text or "" for t in cell.iter(_SS_NS + "t")))
    value = cell.findtext(_SS_NS + "v") or ""
    if kind == "s":
        index = int(value)
        if not 0 <= index < len(strings):
            raise ValueError(f"shared string {index} does not exist")
        return strings[index]
    if kind == "b":
        return "TRUE" if value == "1" else "FALSE"
    if kind == "n" and value:
        number = float(value)
        # 13800138001 typed as a number is stored as "13800138001" or "1.3800138001E10".
        return str(int(number)) if number.is_integer() and abs(number) < 1e18 else value
    return _unescape(value)


def _kind(cell: Any) -> str:
    return str(cell.get("t", "n"))


def _open_xlsx(path: Path) -> Table:
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise TableReadError(f"not a readable XLSX file: {exc}") from None
    try:
        strings = _shared_strings(book)
        part = book.open(_checked_part(book, _first_sheet(book)))
    except TableReadError:
        book.close()
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError) as exc:
        book.close()
        raise TableReadError(f"not a readable XLSX file: {exc}") from None
    rows = _xlsx_rows(book, part, strings)
    try:
        first = next(rows)
    except StopIteration:
        raise TableReadError("the sheet is empty") from None
    if isinstance(first, RowProblem):
        raise TableReadError(f"the header cannot be read: {first.reason}", first.line)
    size = max(book.getinfo(part.name).file_size, 1)
    return Table("xlsx", first.cells, rows, lambda: 1.0 if part.closed else min(part.tell() / size, 1.0))


def _xlsx_rows(book: zipfile.ZipFile, part: IO[bytes], strings: list[str]) -> Iterator[TableRow | RowProblem]:
    """Rows that hold at least one cell, in sheet order, each padded to its last cell."""
    line = 0
    with book, part:
        try:
            for _, element in iterparse(part):
                if element.tag != _SS_NS + "row":
                    continue
                number = element.get("r", "")
                line = int(number) if number.isdigit() else line + 1
                values: dict[int, str] = {}
                numeric: set[int] = set()
                problem = None
                for cell in element.iter(_SS_NS + "c"):
                    ref = _CELL_REF.fullmatch(cell.get("r", ""))
                    column = _column_index(ref.group(1)) if ref else len(values)
                    if column >= MAX_COLUMNS:
                        problem = f"has a value in column {column + 1}, beyond the {MAX_COLUMNS} read"
                        break
                    try:
                        values[column] = _cell_value(cell, strings)
                        if _kind(cell) == "n" and values[column]:
                            numeric.add(column)
                    except ValueError as exc:
                        problem = f"unreadable cell {cell.get('r', '?')}: {exc}"
                        break
                element.clear()
                if problem is not None:
                    yield RowProblem(line, problem)
                elif values:
                    cells = [""] * (max(values) + 1)
                    for column, value in values.items():
                        cells[column] = value
                    yield TableRow(line, tuple(cells), frozenset(numeric))
        except SyntaxError as exc:  # xml.etree's ParseError
            raise TableReadError(f"the sheet's XML is broken ({exc}); reading stopped") from None
