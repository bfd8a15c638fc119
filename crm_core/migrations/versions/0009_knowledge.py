"""Agents' everyday tools: the knowledge base, agents' own preferences (auto-answer), and an index that lets an
agent's day be read from the event log without scanning it.

Revision ID: 0009_knowledge
Revises: 0008_rollups
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_knowledge"
down_revision = "0008_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_articles",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(200), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_knowledge_articles_updated_at", "knowledge_articles", ["updated_at"])
    op.create_table(
        "agent_preferences",
        sa.Column("agent_id", sa.String(64), primary_key=True),
        sa.Column("auto_answer_seconds", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_event_log_agent_at", "event_log", ["agent_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_event_log_agent_at", table_name="event_log")
    op.drop_table("agent_preferences")
    op.drop_index("ix_knowledge_articles_updated_at", table_name="knowledge_articles")
    op.drop_table("knowledge_articles")
