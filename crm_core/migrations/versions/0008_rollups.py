"""Report rollups: counters per quarter-hour and per UTC day, by queue, agent, IVR outcome and agent state,
kept up to date as interaction rows and agent states are written.

Revision ID: 0008_rollups
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_rollups"
down_revision = "0007"
branch_labels = None
depends_on = None

_ROLLUPS = {
    "rollup_queue": (("direction", "queue", "campaign", "result"), ("calls", "in_sl", "wait_sum", "handle_sum")),
    "rollup_agent": (("direction", "queue", "campaign", "agent_id", "disposition"),
                     ("calls", "talk_sum", "hold_sum", "wrap_sum")),
    "rollup_ivr": (("outcome", "last_node"), ("calls",)),
    "rollup_agent_state": (("agent_id", "state", "reason"), ("seconds",)),
}


def upgrade() -> None:
    for name, (dimensions, counters) in _ROLLUPS.items():
        op.create_table(
            name,
            sa.Column("grain", sa.Integer(), nullable=False),
            sa.Column("bucket", sa.BigInteger(), nullable=False),
            *(sa.Column(d, sa.String(100), nullable=False) for d in dimensions),
            *(sa.Column(c, sa.Float(), nullable=False) for c in counters),
            sa.PrimaryKeyConstraint("grain", "bucket", *dimensions),
        )
    for name in ("rollup_agent", "rollup_agent_state"):
        op.create_index(f"ix_{name}_agent", name, ["agent_id", "grain", "bucket"])
    op.create_table(
        "rollup_agent_open",
        sa.Column("agent_id", sa.String(100), primary_key=True),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(100), nullable=False),
        sa.Column("since", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    for name in ("rollup_agent_open", *reversed(_ROLLUPS)):
        op.drop_table(name)
