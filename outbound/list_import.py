"""A call list into a campaign: one job that is either wholly in or reported, with every bad row kept.

:func:`run_import` streams the file (:mod:`crm_core.tabular`) and reads each row's number
(:class:`NumberReader`, the campaign's default region). Rows are stored in batches, each committed (so
memory stays bounded, the database is never locked for long, and the job's progress is visible to every
process): per batch, a row whose number an earlier line had is reported as ``duplicate``, one whose
number the campaign has already as ``in_campaign`` (so importing the same file again adds nothing), a bad
one as ``rejected`` with its cells; the rest go into ``leads``, marked by the job. Leads of a job that is
not ``done`` count for nothing (:data:`outbound.lead_store.VISIBLE`): when the file has been read to its
end, the new leads are linked to the CRM customer that alone has their number (with its tier priority)
and the job is closed, which brings them all in at once.

If the file cannot be read to its end, or anything fails, the job's leads are deleted and the job is
``failed`` with the reason; the problems found so far stay for the report. Numbers on a do-not-call list
are imported (a registry changes; the lead may become dialable) and counted; they are never released
while listed. Two imports into one campaign at the same time see each other's pending numbers as present.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import json
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from sqlalchemy import bindparam, case, delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bus.clock import Clock
from crm_core.campaign_tables import ImportJob, ImportProblem, Lead
from crm_core.customer_files import neutralise
from crm_core.db import insert_rows, session_scope, table_of
from crm_core.models import Customer, CustomerPhone
from crm_core.tabular import RowProblem, TableReadError, open_table
from crm_core.tiers import TIER_PRIORITY
from outbound.campaign_store import StoredCampaign
from outbound.dnc import DncList
from outbound.list_columns import ColumnError, ColumnMap
from outbound.number_reader import NumberReader
from outbound.numbers import NumberError

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
REJECTED, DUPLICATE, IN_CAMPAIGN = "rejected", "duplicate", "in_campaign"
#: Rows per batch: a few MB, and below every driver's bound-parameter limit for the look-up of present
#: numbers. Large batches inserted in number order keep the number index's pages in cache.
BATCH = 20_000
#: Files at least this large have their numbers read by a second process while this one reads the rows
#: (reading numbers is half of an import's work; the process costs about a second to start).
PARALLEL_BYTES = 8_000_000
#: What a number reads to in :func:`read_numbers`: the lead's number columns, or the reason it is no number.
_Read = tuple[int, str, str | None, str | None, str, str] | str


@dataclasses.dataclass(frozen=True, slots=True)
class ImportSummary:
    """Where an import job stands and what it did."""

    id: int
    campaign_id: int
    file_name: str
    status: str
    progress: float
    encoding: str | None
    columns: Mapping[str, Any]
    rows_read: int
    added: int
    duplicate_in_file: int
    duplicate_in_campaign: int
    rejected: int
    on_dnc: int
    linked_customers: int
    error: str | None
    created_by: str
    created_at: float
    started_at: float | None
    finished_at: float | None

    @property
    def over(self) -> bool:
        return self.status in (DONE, FAILED)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _summary(job: ImportJob) -> ImportSummary:
    return ImportSummary(
        id=job.id, campaign_id=job.campaign_id, file_name=job.file_name, status=job.status, progress=job.progress,
        encoding=job.encoding, columns=dict(job.columns or {}), rows_read=job.rows_read, added=job.added,
        duplicate_in_file=job.duplicate_in_file, duplicate_in_campaign=job.duplicate_in_campaign,
        rejected=job.rejected, on_dnc=job.on_dnc, linked_customers=job.linked_customers, error=job.error,
        created_by=job.created_by, created_at=job.created_at, started_at=job.started_at,
        finished_at=job.finished_at,
    )


class JobNotFound(LookupError):
    """No import job has that id."""


def create_job(session: Session, campaign_id: int, file_name: str, size_bytes: int, *, actor: str, at: float) -> int:
    """A queued job for a file about to be imported; returns its id (the caller commits)."""
    job = ImportJob(campaign_id=campaign_id, file_name=file_name[-255:], size_bytes=size_bytes, status=QUEUED,
                    columns={}, progress=0.0, rows_read=0, added=0, duplicate_in_file=0, duplicate_in_campaign=0,
                    rejected=0, on_dnc=0, linked_customers=0, created_by=actor, created_at=at)
    session.add(job)
    session.flush()
    return job.id


def job_summary(session: Session, job_id: int) -> ImportSummary:
    job = session.get(ImportJob, job_id)
    if job is None:
        raise JobNotFound(f"no import job {job_id}")
    return _summary(job)


def campaign_jobs(session: Session, campaign_id: int, *, limit: int = 20) -> list[ImportSummary]:
    """The campaign's latest import jobs, newest first."""
    query = select(ImportJob).where(ImportJob.campaign_id == campaign_id).order_by(ImportJob.id.desc()).limit(limit)
    return [_summary(job) for job in session.scalars(query)]


