"""The outbound tables: campaigns, their leads, do-not-call entries and changes, the national registry's
file, the story of each number (decisions and outcomes), list imports with their problem rows, and each
predictive campaign's pacing model.

The rules that read and fill them are in ``outbound`` (which may import this package; this package never
imports ``outbound``). A number is stored as its E.164 text and as ``digits``, the E.164 digits as an
integer: the key every do-not-call list and every story look-up uses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.db import Base


class Campaign(Base):
    """An outbound campaign; ``rules`` is its eligibility rule set as JSON, versioned by ``rules_version``."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    mode: Mapped[str] = mapped_column(String(12))
    caller_id: Mapped[str] = mapped_column(String(20))
    queue: Mapped[str] = mapped_column(String(64))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    default_region: Mapped[str] = mapped_column(String(2))
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rules_version: Mapped[int] = mapped_column(Integer, default=1)
    dispositions: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    abandon_target: Mapped[float] = mapped_column(Float)
    abandon_formula: Mapped[str] = mapped_column(String(10), default="us")
    amd_false_positive: Mapped[float] = mapped_column(Float, default=0.03)
    machine_rule: Mapped[str] = mapped_column(String(10), default="hangup")
    machine_message: Mapped[str] = mapped_column(String(64), default="")
    abandon_message: Mapped[str] = mapped_column(String(64), default="")
    preview_dial_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class Lead(Base):
    """A number to call for a campaign, what is known about it, and its dialling history so far.

    ``recent_dials`` holds the start times of the latest dials, comma-separated; ``time_zones`` the IANA
    zones of the number, comma-separated (empty: none known).
    """

    __tablename__ = "leads"
    # One index for a campaign's leads, its duplicates and (campaign by campaign) a number's story: a second
    # index by number alone would double the cost of loading a list.
    __table_args__ = (UniqueConstraint("campaign_id", "digits", name="uq_leads_campaign_digits"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign keys to campaigns and import jobs: PostgreSQL checks a key row by row, which would double the
    # cost of loading a list; neither is ever deleted (a finished campaign keeps its leads and history).
    campaign_id: Mapped[int] = mapped_column(Integer)
    digits: Mapped[int] = mapped_column(BigInteger)
    e164: Mapped[str] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(2))
    subdivision: Mapped[str | None] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(24))
    time_zones: Mapped[str] = mapped_column(Text, default="")  # a NANP-wide number has over 30
    name: Mapped[str] = mapped_column(String(200), default="")
    fields: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    tier_priority: Mapped[int] = mapped_column(Integer, default=0)
    import_job_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source_line: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    last_outcome_at: Mapped[float | None] = mapped_column(Float)
    recent_dials: Mapped[str] = mapped_column(String(200), default="")
    callback_at: Mapped[float | None] = mapped_column(Float)


class ImportJob(Base):
    """One list import: its file, where it stands, and what it did (counts; the problem rows apart)."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))
    encoding: Mapped[str | None] = mapped_column(String(20))
    columns: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_in_file: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_in_campaign: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    on_dnc: Mapped[int] = mapped_column(Integer, default=0)
    linked_customers: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)


class ImportProblem(Base):
    """A row of an import that did not become a lead: its line, what kind of problem, why, and its cells."""

    __tablename__ = "import_problems"
    __table_args__ = (Index("ix_import_problems_job_line", "job_id", "line"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text)
    cells: Mapped[str | None] = mapped_column(Text)


class DncEntry(Base):
    """A number on the internal list (``campaign_id`` None) or on one campaign's list."""

    __tablename__ = "dnc_entries"
    __table_args__ = (UniqueConstraint("list_key", "digits", name="uq_dnc_entries_list_digits"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_key: Mapped[str] = mapped_column(String(20))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    digits: Mapped[int] = mapped_column(BigInteger, index=True)
    e164: Mapped[str] = mapped_column(String(20))
    added_at: Mapped[float] = mapped_column(Float)
    added_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))


class DncChangeRow(Base):
    """The audit trail of the do-not-call lists: every addition and removal, by whom, when and why."""

    __tablename__ = "dnc_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_key: Mapped[str] = mapped_column(String(20))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(10))
    digits: Mapped[int] = mapped_column(BigInteger, index=True)
    e164: Mapped[str] = mapped_column(String(20))
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(500))


class RegistryFile(Base):
    """A national do-not-call registry built from a published list; the newest ``active`` one is in force."""

    __tablename__ = "dnc_registry_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    source_name: Mapped[str] = mapped_column(String(255))
    region: Mapped[str] = mapped_column(String(2))
    lines: Mapped[int] = mapped_column(BigInteger)
    numbers: Mapped[int] = mapped_column(BigInteger)
    skipped: Mapped[int] = mapped_column(BigInteger)
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean)


class LeadEvent(Base):
    """One line of a number's story: a decision (released or skipped, by which rule under which rule set
    version, eligible again when) or the outcome of a dial."""

    __tablename__ = "lead_events"
    __table_args__ = (Index("ix_lead_events_digits_at", "digits", "at"),
                      Index("ix_lead_events_campaign_kind_at", "campaign_id", "kind", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    digits: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(10))
    rule: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(500))
    rules_version: Mapped[str | None] = mapped_column(String(20))
    next_at: Mapped[float | None] = mapped_column(Float)


class PacingModel(Base):
    """What a predictive campaign's pacer learned (``outbound.pacing.DialStats.snapshot``), saved by the dialer
    now and then, so a restart starts from it rather than from nothing."""

    __tablename__ = "pacing_models"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    saved_at: Mapped[float] = mapped_column(Float)
    model: Mapped[dict[str, Any]] = mapped_column(JSON)
