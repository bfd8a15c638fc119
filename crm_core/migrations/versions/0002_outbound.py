"""Outbound: campaigns, leads, list imports, do-not-call entries and changes, registry files, number stories.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _pk() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def _fk(name: str, target: str, ondelete: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(f"{target}.id", ondelete=ondelete), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        _pk(),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("mode", sa.String(12), nullable=False),
        sa.Column("caller_id", sa.String(20), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("default_region", sa.String(2), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("dispositions", sa.JSON(), nullable=False),
        sa.Column("abandon_target", sa.Float(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_campaigns_status", "campaigns", ["status"])

    op.create_table(
        "import_jobs",
        _pk(),
        _fk("campaign_id", "campaigns", "CASCADE"),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("encoding", sa.String(20)),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("duplicate_in_file", sa.Integer(), nullable=False),
        sa.Column("duplicate_in_campaign", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("on_dnc", sa.Integer(), nullable=False),
        sa.Column("linked_customers", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float()),
        sa.Column("finished_at", sa.Float()),
    )
    op.create_index("ix_import_jobs_campaign_id", "import_jobs", ["campaign_id"])

    op.create_table(
        "leads",
        _pk(),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("digits", sa.BigInteger(), nullable=False),
        sa.Column("e164", sa.String(20), nullable=False),
        sa.Column("region", sa.String(2)),
        sa.Column("subdivision", sa.String(10)),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("time_zones", sa.Text(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("fields", sa.Text()),
        _fk("customer_id", "customers", "SET NULL", nullable=True),
        sa.Column("tier_priority", sa.Integer(), nullable=False),
        sa.Column("import_job_id", sa.Integer()),
        sa.Column("source_line", sa.Integer()),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_outcome", sa.String(20)),
        sa.Column("last_outcome_at", sa.Float()),
        sa.Column("recent_dials", sa.String(200), nullable=False),
        sa.Column("callback_at", sa.Float()),
        sa.UniqueConstraint("campaign_id", "digits", name="uq_leads_campaign_digits"),
    )
    op.create_index("ix_leads_import_job_id", "leads", ["import_job_id"])

    op.create_table(
        "import_problems",
        _pk(),
        _fk("job_id", "import_jobs", "CASCADE"),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cells", sa.Text()),
    )
    op.create_index("ix_import_problems_job_line", "import_problems", ["job_id", "line"])

    op.create_table(
        "dnc_entries",
        _pk(),
        sa.Column("list_key", sa.String(20), nullable=False),
        _fk("campaign_id", "campaigns", "CASCADE", nullable=True),
        sa.Column("digits", sa.BigInteger(), nullable=False),
        sa.Column("e164", sa.String(20), nullable=False),
        sa.Column("added_at", sa.Float(), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.UniqueConstraint("list_key", "digits", name="uq_dnc_entries_list_digits"),
    )
    op.create_index("ix_dnc_entries_digits", "dnc_entries", ["digits"])

    op.create_table(
        "dnc_changes",
        _pk(),
        sa.Column("list_key", sa.String(20), nullable=False),
        _fk("campaign_id", "campaigns", "CASCADE", nullable=True),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("digits", sa.BigInteger(), nullable=False),
        sa.Column("e164", sa.String(20), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(30)),
        sa.Column("reason", sa.String(500), nullable=False),
    )
    op.create_index("ix_dnc_changes_digits", "dnc_changes", ["digits"])

    op.create_table(
        "dnc_registry_files",
        _pk(),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("source_name", sa.String(255), nullable=False),
        sa.Column("region", sa.String(2), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("numbers", sa.BigInteger(), nullable=False),
        sa.Column("skipped", sa.BigInteger(), nullable=False),
        sa.Column("imported_by", sa.String(100), nullable=False),
        sa.Column("imported_at", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )

    op.create_table(
        "lead_events",
        _pk(),
        _fk("lead_id", "leads", "CASCADE"),
        _fk("campaign_id", "campaigns", "CASCADE"),
        sa.Column("digits", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("rule", sa.String(20)),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("rules_version", sa.String(20)),
        sa.Column("next_at", sa.Float()),
    )
    op.create_index("ix_lead_events_lead_id", "lead_events", ["lead_id"])
    op.create_index("ix_lead_events_digits_at", "lead_events", ["digits", "at"])
    op.create_index("ix_lead_events_campaign_kind_at", "lead_events", ["campaign_id", "kind", "at"])


def downgrade() -> None:
    for table in ("lead_events", "dnc_registry_files", "dnc_changes", "dnc_entries", "import_problems",
                  "leads", "import_jobs", "campaigns"):
        op.drop_table(table)
