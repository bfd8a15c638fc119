"""Shared builders for the ACD tests."""

from __future__ import annotations

from typing import Any

from acd.config import AcdConfig, load_config
from acd.core import Acd


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_acd(raw: dict[str, Any], clock: FakeClock | None = None) -> tuple[Acd, FakeClock]:
    clock = clock or FakeClock()
    config: AcdConfig = load_config(raw)
    return Acd(config, clock), clock


def agents(*specs: tuple[str, dict[str, int], list[str]]) -> list[dict[str, Any]]:
    return [{"id": a, "name": a, "phone": f"PJSIP/{a}", "skills": s, "queues": q} for a, s, q in specs]
