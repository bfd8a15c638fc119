"""The call a piece of work is about, carried by asyncio's context so every log line can name it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

current_call: ContextVar[str | None] = ContextVar("current_call", default=None)


@contextlib.contextmanager
def about_call(call_id: str | None) -> Iterator[None]:
    """Within the block (and tasks it starts), log lines carry ``call_id``."""
    token = current_call.set(call_id)
    try:
        yield
    finally:
        current_call.reset(token)
