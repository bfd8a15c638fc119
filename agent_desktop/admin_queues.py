"""The admin console's queues, skills and pause reasons: a queue as the admin API shows it (the shape of a
``[[queues]]`` entry of ``callcenter.toml``, so it is stored and re-read as one), and a queue, skill list or
pause-reason list as an admin sent it, checked field by field with translated messages."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from acd.config import ConfigError, QueueConfig, load_queue
from acd.hours import WEEKDAYS, OpeningHours
from agent_desktop.text_input import InvalidText
from agent_desktop.ui_text import UiText

#: The queue fields an admin may change; the name and the skills a call needs belong to the dialplan and IVR.
EDITABLE_QUEUE_FIELDS = ("service_level", "max_length", "wrap_up_seconds", "wrap_up_limit_seconds", "dispositions",
                         "escalation", "timezone", "hours", "alerts")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # dispositions, skills and pause reasons are code words
MAX_NAMES = 100


def _hours(hours: OpeningHours) -> list[dict[str, str]]:
    def hhmm(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"

    return [{"days": ",".join(WEEKDAYS[d] for d in sorted(r.days)), "open": hhmm(r.start), "close": hhmm(r.end)}
            for r in hours.ranges]


def queue_fields(q: QueueConfig) -> dict[str, Any]:
    """A queue as a ``[[queues]]`` entry (what the admin API shows, stores and audits)."""
    entry: dict[str, Any] = {
        "name": q.name,
        "service_level": {"percent": q.service_level_percent, "seconds": q.service_level_seconds},
        "wrap_up_seconds": q.wrap_up_seconds, "wrap_up_limit_seconds": q.wrap_up_limit_seconds,
        "expected_handle_seconds": q.expected_handle_seconds,
        "timezone": q.hours.timezone, "hours": _hours(q.hours), "skills": dict(q.skills),
        "escalation": [
            {"after": s.after, "drop": sorted(s.drop), "lower": dict(s.lower), "overflow": list(s.overflow)}
            for s in q.escalation
        ],
        "dispositions": list(q.dispositions),
        "alerts": {k: v for k, v in (("longest_wait", q.alert_wait_seconds),
                                     ("service_level", q.alert_service_level_percent)) if v is not None},
    }
    if q.max_length is not None:
        entry["max_length"] = q.max_length
    return entry


def _number(value: Any, field: str, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low or (
            high is not None and value > high):
        if high is None:
            raise InvalidText(field, UiText("expected a number of at least %(low)s", low=low))
        raise InvalidText(field, UiText("expected a number from %(low)s to %(high)s", low=low, high=high))
    return float(value)


def code_words(value: Any, field: str, *, at_least: int = 0) -> list[str]:
    """A list of code words (lower-case letters, digits, '_' and '-'), each once, in the order given."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > MAX_NAMES:
        raise InvalidText(field, UiText("expected a list of at most %(limit)s names", limit=MAX_NAMES))
    for word in value:
        if not _CODE.match(word):
            raise InvalidText(field, UiText("%(word)s: lower-case letters, digits, '_' and '-' only",
                                            word=word[:64]))
    words = list(dict.fromkeys(value))
    if len(words) < at_least:
        raise InvalidText(field, UiText("name at least one"))
    return words


def _checked(field: str, value: Any) -> Any:
    """The checks whose messages are translated; what they let through, the ACD's own parser judges."""
    if field == "service_level":
        if not isinstance(value, Mapping):
            raise InvalidText(field, UiText("expected percent and seconds"))
        return {"percent": _number(value.get("percent"), "service_level.percent", 0, 100),
                "seconds": _number(value.get("seconds"), "service_level.seconds", 1)}
    if field in ("wrap_up_seconds", "wrap_up_limit_seconds"):
        return _number(value, field, 0, 86_400)
    if field == "max_length":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidText(field, UiText("expected a whole number of at least 1"))
        return value
    if field == "dispositions":
        return code_words(value, field)
    if field == "alerts":
        if not isinstance(value, Mapping):
            raise InvalidText(field, UiText("expected longest_wait and service_level"))
        alerts = {}
        if value.get("longest_wait") is not None:
            alerts["longest_wait"] = _number(value["longest_wait"], "alerts.longest_wait", 1)
        if value.get("service_level") is not None:
            alerts["service_level"] = _number(value["service_level"], "alerts.service_level", 0, 100)
        return alerts
    if field == "timezone":
        if not isinstance(value, str) or not 0 < len(value) <= 64:
            raise InvalidText(field, UiText("expected a time zone name such as Europe/Berlin"))
        return value
    if field == "hours":
        if not _list_of(value, lambda r: _has_text(r, ("days", "open", "close"))):
            raise InvalidText(field, UiText("expected a list of ranges, each with days, open and close"))
        return value
    if field == "escalation":
        if not _list_of(value, _step_shape):
            raise InvalidText(field, UiText("expected a list of steps, each with after (seconds) and drop, lower "
                                            "or overflow"))
        return value
    return value


def _list_of(value: Any, shape: Callable[[Any], bool]) -> bool:
    return isinstance(value, list) and len(value) <= MAX_NAMES and all(shape(v) for v in value)


def _has_text(value: Any, keys: Sequence[str]) -> bool:
    return isinstance(value, Mapping) and all(isinstance(value.get(k), str) and len(value[k]) <= 64 for k in keys)


def _step_shape(step: Any) -> bool:
    def names(v: Any) -> bool:
        return _list_of(v, lambda n: isinstance(n, str) and len(n) <= 64)

    return isinstance(step, Mapping) and isinstance(step.get("after"), int | float) \
        and not isinstance(step.get("after"), bool) and names(step.get("drop", [])) \
        and names(step.get("overflow", [])) and isinstance(step.get("lower", {}), Mapping)


def read_queue(body: Mapping[str, Any], current: QueueConfig, queues: Sequence[str],
               skills: Sequence[str]) -> tuple[QueueConfig, dict[str, Any]]:
    """``current`` with the fields ``body`` changes, as the ACD will route it and as its ``[[queues]]`` entry;
    :class:`InvalidText` names the first wrong field."""
    entry = queue_fields(current)
    for field in EDITABLE_QUEUE_FIELDS:
        if field == "max_length" and field in body and body[field] is None:
            entry.pop(field, None)  # no limit
        elif field in body:
            entry[field] = _checked(field, body[field])
    if "wrap_up_seconds" in body and "wrap_up_limit_seconds" not in body:
        entry["wrap_up_limit_seconds"] = max(entry["wrap_up_limit_seconds"], entry["wrap_up_seconds"])
    try:
        config = load_queue(entry, 0, set(skills) if skills else None)
    except ConfigError as exc:
        # Hours, time zone and escalation steps: the parser's own words say what is wrong.
        field = next((f for f in ("escalation", "wrap_up_limit_seconds") if f".{f}" in str(exc)),
                     "timezone" if "time zone" in str(exc) else "hours")
        raise InvalidText(field, UiText("not valid: %(detail)s", detail=str(exc))) from None
    for step in config.escalation:
        for target in step.overflow:
            if target not in queues:
                raise InvalidText("escalation", UiText("unknown queue %(queue)s", queue=target[:64]))
    return config, queue_fields(config)
