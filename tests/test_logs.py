"""JSON log lines carry the call a piece of work is about."""

from __future__ import annotations

import json
import logging

import pytest

from bus.context import about_call
from callcenter.logs import JsonLines, configure_logging


def _line(record: logging.LogRecord) -> dict[str, object]:
    return dict(json.loads(JsonLines().format(record)))


def test_a_line_within_a_call_names_it_and_others_do_not() -> None:
    logger = logging.getLogger("callcenter.test")
    with about_call("1700000000.42"):  # a handler formats the record where it was logged
        line = _line(logger.makeRecord("callcenter.test", logging.WARNING, __file__, 1, "caller %s waits",
                                       ("Renée",), None))
    outside = logger.makeRecord("callcenter.test", logging.INFO, __file__, 1, "idle", (), None)
    assert line["call_id"] == "1700000000.42" and line["message"] == "caller Renée waits"
    assert line["level"] == "warning" and line["logger"] == "callcenter.test"
    assert "call_id" not in _line(outside)


def test_an_exception_is_kept_in_the_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: boom" in str(_line(record)["exception"])


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log_format"):
        configure_logging(logging.INFO, "xml")
