"""The report rollups' tables: counters per time bucket and dimensions, kept up to date as interaction
rows and agent states are written (what goes in them is :mod:`reports.rollups`' business).

Every table's primary key is ``grain, bucket`` and its dimensions, so an added contribution is one
upsert and a report reads a bucket range by the key's prefix. Dimensions are never NULL (``""`` for none),
which keeps the key unique.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, text

from crm_core.db import Base


def _rollup(name: str, dimensions: tuple[str, ...], counters: tuple[str, ...],
            added: tuple[str, ...] = ()) -> Table:
    """``added``: counters added since the table was made (0 in the rows that were there)."""
    return Table(
        name, Base.metadata,
        Column("grain", Integer, primary_key=True),  # seconds: 900 (quarter-hour) or 86400 (UTC day)
        Column("bucket", BigInteger, primary_key=True),  # epoch seconds of the bucket's start
        *(Column(d, String(100), primary_key=True) for d in dimensions),
        *(Column(c, Float, nullable=False) for c in counters),
        *(Column(c, Float, nullable=False, server_default=text("0")) for c in added),
    )


ROLLUP_QUEUE = _rollup("rollup_queue", ("direction", "queue", "campaign", "result"),
                       ("calls", "in_sl", "wait_sum", "handle_sum"), ("handled", "transfers", "consultations"))
ROLLUP_AGENT = _rollup("rollup_agent", ("direction", "queue", "campaign", "agent_id", "disposition"),
                       ("calls", "talk_sum", "hold_sum", "wrap_sum"), ("handled",))
ROLLUP_IVR = _rollup("rollup_ivr", ("outcome", "last_node"), ("calls",))
ROLLUP_AGENT_STATE = _rollup("rollup_agent_state", ("agent_id", "state", "reason"), ("seconds",))
# Each agent's current state since when: its stretch is added to rollup_agent_state when it ends.
ROLLUP_AGENT_OPEN = Table(
    "rollup_agent_open", Base.metadata,
    Column("agent_id", String(100), primary_key=True),
    Column("state", String(40), nullable=False),
    Column("reason", String(100), nullable=False),
    Column("since", Float, nullable=False),
)
# One agent's figures are read by agent first (the primary key leads with the time and the queue).
Index("ix_rollup_agent_agent", ROLLUP_AGENT.c.agent_id, ROLLUP_AGENT.c.grain, ROLLUP_AGENT.c.bucket)
Index("ix_rollup_agent_state_agent", ROLLUP_AGENT_STATE.c.agent_id, ROLLUP_AGENT_STATE.c.grain,
      ROLLUP_AGENT_STATE.c.bucket)
ROLLUP_TABLES = (ROLLUP_QUEUE, ROLLUP_AGENT, ROLLUP_IVR, ROLLUP_AGENT_STATE)
