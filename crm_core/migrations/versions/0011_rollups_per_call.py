"""Report rollups count each customer call once (in the queue it first entered, at its outcome) and add the
later legs' handling to it: new counters (calls handled, transfers, consultations), and the call rollups
counted again from the interaction rows.

Revision ID: 0011_rollups_per_call
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0011_rollups_per_call"
down_revision = "0010"
branch_labels = None
depends_on = None

_ADDED = {"rollup_queue": ("handled", "transfers", "consultations"), "rollup_agent": ("handled",)}


def upgrade() -> None:
    for table, counters in _ADDED.items():
        with op.batch_alter_table(table) as batch:
            for counter in counters:
                batch.add_column(sa.Column(counter, sa.Float(), nullable=False, server_default=sa.text("0")))
    # The rows are the truth: the rollups they kept per leg are counted again, per call, by the code that
    # keeps them (imported here, not copied). The thresholds are the defaults the old rollups were kept
    # with; `callcenter reports rebuild-rollups` counts them again with each queue's own.
    from reports.definitions import KpiSettings
    from reports.rollup_store import rebuild_call_rollups
    from reports.rollups import same_kpis

    rebuild_call_rollups(Session(bind=op.get_bind()), same_kpis(KpiSettings()))


def downgrade() -> None:
    for table, counters in _ADDED.items():
        with op.batch_alter_table(table) as batch:
            for counter in counters:
                batch.drop_column(counter)
