"""Database fixtures of the CRM tests, reused here so every ``engine`` test runs on SQLite and PostgreSQL.

tests/crm/conftest.py is not importable as a module (test folders are not packages), so it is loaded
from its file; its ``postgres_engine`` skips with the reason when PostgreSQL is down.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_CRM_CONFTEST = Path(__file__).parents[1] / "crm" / "conftest.py"
_spec = importlib.util.spec_from_file_location("crm_db_fixtures", _CRM_CONFTEST)
assert _spec is not None and _spec.loader is not None
_crm_db_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_crm_db_fixtures)

engine = _crm_db_fixtures.engine
postgres_engine = _crm_db_fixtures.postgres_engine
session = _crm_db_fixtures.session
