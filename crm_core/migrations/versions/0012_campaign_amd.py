"""Campaigns: each has its own answering-machine rule, abandon formula (US or Ofcom) and AMD false-positive
estimate; campaigns made before keep what the dialer did for them (hang up, the US rule, 3%).

Revision ID: 0012_campaign_amd
Revises: 0011_rollups_per_call
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_campaign_amd"
down_revision = "0011_rollups_per_call"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("machine_rule", sa.String(10), nullable=False, server_default="hangup"))
        batch.add_column(sa.Column("abandon_formula", sa.String(10), nullable=False, server_default="us"))
        batch.add_column(sa.Column("amd_false_positive", sa.Float(), nullable=False, server_default="0.03"))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("amd_false_positive")
        batch.drop_column("abandon_formula")
        batch.drop_column("machine_rule")
