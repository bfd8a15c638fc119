"""Alembic environment: runs on the connection handed over by ``crm_core.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

import crm_core.campaign_tables
import crm_core.eventlog
import crm_core.log_snapshots
import crm_core.models  # noqa: F401  (registers the tables on Base.metadata for autogenerate)
from crm_core.db import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    # `alembic -x` style use from a shell: sqlalchemy.url must be set in the config.
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), poolclass=pool.NullPool)
    with engine.begin() as conn:
        _run(conn)
