"""Report rollups count each customer call once (in the queue it first entered, at its outcome) and add the
later legs' handling to it: new counters (calls handled, transfers, consultations); the call rollups kept per
leg are dropped, for the node's next start to count them again from the interaction rows.

Revision ID: 0011_rollups_per_call
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_rollups_per_call"
down_revision = "0010"
branch_labels = None
depends_on = None

_ADDED = {"rollup_queue": ("handled", "transfers", "consultations"), "rollup_agent": ("handled",)}
_CALL_ROLLUPS = ("rollup_queue", "rollup_agent", "rollup_ivr")


def upgrade() -> None:
    for table, counters in _ADDED.items():
        with op.batch_alter_table(table) as batch:
            for counter in counters:
                batch.add_column(sa.Column(counter, sa.Float(), nullable=False, server_default=sa.text("0")))
    # The rows are the truth: the rollups they kept per leg are dropped, and the node's next start counts
    # them again per call with each queue's thresholds (reports.rollup_store.rebuild_if_missing; by hand:
    # `callcenter rebuild-rollups`). The counting stays in reports/, which the schema does not import.
    for table in _CALL_ROLLUPS:
        op.execute(sa.text(f"DELETE FROM {table}"))


def downgrade() -> None:
    for table, counters in _ADDED.items():
        with op.batch_alter_table(table) as batch:
            for counter in counters:
                batch.drop_column(counter)
