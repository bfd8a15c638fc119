"""The national do-not-call registry in memory: a sorted sequence of 64-bit number keys.

Ten million numbers or more must fit and be looked up fast, so the registry is not a Python set (which
would take over half a gigabyte) but a sorted run of signed 64-bit integers (the E.164 digits, see
:attr:`DialNumber.digits`): 8 bytes a number, looked up by binary search in about a microsecond. The
sequence is an ``array('q')`` or a memory-mapped file cast to ``'q'`` (:mod:`outbound.registry_file`
builds and maps the file); this module only reads it.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Sequence


class NationalRegistry:
    """Sorted, duplicate-free number keys; ``digits in registry`` is a binary search."""

    def __init__(self, keys: Sequence[int], *, name: str = "national registry") -> None:
        self._keys = keys
        self.name = name

    @classmethod
    def from_numbers(cls, digits: Iterable[int], *, name: str = "national registry") -> NationalRegistry:
        """A registry held in memory from any iterable of number keys (sorted and de-duplicated here)."""
        return cls(array("q", sorted(set(digits))), name=name)

    def __contains__(self, digits: object) -> bool:
        if not isinstance(digits, int):
            return False
        keys = self._keys
        i = bisect.bisect_left(keys, digits)
        return i < len(keys) and keys[i] == digits

    def __len__(self) -> int:
        return len(self._keys)
