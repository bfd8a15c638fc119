"""The real-Asterisk speech tests start Asterisk with ``tests/asterisk_conf/real_asterisk.py``; test folders are
not packages, so that folder is put on the import path here."""

from __future__ import annotations

import sys
from pathlib import Path

_ASTERISK_CONF_TESTS = str(Path(__file__).resolve().parents[1] / "asterisk_conf")
if _ASTERISK_CONF_TESTS not in sys.path:
    sys.path.append(_ASTERISK_CONF_TESTS)
