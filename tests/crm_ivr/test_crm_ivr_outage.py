"""The CRM as the IVR's directory while its database is out: look-ups say so at once instead of holding the call."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from callcenter.wiring import CrmDirectory
from crm_core import lookup
from crm_core.db import make_engine, make_session_factory, migrate
from ivr.directory import CustomerByCode, DirectoryUnavailable, FoundCustomer, look_up


def test_a_database_that_refuses_makes_look_ups_unavailable_not_empty() -> None:
    # Nothing listens on port 9 of loopback: the connection is refused.
    engine = make_engine("postgresql://postgres@127.0.0.1:9/nothing", connect_args={"connect_timeout": 1})
    directory = CrmDirectory(make_session_factory(engine))
    try:
        assert look_up(directory, CustomerByCode("100008")) == FoundCustomer(None, unavailable=True)
    finally:
        engine.dispose()


def test_while_a_look_up_hangs_the_next_ones_fail_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    migrate(engine)
    directory = CrmDirectory(make_session_factory(engine), stuck_after=0.2)
    release = threading.Event()

    def hanging(session: Session, code: str) -> None:
        release.wait(10)  # a database that stopped answering

    monkeypatch.setattr(lookup, "by_code", hanging)
    first = threading.Thread(target=directory.find_by_code, args=("100008",))
    first.start()
    try:
        time.sleep(0.3)
        began = time.monotonic()
        with pytest.raises(DirectoryUnavailable):
            directory.find_by_code("100016")
        assert time.monotonic() - began < 0.1
    finally:
        release.set()
        first.join()
        engine.dispose()
    assert directory.find_by_code("100016") is None  # answered again once nothing hangs
