"""The clock every core is given instead of reading the wall clock itself."""

from __future__ import annotations

from collections.abc import Callable

#: Returns the current time as epoch seconds; ``time.time`` at the edges, a settable value in tests.
Clock = Callable[[], float]