def fail_interrupted_jobs(session: Session, *, at: float) -> int:
    """Close the jobs a stopped process left queued or running: failed, their pending leads gone."""
    jobs = list(session.scalars(select(ImportJob.id).where(ImportJob.status.in_((QUEUED, RUNNING)))))
    if jobs:
        session.execute(delete(Lead).where(Lead.import_job_id.in_(jobs)))
        session.execute(update(ImportJob).where(ImportJob.id.in_(jobs)).values(
            status=FAILED, error="interrupted: the server stopped before the import ended; nothing was imported",
            finished_at=at))
    return len(jobs)


def write_report(session: Session, job_id: int, out: IO[str]) -> int:
    """Every row of the job that did not become a lead, as CSV: line, problem, reason, then the row's cells
    under the file's header. Returns the number of rows written."""
    job = session.get(ImportJob, job_id)
    if job is None:
        raise JobNotFound(f"no import job {job_id}")
    header = [str(h) for h in (job.columns or {}).get("header", [])]
    writer = csv.writer(out)
    writer.writerow(["line", "problem", "reason", *header])
    count = 0
    for line, kind, reason, cells in job_problems(session, job_id):
        writer.writerow([line, kind, neutralise(reason), *(neutralise(str(v)) for v in cells)])
        count += 1
    return count


def job_problems(session: Session, job_id: int, kind: str | None = None) -> Iterator[tuple[int, str, str, list[str]]]:
    """(line, kind, reason, cells) of each row of the job that did not become a lead, by line."""
    query = select(ImportProblem.line, ImportProblem.kind, ImportProblem.reason, ImportProblem.cells).where(
        ImportProblem.job_id == job_id).order_by(ImportProblem.line, ImportProblem.id)
    if kind is not None:
        query = query.where(ImportProblem.kind == kind)
    for line, found, reason, cells in session.execute(query).yield_per(BATCH):
        yield line, found, reason, json.loads(cells) if cells else []


_LEAD = ("campaign_id", "digits", "e164", "region", "subdivision", "kind", "time_zones", "name", "fields",
         "tier_priority", "import_job_id", "source_line", "created_at", "attempts", "recent_dials")
_DIGITS, _LINE = _LEAD.index("digits"), _LEAD.index("source_line")
_PROBLEM = ("job_id", "line", "kind", "reason", "cells")
_json = json.JSONEncoder(ensure_ascii=False).encode
# The campaign's leads with these numbers, pending ones of this job included. On PostgreSQL the numbers go
# as one array, looked up one by one in the campaign's index (LIMIT keeps the planner from joining the
# arrays in bulk, which without statistics on a fresh table means reading the whole campaign per batch).
_LOOKUP = 1000
_PRESENT_IN: Mapping[str, Any] = {
    "postgresql": text(
        "SELECT l.digits, l.import_job_id, l.source_line, l.id FROM unnest(CAST(:digits AS BIGINT[])) AS d(digits) "
        "CROSS JOIN LATERAL (SELECT digits, import_job_id, source_line, id FROM leads "
        "WHERE campaign_id = :campaign_id AND digits = d.digits LIMIT 1) AS l"),
    "other": select(Lead.digits, Lead.import_job_id, Lead.source_line, Lead.id).where(
        Lead.campaign_id == bindparam("campaign_id"), Lead.digits.in_(bindparam("digits", expanding=True))),
}


