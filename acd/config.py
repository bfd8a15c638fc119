"""ACD configuration: ``[acd]``, ``[[skills]]``, ``[[queues]]`` and ``[[agents]]`` of callcenter.toml.

Example::

    [acd]
    priority_weight = 60.0      # one priority step is worth a minute of waiting
    aging_weight = 1.0
    match_weight = 2.0          # one skill level above the minimum is worth 2 s of waiting
    pause_reasons = ["break", "lunch", "training"]

    [[skills]]
    name = "billing"

    [[queues]]
    name = "support"
    service_level = { percent = 80, seconds = 20 }
    max_length = 50
    wrap_up_seconds = 15
    timezone = "Europe/Berlin"
    hours = [{ days = "mon-fri", open = "08:00", close = "18:00" }]
    skills = { billing = 3 }
    escalation = [{ after = 60, lower = { billing = 1 } }, { after = 120, overflow = ["general"] }]
    alerts = { longest_wait = 60, service_level = 70 }  # the wall alerts past these (seconds, percent)

    [[agents]]
    id = "1001"
    name = "Ada"
    password = "secret"
    phone = "PJSIP/1001"
    skills = { billing = 7 }
    queues = ["support"]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from acd.agents import SYSTEM_PAUSE_REASONS
from acd.hours import HoursError, OpeningHours, parse_opening_hours
from asterisk_conf.dialstring import InvalidDialString, validate_dial_string

MIN_LEVEL = 1
MAX_LEVEL = 10
DEFAULT_PAUSE_REASONS = ("break", "lunch", "meeting", "training", "after_call")


class ConfigError(ValueError):
    """The ACD part of the configuration is wrong; the message names the entry and the problem."""


@dataclasses.dataclass(frozen=True, slots=True)
class RoutingWeights:
    """Weights of the one routing score: ``priority*p + aging*seconds_waited + match*skill_match``."""

    priority: float = 60.0
    aging: float = 1.0
    match: float = 2.0


@dataclasses.dataclass(frozen=True, slots=True)
class EscalationStep:
    """After ``after`` seconds of waiting: drop skills, lower minimum levels, and/or add overflow queues."""

    after: float
    drop: frozenset[str] = frozenset()
    lower: tuple[tuple[str, int], ...] = ()
    overflow: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class QueueConfig:
    """One queue. ``skills`` are the default requirements of its calls (a call may bring its own)."""

    name: str
    service_level_percent: float = 80.0
    service_level_seconds: float = 20.0
    max_length: int | None = None
    wrap_up_seconds: float = 0.0
    # How long an agent may stretch the wrap-up in all, counted from the end of the call.
    wrap_up_limit_seconds: float = 0.0
    expected_handle_seconds: float = 180.0
    hours: OpeningHours = dataclasses.field(default_factory=OpeningHours)
    skills: tuple[tuple[str, int], ...] = ()
    escalation: tuple[EscalationStep, ...] = ()
    dispositions: tuple[str, ...] = ()
    # The wall alerts when the longest wait passes this many seconds / the service level falls below this percent.
    alert_wait_seconds: float | None = None
    alert_service_level_percent: float | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class AgentConfig:
    """An agent as declared; ``password`` is kept as written (the web app hashes it)."""

    id: str
    name: str = ""
    password: str = ""
    phone: str = ""
    skills: tuple[tuple[str, int], ...] = ()
    queues: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class AcdConfig:
    """The whole ACD configuration."""

    queues: tuple[QueueConfig, ...] = ()
    agents: tuple[AgentConfig, ...] = ()
    skills: tuple[str, ...] = ()
    weights: RoutingWeights = dataclasses.field(default_factory=RoutingWeights)
    pause_reasons: frozenset[str] = frozenset(DEFAULT_PAUSE_REASONS)

    def queue(self, name: str) -> QueueConfig:
        for q in self.queues:
            if q.name == name:
                return q
        raise ConfigError(f"unknown queue {name!r}")


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a table, got {value!r}")
    return value


def _number(value: Any, where: str, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"{where}: expected a number >= {minimum:g}, got {value!r}")
    return float(value)


def _levels(value: Any, where: str, known_skills: set[str] | None) -> tuple[tuple[str, int], ...]:
    levels = []
    for skill, level in _table(value, where).items():
        if known_skills is not None and skill not in known_skills:
            raise ConfigError(f"{where}: unknown skill {skill!r}")
        if isinstance(level, bool) or not isinstance(level, int) or not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ConfigError(f"{where}: level of {skill!r} must be an integer {MIN_LEVEL}-{MAX_LEVEL}, "
                              f"got {level!r}")
        levels.append((str(skill), level))
    return tuple(sorted(levels))


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of names, got {value!r}")
    return tuple(value)


_QUEUE_KEYS = {"name", "service_level", "max_length", "wrap_up_seconds", "wrap_up_limit_seconds",
               "expected_handle_seconds",
               "timezone", "hours", "skills", "escalation", "dispositions", "alerts"}
_AGENT_KEYS = {"id", "name", "password", "phone", "skills", "queues"}


def _escalation(value: Any, where: str, skills: set[str] | None) -> tuple[EscalationStep, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list of steps")
    steps = []
    for i, raw in enumerate(value):
        here = f"{where}[{i}]"
        step = _table(raw, here)
        unknown = set(step) - {"after", "drop", "lower", "overflow"}
        if unknown:
            raise ConfigError(f"{here}: unknown keys {sorted(unknown)}")
        if "after" not in step:
            raise ConfigError(f"{here}: 'after' (seconds) is required")
        steps.append(EscalationStep(
            after=_number(step["after"], f"{here}.after"),
            drop=frozenset(_names(step.get("drop", []), f"{here}.drop")),
            lower=_levels(step.get("lower", {}), f"{here}.lower", skills),
            overflow=_names(step.get("overflow", []), f"{here}.overflow"),
        ))
    return tuple(sorted(steps, key=lambda s: s.after))


def _alerts(value: Any, where: str) -> tuple[float | None, float | None]:
    alerts = _table(value, where)
    unknown = set(alerts) - {"longest_wait", "service_level"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    wait = alerts.get("longest_wait")
    percent = alerts.get("service_level")
    if percent is not None and _number(percent, f"{where}.service_level") > 100:
        raise ConfigError(f"{where}.service_level: at most 100, got {percent!r}")
    return (None if wait is None else _number(wait, f"{where}.longest_wait", minimum=1.0),
            None if percent is None else float(percent))


def load_queue(raw: Any, i: int, skills: set[str] | None) -> QueueConfig:
    """One ``[[queues]]`` entry (the ``i``-th, for messages); overflow targets are checked by the caller."""
    entry = _table(raw, f"queues[{i}]")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"queues[{i}]: a queue needs a name")
    where = f"queue {name!r}"
    unknown = set(entry) - _QUEUE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    sl = _table(entry.get("service_level", {}), f"{where}.service_level")
    percent = _number(sl.get("percent", 80), f"{where}.service_level.percent")
    if percent > 100:
        raise ConfigError(f"{where}.service_level.percent: at most 100, got {percent:g}")
    max_length = entry.get("max_length")
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int)
                                   or max_length < 1):
        raise ConfigError(f"{where}.max_length: expected a positive integer, got {max_length!r}")
    try:
        hours = parse_opening_hours(str(entry.get("timezone", "UTC")), list(entry.get("hours", [])))
    except HoursError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    wrap_up = _number(entry.get("wrap_up_seconds", 0), f"{where}.wrap_up_seconds")
    # By default an agent may double the wrap-up time.
    wrap_up_limit = _number(entry.get("wrap_up_limit_seconds", 2 * wrap_up), f"{where}.wrap_up_limit_seconds")
    if wrap_up_limit < wrap_up:
        raise ConfigError(f"{where}.wrap_up_limit_seconds: at least wrap_up_seconds ({wrap_up:g}), "
                          f"got {wrap_up_limit:g}")
    alert_wait, alert_percent = _alerts(entry.get("alerts", {}), f"{where}.alerts")
    return QueueConfig(
        name=name,
        service_level_percent=percent,
        service_level_seconds=_number(sl.get("seconds", 20), f"{where}.service_level.seconds"),
        max_length=max_length,
        wrap_up_seconds=wrap_up,
        wrap_up_limit_seconds=wrap_up_limit,
        expected_handle_seconds=_number(entry.get("expected_handle_seconds", 180),
                                        f"{where}.expected_handle_seconds", minimum=1.0),
        hours=hours,
        skills=_levels(entry.get("skills", {}), f"{where}.skills", skills),
        escalation=_escalation(entry.get("escalation", []), f"{where}.escalation", skills),
        dispositions=_names(entry.get("dispositions", []), f"{where}.dispositions"),
        alert_wait_seconds=alert_wait, alert_service_level_percent=alert_percent,
    )


def _agent(raw: Any, i: int, skills: set[str] | None, queues: set[str]) -> AgentConfig:
    entry = _table(raw, f"agents[{i}]")
    agent_id = entry.get("id")
    if isinstance(agent_id, int) and not isinstance(agent_id, bool):
        agent_id = str(agent_id)
    if not isinstance(agent_id, str) or not agent_id:
        raise ConfigError(f"agents[{i}]: an agent needs an id")
    where = f"agent {agent_id!r}"
    unknown = set(entry) - _AGENT_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    phone = entry.get("phone", "")
    if not isinstance(phone, str):
        raise ConfigError(f"{where}.phone: expected a dial string, got {phone!r}")
    if phone:
        try:
            validate_dial_string(phone, f"{where}.phone")
        except InvalidDialString as exc:
            raise ConfigError(str(exc)) from None
    member_of = _names(entry.get("queues", []), f"{where}.queues")
    for q in member_of:
        if q not in queues:
            raise ConfigError(f"{where}: unknown queue {q!r}")
    return AgentConfig(
        id=agent_id,
        name=str(entry.get("name", "")),
        password=str(entry.get("password", "")),
        phone=phone,
        skills=_levels(entry.get("skills", {}), f"{where}.skills", skills),
        queues=member_of,
    )


def load_config(raw: Mapping[str, Any]) -> AcdConfig:
    """Turn the parsed TOML document into an :class:`AcdConfig`; raises :class:`ConfigError`."""
    skill_entries = raw.get("skills", [])
    declared: set[str] | None = None
    names: list[str] = []
    if skill_entries:
        for i, entry in enumerate(skill_entries):
            name = _table(entry, f"skills[{i}]").get("name")
            if not isinstance(name, str) or not name:
                raise ConfigError(f"skills[{i}]: a skill needs a name")
            names.append(name)
        declared = set(names)  # when skills are declared, every reference must name one of them
    queues = tuple(load_queue(q, i, declared) for i, q in enumerate(raw.get("queues", [])))
    queue_names = [q.name for q in queues]
    duplicates = {n for n in queue_names if queue_names.count(n) > 1}
    if duplicates:
        raise ConfigError(f"duplicate queue names: {sorted(duplicates)}")
    for q in queues:
        for step in q.escalation:
            for target in step.overflow:
                if target not in queue_names:
                    raise ConfigError(f"queue {q.name!r}: escalation overflows to unknown queue {target!r}")
    agents = tuple(_agent(a, i, declared, set(queue_names)) for i, a in enumerate(raw.get("agents", [])))
    agent_ids = [a.id for a in agents]
    duplicates = {n for n in agent_ids if agent_ids.count(n) > 1}
    if duplicates:
        raise ConfigError(f"duplicate agent ids: {sorted(duplicates)}")
    acd = _table(raw.get("acd", {}), "acd")
    weights = RoutingWeights(
        priority=_number(acd.get("priority_weight", 60.0), "acd.priority_weight"),
        aging=_number(acd.get("aging_weight", 1.0), "acd.aging_weight"),
        match=_number(acd.get("match_weight", 2.0), "acd.match_weight"),
    )
    reasons = frozenset(_names(acd.get("pause_reasons", list(DEFAULT_PAUSE_REASONS)), "acd.pause_reasons"))
    return AcdConfig(queues=queues, agents=agents, skills=tuple(names), weights=weights,
                     pause_reasons=reasons | SYSTEM_PAUSE_REASONS)
