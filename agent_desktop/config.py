"""Desktop settings drawn from the parsed ``callcenter.toml``: queues, their dispositions and targets, and
the not-ready reasons an agent may pick."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from acd.agents import SYSTEM_PAUSE_REASONS
from acd.config import DEFAULT_PAUSE_REASONS
from agent_desktop.wall import QueueTargets


class DesktopConfigError(ValueError):
    """A ``[[queues]]``, ``[[agents]]`` or ``[acd]`` entry holds a value the desktop cannot use."""


@dataclasses.dataclass(frozen=True, slots=True)
class DesktopConfig:
    """What the pages need to know about queues and agents beyond the event stream."""

    queues: tuple[str, ...] = ()
    dispositions: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    targets: Mapping[str, QueueTargets] = dataclasses.field(default_factory=dict)
    memberships: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    agent_names: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # The ACD's own reasons (missed, busy, failed) are set by the ACD, never picked by a person.
    pause_reasons: tuple[str, ...] = tuple(r for r in DEFAULT_PAUSE_REASONS if r not in SYSTEM_PAUSE_REASONS)


def _number(entry: Mapping[str, Any], key: str, default: float, where: str) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DesktopConfigError(f"{where}.{key}: expected a number, got {value!r}")
    return float(value)


def _pause_reasons(raw: Mapping[str, Any]) -> tuple[str, ...]:
    acd = raw.get("acd", {})
    if not isinstance(acd, Mapping):
        raise DesktopConfigError("acd: expected a table")
    listed = acd.get("pause_reasons", DEFAULT_PAUSE_REASONS)
    if not isinstance(listed, list | tuple) or not all(isinstance(r, str) and r for r in listed):
        raise DesktopConfigError("acd.pause_reasons: expected a list of non-empty strings")
    reasons = tuple(dict.fromkeys(r for r in listed if r not in SYSTEM_PAUSE_REASONS))  # config order kept
    if not reasons:
        raise DesktopConfigError("acd.pause_reasons: agents need at least one reason they may pick")
    return reasons


def desktop_config_from_raw(raw: Mapping[str, Any]) -> DesktopConfig:
    """Read ``[[queues]]`` (``name``, ``dispositions``, ``service_level = {percent, seconds}`` as the
    ACD reads it), ``[[agents]]`` (``id``, ``name``, ``queues``) and ``[acd] pause_reasons``."""
    queues: list[str] = []
    dispositions: dict[str, tuple[str, ...]] = {}
    targets: dict[str, QueueTargets] = {}
    for index, entry in enumerate(raw.get("queues", ()) or ()):
        where = f"queues[{index}]"
        name = str(entry.get("name") or "")
        if not name:
            raise DesktopConfigError(f"{where}: name is required")
        queues.append(name)
        codes = entry.get("dispositions")
        if codes is not None:
            if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
                raise DesktopConfigError(f"{where}.dispositions: expected a list of non-empty strings")
            dispositions[name] = tuple(codes)
        service_level = entry.get("service_level", {})
        if not isinstance(service_level, Mapping):
            raise DesktopConfigError(f"{where}.service_level: expected a table {{percent, seconds}}")
        targets[name] = QueueTargets(
            sl_seconds=_number(service_level, "seconds", 20.0, f"{where}.service_level"),
            sl_target=_number(service_level, "percent", 80.0, f"{where}.service_level") / 100.0,
        )
    memberships: dict[str, tuple[str, ...]] = {}
    names: dict[str, str] = {}
    for entry in raw.get("agents", ()) or ():
        agent_id = str(entry.get("id") or "")
        if not agent_id:
            continue
        names[agent_id] = str(entry.get("name") or agent_id)
        memberships[agent_id] = tuple(str(q) for q in entry.get("queues", ()) or ())
    return DesktopConfig(tuple(queues), dispositions, targets, memberships, names, _pause_reasons(raw))
