"""Typed reading of a flow file's YAML mappings: a problem is recorded with where it is, never raised."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

NAME = re.compile(r"[a-z][a-z0-9_]{0,47}\Z")  # node, variable and prompt-set names


class Fields:
    """Typed access to a YAML mapping that records problems instead of raising."""

    def __init__(self, raw: Mapping[Any, Any], where: str, problems: list[str]) -> None:
        self.raw = raw
        self.where = where
        self.problems = problems
        self.used: set[str] = set()

    def problem(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}")

    def get(self, key: str) -> Any:
        self.used.add(key)
        return self.raw.get(key)

    def text(self, key: str, *, default: str | None = None, required: bool = True) -> str | None:
        value = self.get(key)
        if value is None:
            if default is None and required:
                self.problem(f"missing '{key}'")
            return default
        if not isinstance(value, str) or not value:
            self.problem(f"'{key}' must be a non-empty string, got {value!r}")
            return default
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(f"'{key}' must be an integer from {low} to {high}, got {value!r}")
            return default
        return value

    def mapping(self, key: str, *, required: bool = False) -> dict[Any, Any]:
        value = self.get(key)
        if value is None:
            if required:
                self.problem(f"missing '{key}'")
            return {}
        if not isinstance(value, dict):
            self.problem(f"'{key}' must be a mapping")
            return {}
        return value

    def int_map(self, key: str, low: int, high: int) -> dict[str, int]:
        result: dict[str, int] = {}
        for name, value in self.mapping(key).items():
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                self.problem(f"'{key}': '{name}' must be an integer from {low} to {high}, got {value!r}")
            else:
                result[str(name)] = value
        return result

    def reject_unknown(self, allowed: Iterable[str] | None = None) -> None:
        known = set(allowed) if allowed is not None else self.used
        unknown = sorted(str(k) for k in self.raw if k not in known)
        if unknown:
            self.problem(f"unknown field(s) {', '.join(unknown)}")
