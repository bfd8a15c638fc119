"""What the ACD answers when a desk's command (ready, dispose, hold, transfer...) cannot be carried out."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from acd.agents import IllegalTransition
from acd.errors import AcdError


class AgentControlRefused(Exception):
    """The ACD refused a request (illegal state move, unknown agent or call); ``str()`` says why."""


@contextlib.contextmanager
def refused_by_core() -> Iterator[None]:
    """Turn the core's refusal of a request (unknown agent or call, illegal move) into
    :class:`AgentControlRefused`."""
    try:
        yield
    except (AcdError, IllegalTransition) as exc:
        raise AgentControlRefused(str(exc)) from exc
