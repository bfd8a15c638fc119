"""Report tables exported as CSV and XLSX read back, through the product's own file reader, to the same cells."""

from __future__ import annotations

from pathlib import Path

import pytest
from day_fixture import DAY, END, T0

from crm_core.table_files import csv_bytes, xlsx_bytes
from crm_core.tabular import TableRow, open_table
from reports.definitions import KpiSettings
from reports.export import agent_rows, disposition_rows, interval_rows, ivr_rows, queue_rows
from reports.history import replay
from reports.ivr_report import ivr_report
from reports.tables import Period, agent_table, disposition_table, interval_table, queue_table

HISTORY = replay(DAY, KpiSettings(sl_seconds=20, short_abandon_seconds=5), until=END)
PERIOD = Period(T0, END)
TABLES = {
    "queues": queue_rows(queue_table(HISTORY, PERIOD)),
    "intervals": interval_rows(interval_table(HISTORY, PERIOD, 30)),
    "agents": agent_rows(agent_table(HISTORY, PERIOD)),
    "dispositions": disposition_rows(disposition_table(HISTORY.calls.values())),
    "ivr": ivr_rows(ivr_report(DAY, T0, END)),
}


def read_back(path: Path) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    table = open_table(path)
    return table.header, [row.cells for row in table.fitted_rows() if isinstance(row, TableRow)]


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_reads_back_from_csv_and_xlsx(tmp_path: Path, name: str) -> None:
    header, rows = TABLES[name]
    for suffix, data in (("csv", csv_bytes(header, rows)), ("xlsx", xlsx_bytes(header, rows, name))):
        path = tmp_path / f"{name}.{suffix}"
        path.write_bytes(data)
        got_header, got_rows = read_back(path)
        assert got_header == tuple(header)
        assert len(got_rows) == len(rows)
        if name == "queues":
            got = dict(zip(got_header, got_rows[0], strict=True))
            assert (got["queue"], got["offered"], got["service_level"], got["sl_variant"]) == (
                "sales", "2", "0.5", "offered_less_short"), suffix


def test_a_cell_that_looks_like_a_formula_is_kept_as_text() -> None:
    assert csv_bytes(["name"], [["=HYPERLINK(1)"]]).decode("utf-8-sig").splitlines()[1] == "'=HYPERLINK(1)"
