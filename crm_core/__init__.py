"""CRM core: customers, contacts, interaction history, service tickets, audit log, tiers and the event log.

Everything is SQLAlchemy 2 over SQLite (default) or PostgreSQL; the schema is owned by the Alembic
migrations in ``crm_core/migrations`` and applied with :func:`crm_core.db.migrate`.
"""
