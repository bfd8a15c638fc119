"""Every report table as a header and rows of plain cells, ready for CSV or XLSX
(:mod:`crm_core.table_files`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from crm_core.table_files import Cell
from reports.campaign_kpis import GroupFigures
from reports.ivr_report import IvrReport
from reports.tables import AgentRow, QueueRow

STATES = ("ready", "reserved", "on_call", "wrap_up", "not_ready")
Table = tuple[list[str], list[list[Cell]]]


def queue_rows(rows: Sequence[QueueRow]) -> Table:
    """The queue report (or one interval's totals row per line when given those)."""
    header = [f.name for f in dataclasses.fields(QueueRow)]
    return header, [[getattr(r, name) for name in header] for r in rows]


def interval_rows(rows: Sequence[tuple[float, QueueRow]]) -> Table:
    header, cells = queue_rows([row for _, row in rows])
    return ["interval_start", *header[1:]], [[start, *line[1:]] for (start, _), line in zip(rows, cells,
                                                                                          strict=True)]


def agent_rows(rows: Sequence[AgentRow]) -> Table:
    reasons = sorted({reason for r in rows for reason in r.not_ready_by_reason})
    header = ["agent_id", *(f"{s}_seconds" for s in STATES), *(f"not_ready:{r}" for r in reasons), "calls",
              "aht", "occupancy", "utilisation"]
    return header, [
        [r.agent_id, *(r.seconds_by_state.get(s, 0.0) for s in STATES),
         *(r.not_ready_by_reason.get(reason, 0.0) for reason in reasons), r.calls, r.aht, r.occupancy,
         r.utilisation]
        for r in rows
    ]


def disposition_rows(counts: dict[tuple[str, str, str], int]) -> Table:
    return ["queue", "agent_id", "disposition", "calls"], [[*key, n] for key, n in sorted(counts.items())]


def ivr_rows(report: IvrReport) -> Table:
    """The IVR report's paths, one per row, with the overall figures repeated for a flat sheet."""
    header = ["path", "calls", "containment", "abandon_rate", "code_recognition"]
    return header, [[path, n, report.containment, report.abandon_rate, report.code_recognition]
                    for path, n in report.paths]


def campaign_rows(groups: Sequence[GroupFigures]) -> Table:
    """One campaign report table (per campaign, list or agent): the figures, then a column per disposition."""
    fixed = [f.name for f in dataclasses.fields(GroupFigures) if f.name != "dispositions"]
    names = sorted({name for group in groups for name in group.dispositions})
    return [*fixed, *(f"disposition:{name}" for name in names)], [
        [getattr(group, field) for field in fixed] + [group.dispositions.get(name, 0) for name in names]
        for group in groups]
