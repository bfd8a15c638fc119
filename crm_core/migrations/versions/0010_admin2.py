"""Admin console, second pass: the queues, skills and pause reasons the admin console changed, kept over the
seed of ``callcenter.toml``.

Revision ID: 0010
Revises: 0009_knowledge
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_settings",
        sa.Column("kind", sa.String(30), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_settings")