@dataclasses.dataclass(slots=True)
class _Batch:
    leads: list[tuple[Any, ...]] = dataclasses.field(default_factory=list)
    problems: list[tuple[Any, ...]] = dataclasses.field(default_factory=list)


class _Rows:
    """A batch of rows as read: (line, cells, reason) of each, the reason when the row cannot be a lead."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, Sequence[str] | None, str | None]] = []
        self.texts: list[str] = []  # the phone texts to read, in the order of the rows that have one

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, row: RowProblem | Any, columns: ColumnMap) -> None:
        if isinstance(row, RowProblem):
            self.rows.append((row.line, None, row.reason))
            return
        text = columns.phone(row.cells)
        if text:
            self.texts.append(text)
        self.rows.append((row.line, row.cells, None if text else "no phone number"))


@functools.cache
def _reader(region: str | None) -> NumberReader:
    return NumberReader(region)


def read_numbers(region: str | None, texts: list[str]) -> list[_Read]:
    """Each text's number as a lead's number columns, or the reason it is not a number (the text's row is
    rejected). One reader per region and process, so its memory of areas carries over from batch to batch."""
    reader = _reader(region)
    found: list[_Read] = []
    for written in texts:
        try:
            number = reader.read(written)
        except NumberError as exc:
            found.append(f"phone: {exc}")
            continue
        found.append((number.digits, number.e164, number.region, number.subdivision, number.kind,
                      ",".join(number.time_zones)))
    return found


class _Inline(Executor):
    """Runs each task at once in the caller's thread (a small file: no process worth starting)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever waits on the future, as an executor does
            future.set_exception(exc)
        return future


def _number_reader(in_a_process: bool) -> Executor:
    # spawn, not fork: the node has threads, and a forked child would inherit their locks.
    if in_a_process:
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _Inline()


