"""Initial schema: customers, phones, contacts, interactions, tickets, audit log, event log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _pk() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def _customer_fk(ondelete: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(
        "customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "customers",
        _pk(),
        sa.Column("code", sa.String(6), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("company", sa.String(200)),
        sa.Column("email", sa.String(254)),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("time_zone", sa.String(64)),
        sa.Column("tier", sa.String(10), nullable=False),
        sa.Column("revenue_cents", sa.BigInteger(), nullable=False),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    for column in ("email", "name", "tier"):
        op.create_index(f"ix_customers_{column}", "customers", [column])

    op.create_table(
        "customer_phones",
        _pk(),
        _customer_fk("CASCADE"),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_index("ix_customer_phones_customer_id", "customer_phones", ["customer_id"])
    op.create_index("ix_customer_phones_number", "customer_phones", ["number"])

    op.create_table(
        "contacts",
        _pk(),
        _customer_fk("CASCADE"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(100)),
        sa.Column("phone", sa.String(20)),
        sa.Column("email", sa.String(254)),
    )
    op.create_index("ix_contacts_customer_id", "contacts", ["customer_id"])
    op.create_index("ix_contacts_phone", "contacts", ["phone"])

    op.create_table(
        "interactions",
        _pk(),
        sa.Column("leg_id", sa.String(100), nullable=False, unique=True),
        sa.Column("call_id", sa.String(100), nullable=False),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("queue", sa.String(100)),
        sa.Column("campaign", sa.String(100)),
        sa.Column("agent_id", sa.String(100)),
        _customer_fk("SET NULL", nullable=True),
        sa.Column("customer_code", sa.String(6)),
        sa.Column("ani", sa.String(40)),
        sa.Column("dnis", sa.String(40)),
        sa.Column("intent", sa.String(100)),
        sa.Column("ivr_data", sa.JSON(), nullable=False),
        sa.Column("enter_at", sa.Float(), nullable=False),
        sa.Column("answer_at", sa.Float()),
        sa.Column("end_at", sa.Float()),
        sa.Column("wait_seconds", sa.Float()),
        sa.Column("talk_seconds", sa.Float()),
        sa.Column("hold_seconds", sa.Float(), nullable=False),
        sa.Column("wrap_up_seconds", sa.Float()),
        sa.Column("outcome", sa.String(40)),
        sa.Column("disposition", sa.String(100)),
        sa.Column("notes", sa.Text(), nullable=False),
    )
    op.create_index("ix_interactions_agent_id", "interactions", ["agent_id"])
    op.create_index("ix_interactions_call_id", "interactions", ["call_id"])
    op.create_index("ix_interactions_customer_enter", "interactions", ["customer_id", "enter_at"])

    op.create_table(
        "tickets",
        _pk(),
        _customer_fk("CASCADE"),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("assignee", sa.String(100)),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_tickets_customer_id", "tickets", ["customer_id"])
    op.create_index("ix_tickets_status", "tickets", ["status"])

    op.create_table(
        "ticket_status_changes",
        _pk(),
        sa.Column(
            "ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_ticket_status_changes_ticket_id", "ticket_status_changes", ["ticket_id"])

    op.create_table(
        "audit_log",
        _pk(),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("entity_type", sa.String(30), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("field", sa.String(100)),
        sa.Column("old_value", sa.Text()),
        sa.Column("new_value", sa.Text()),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity_type", "entity_id"])

    op.create_table(
        "event_log",
        _pk(),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("call_id", sa.String(100)),
        sa.Column("agent_id", sa.String(100)),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_index("ix_event_log_type", "event_log", ["type"])
    op.create_index("ix_event_log_call_id", "event_log", ["call_id"])


def downgrade() -> None:
    for table in (
        "event_log",
        "audit_log",
        "ticket_status_changes",
        "tickets",
        "interactions",
        "contacts",
        "customer_phones",
        "customers",
    ):
        op.drop_table(table)
