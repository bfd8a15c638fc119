"""Campaigns: their own recordings for machines and for people no agent was free for (empty: the dialer's),
and a preview card's lead dialled by itself after some seconds (null: only by the agent).

Revision ID: 0013_campaign_messages
Revises: 0012_campaign_amd
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_campaign_messages"
down_revision = "0012_campaign_amd"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("machine_message", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("abandon_message", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("preview_dial_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("preview_dial_seconds")
        batch.drop_column("abandon_message")
        batch.drop_column("machine_message")
