"""The database fixtures: ``engine`` (SQLite and PostgreSQL) and ``session``."""

from tests.db_fixtures import engine, postgres_engine, session  # noqa: F401
