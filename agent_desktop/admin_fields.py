"""The text fields of the admin console's requests, with their limits (agents' ids and names, dial strings,
passwords, account ids)."""

from __future__ import annotations

from agent_desktop.text_input import TextField

NEW_AGENT_ID = TextField("id", 64, min_length=1, strip=True)
AGENT_NAME = TextField("name", 100, min_length=1, strip=True)
DIAL_STRING = TextField("phone", 100, min_length=1, strip=True)
NEW_PASSWORD = TextField("password", 1024, min_length=8)
OLD_PASSWORD = TextField("old_password", 1024, min_length=1)
CHANGED_PASSWORD = TextField("new_password", 1024, min_length=8)
ACCOUNT_ID = TextField("account_id", 128, min_length=1)
SKILL_OR_QUEUE = TextField("name", 64, min_length=1)
