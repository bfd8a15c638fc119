"""Each predictive campaign's pacing model (what its pacer learned of dials, talks and wrap-ups), so that a
restarted dialer paces from it at once.

Revision ID: 0014_pacing_models
Revises: 0013_campaign_messages
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_pacing_models"
down_revision = "0013_campaign_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pacing_models",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("saved_at", sa.Float(), nullable=False),
        sa.Column("model", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pacing_models")