class _Import:
    """One job's run; see :func:`run_import`."""

    def __init__(self, sessions: sessionmaker[Session], job_id: int, campaign: StoredCampaign, dnc: DncList,
                 clock: Clock, batch_size: int, on_batch: Callable[[float, int], None] | None) -> None:
        self.sessions = sessions
        self.job_id = job_id
        self.campaign = campaign
        self.dnc = dnc
        self.clock = clock
        self.batch_size = batch_size
        self.on_batch = on_batch
        self.created_at = clock()
        self.rows_read = self.added = self.rejected = self.duplicates = self.in_campaign = self.on_dnc = 0

    def read(self, path: Path, named: Mapping[str, str] | None, encoding: str | None,
             parallel_bytes: int = PARALLEL_BYTES) -> None:
        """Read the whole file into pending leads and problem rows (raises TableReadError/ColumnError)."""
        table = open_table(path, encoding=encoding)
        columns = ColumnMap.from_header(table.header, named)
        with session_scope(self.sessions) as session:
            session.execute(update(ImportJob).where(ImportJob.id == self.job_id).values(
                encoding=table.encoding, columns={**columns.describe(), "header": list(table.header)}))
        # A pipeline of three: this thread reads rows; the numbers of a batch are read by the number reader
        # (a process of its own for a large file) while this thread reads the next; a second thread stores
        # the batch before (the database's work and the driver's wait release the interpreter), one batch at
        # a time, in order, so each sees the ones before.
        region = self.campaign.settings.default_region
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"import-{self.job_id}") as writer, \
                _number_reader(path.stat().st_size >= parallel_bytes) as numbers:
            storing: Future[None] | None = None
            reading: deque[tuple[_Rows, Future[list[_Read]], float, int]] = deque()
            rows = _Rows()
            for row in table.fitted_rows():
                self.rows_read += 1
                rows.add(row, columns)
                if len(rows) >= self.batch_size:
                    reading.append((rows, numbers.submit(read_numbers, region, rows.texts), table.progress(),
                                    self.rows_read))
                    rows = _Rows()
                    if len(reading) > 1:
                        batch, progress, rows_read = self._batch(reading.popleft(), columns)
                        if storing is not None:
                            storing.result()
                        storing = writer.submit(self._flush, batch, progress, rows_read)
            reading.append((rows, numbers.submit(read_numbers, region, rows.texts), 1.0, self.rows_read))
            if storing is not None:
                storing.result()
            while reading:
                self._flush(*self._batch(reading.popleft(), columns))

    def _batch(self, read: tuple[_Rows, Future[list[_Read]], float, int], columns: ColumnMap
               ) -> tuple[_Batch, float, int]:
        """The leads and problems of read rows, once their numbers are read."""
        rows, numbers, progress, rows_read = read
        batch = _Batch()
        found = iter(numbers.result())
        for line, cells, reason in rows.rows:
            if reason is not None:
                self._reject(batch, line, reason, cells)
            else:
                assert cells is not None  # a row that is not a problem has its cells
                self._read(batch, line, cells, columns, next(found))
        return batch, progress, rows_read

    def _reject(self, batch: _Batch, line: int, reason: str, cells: Sequence[str] | None) -> None:
        self.rejected += 1
        batch.problems.append((self.job_id, line, REJECTED, reason, _json(list(cells)) if cells is not None else None))

    def _read(self, batch: _Batch, line: int, cells: Sequence[str], columns: ColumnMap, number: _Read) -> None:
        if isinstance(number, str):
            self._reject(batch, line, number, cells)
            return
        digits, e164, region, subdivision, kind, zones = number
        batch.leads.append((self.campaign.id, digits, e164, region, subdivision, kind, zones, columns.name(cells),
                            columns.fields(cells), 0, self.job_id, line, self.created_at, 0, ""))

    def _flush(self, batch: _Batch, progress: float, rows_read: int) -> None:
        """Store a batch: numbers an earlier line or the campaign has are reported, the rest added as pending."""
        with session_scope(self.sessions) as session:
            present = self._present(session, list({lead[_DIGITS] for lead in batch.leads}))
            fresh: list[tuple[Any, ...]] = []
            first_lines: dict[int, int] = {}
            for lead in batch.leads:
                digits, line = lead[_DIGITS], lead[_LINE]
                earlier = first_lines.get(digits)
                if earlier is None and digits in present and present[digits][0] == self.job_id:
                    earlier = present[digits][1]
                if earlier is not None:
                    self.duplicates += 1
                    batch.problems.append((self.job_id, line, DUPLICATE, f"number {lead[2]} repeats line {earlier}",
                                           None))
                elif digits in present:
                    self.in_campaign += 1
                    batch.problems.append((self.job_id, line, IN_CAMPAIGN,
                                           f"number {lead[2]} is in the campaign already (lead {present[digits][2]})",
                                           None))
                else:
                    first_lines[digits] = line
                    fresh.append(lead)
                    if self.dnc.blocks(digits, self.campaign.key) is not None:
                        self.on_dnc += 1
            self.added += len(fresh)
            fresh.sort(key=_by_number)
            insert_rows(session, table_of(Lead), _LEAD, fresh)
            insert_rows(session, table_of(ImportProblem), _PROBLEM, batch.problems)
            session.execute(update(ImportJob).where(ImportJob.id == self.job_id).values(
                progress=round(progress, 4), rows_read=rows_read))
        if self.on_batch is not None:
            self.on_batch(progress, rows_read)

    def _present(self, session: Session, numbers: list[int]) -> dict[int, tuple[int | None, int | None, int]]:
        """The campaign's leads with these numbers: (import job, source line, lead id) by number."""
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            chunks = [numbers]
        else:  # equal chunks (the last padded): one statement the driver prepares once and keeps
            chunks = [numbers[i:i + _LOOKUP] for i in range(0, len(numbers), _LOOKUP)]
            if chunks and len(chunks[-1]) < _LOOKUP:
                chunks[-1] = chunks[-1] + [chunks[-1][0]] * (_LOOKUP - len(chunks[-1]))
        query = _PRESENT_IN.get(dialect, _PRESENT_IN["other"])
        return {digits: (job, line, lead) for chunk in chunks for digits, job, line, lead in session.execute(
            query, {"campaign_id": self.campaign.id, "digits": chunk})}

    def finish(self) -> None:
        """Link the new leads to their customers and close the job: from then on its leads count."""
        mine = Lead.import_job_id == self.job_id
        owner = (select(func.min(CustomerPhone.customer_id)).where(CustomerPhone.number == Lead.e164)
                 .having(func.count(func.distinct(CustomerPhone.customer_id)) == 1).scalar_subquery())
        tier = select(case(*((Customer.tier == name, value) for name, value in TIER_PRIORITY.items()), else_=0)) \
            .where(Customer.id == Lead.customer_id).scalar_subquery()
        with session_scope(self.sessions) as session:
            session.execute(update(Lead).where(mine, Lead.e164.in_(select(CustomerPhone.number)))
                            .values(customer_id=owner), execution_options={"synchronize_session": False})
            linked = _count(session.execute(update(Lead).where(mine, Lead.customer_id.is_not(None))
                                            .values(tier_priority=tier),
                                            execution_options={"synchronize_session": False}))
            session.execute(update(ImportJob).where(ImportJob.id == self.job_id).values(
                status=DONE, progress=1.0, rows_read=self.rows_read, added=self.added,
                duplicate_in_file=self.duplicates, duplicate_in_campaign=self.in_campaign, rejected=self.rejected,
                on_dnc=self.on_dnc, linked_customers=linked, finished_at=self.clock()))

    def fail(self, reason: str) -> None:
        with session_scope(self.sessions) as session:
            session.execute(delete(Lead).where(Lead.import_job_id == self.job_id))
            session.execute(update(ImportJob).where(ImportJob.id == self.job_id).values(
                status=FAILED, error=reason, rows_read=self.rows_read, rejected=self.rejected,
                finished_at=self.clock()))


def _by_number(lead: tuple[Any, ...]) -> int:
    return int(lead[_DIGITS])


def _count(result: Any) -> int:
    """The rows a bulk UPDATE touched."""
    return int(result.rowcount)


def run_import(sessions: sessionmaker[Session], job_id: int, path: str | Path, campaign: StoredCampaign,
               dnc: DncList, *, columns: Mapping[str, str] | None = None, encoding: str | None = None,
               clock: Clock = time.time, batch_size: int = BATCH,
               on_batch: Callable[[float, int], None] | None = None,
               parallel_bytes: int = PARALLEL_BYTES) -> ImportSummary:
    """Run the queued job ``job_id``: import ``path`` into ``campaign`` (see the module doc).

    ``columns`` names a field's column by header; ``encoding`` overrides the detected one; ``on_batch`` is
    called after each committed batch with the share of the file read and the rows read so far; a file of
    ``parallel_bytes`` or more has its numbers read in a second process.
    """
    work = _Import(sessions, job_id, campaign, dnc, clock, batch_size, on_batch)
    with session_scope(sessions) as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(status=RUNNING, started_at=clock()))
    try:
        work.read(Path(path), columns, encoding, parallel_bytes)
        work.finish()
    except (TableReadError, ColumnError) as exc:
        work.fail(f"{exc}; nothing was imported")
    except OSError as exc:
        work.fail(f"the file cannot be read ({exc.strerror or exc}); nothing was imported")
    except BaseException:
        work.fail("an internal error stopped the import; nothing was imported")
        raise
    with sessions() as session:
        return job_summary(session, job_id)
