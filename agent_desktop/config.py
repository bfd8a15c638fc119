"""Desktop settings drawn from the parsed ``callcenter.toml``: queues, their dispositions and targets, the
not-ready reasons an agent may pick, the time zone whose calendar day the wall's "today" is, and how often
one client address may load or post the login form."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from acd.agents import SYSTEM_PAUSE_REASONS
from acd.config import DEFAULT_PAUSE_REASONS
from agent_desktop.client_address import Network, parse_networks
from agent_desktop.wall import QueueTargets

# A whole call center behind one NAT address logs in at the start of a shift: leave room for it.
DEFAULT_LOGIN_REQUESTS_PER_MINUTE = 300


class DesktopConfigError(ValueError):
    """A ``[[queues]]``, ``[[agents]]``, ``[acd]``, ``[wall]`` or ``[web]`` entry holds a value the desktop
    cannot use."""


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
    time_zone: ZoneInfo | None = None  # None: the server's own zone
    login_requests_per_minute: int = DEFAULT_LOGIN_REQUESTS_PER_MINUTE  # per client address
    # Reverse proxies whose X-Forwarded-For names the client (see agent_desktop.client_address).
    trusted_proxies: tuple[Network, ...] = ()
    # The session cookie's Secure flag: "auto" (when the browser reached us over HTTPS, directly or through
    # a trusted proxy that says so in X-Forwarded-Proto), "always" (a TLS proxy that does not say) or "never".
    secure_cookies: str = "auto"


def _number(entry: Mapping[str, Any], key: str, default: float, where: str) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DesktopConfigError(f"{where}.{key}: expected a number, got {value!r}")
    return float(value)


def _pause_reasons(raw: Mapping[str, Any]) -> tuple[str, ...]:
    listed = _table(raw, "acd").get("pause_reasons", DEFAULT_PAUSE_REASONS)
    if not isinstance(listed, list | tuple) or not all(isinstance(r, str) and r for r in listed):
        raise DesktopConfigError("acd.pause_reasons: expected a list of non-empty strings")
    reasons = tuple(dict.fromkeys(r for r in listed if r not in SYSTEM_PAUSE_REASONS))  # config order kept
    if not reasons:
        raise DesktopConfigError("acd.pause_reasons: agents need at least one reason they may pick")
    return reasons


def _table(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    table = raw.get(name, {})
    if not isinstance(table, Mapping):
        raise DesktopConfigError(f"{name}: expected a table")
    return table


def _time_zone(raw: Mapping[str, Any]) -> ZoneInfo | None:
    name = _table(raw, "wall").get("time_zone")
    if name is None:
        return None
    if not isinstance(name, str) or not name:
        raise DesktopConfigError(f"wall.time_zone: expected an IANA time zone name such as Europe/Paris, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: not even shaped like a zone name
        raise DesktopConfigError(f"wall.time_zone: no time zone {name!r} (IANA names, e.g. Europe/Paris)") from None


def _login_requests_per_minute(raw: Mapping[str, Any]) -> int:
    value = _table(raw, "web").get("login_requests_per_minute", DEFAULT_LOGIN_REQUESTS_PER_MINUTE)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DesktopConfigError(f"web.login_requests_per_minute: expected a positive whole number, got {value!r}")
    return value


def _trusted_proxies(raw: Mapping[str, Any]) -> tuple[Network, ...]:
    values = _table(raw, "web").get("trusted_proxies", [])
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise DesktopConfigError("web.trusted_proxies: expected a list of addresses or networks")
    try:
        return parse_networks(values)
    except ValueError as exc:
        raise DesktopConfigError(f"web.trusted_proxies: {exc}") from None


SECURE_COOKIE_CHOICES = ("auto", "always", "never")


def _secure_cookies(raw: Mapping[str, Any]) -> str:
    value = _table(raw, "web").get("secure_cookies", "auto")
    if value is True or value is False:
        value = "always" if value else "never"
    if value not in SECURE_COOKIE_CHOICES:
        raise DesktopConfigError(f"web.secure_cookies: expected one of {', '.join(SECURE_COOKIE_CHOICES)}, "
                                 f"got {value!r}")
    return str(value)


def desktop_config_from_raw(raw: Mapping[str, Any]) -> DesktopConfig:
    """Read ``[[queues]]`` (``name``, ``dispositions``, ``service_level = {percent, seconds}`` as the
    ACD reads it), ``[[agents]]`` (``id``, ``name``, ``queues``), ``[acd] pause_reasons``,
    ``[wall] time_zone`` (an IANA name; the server's zone when absent) and ``[web]
    login_requests_per_minute`` (loads and posts of the login form per client address), ``trusted_proxies``
    (reverse proxies whose ``X-Forwarded-For`` names the client) and ``secure_cookies``."""
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
        alerts = entry.get("alerts", {})
        if not isinstance(alerts, Mapping):
            raise DesktopConfigError(f"{where}.alerts: expected a table {{longest_wait, service_level}}")
        alert_sl = alerts.get("service_level")
        targets[name] = QueueTargets(
            sl_seconds=_number(service_level, "seconds", 20.0, f"{where}.service_level"),
            sl_target=_number(service_level, "percent", 80.0, f"{where}.service_level") / 100.0,
            alert_wait_seconds=None if alerts.get("longest_wait") is None
            else _number(alerts, "longest_wait", 0.0, f"{where}.alerts"),
            alert_sl=None if alert_sl is None else _number(alerts, "service_level", 0.0, f"{where}.alerts") / 100.0,
        )
    memberships: dict[str, tuple[str, ...]] = {}
    names: dict[str, str] = {}
    for entry in raw.get("agents", ()) or ():
        agent_id = str(entry.get("id") or "")
        if not agent_id:
            continue
        names[agent_id] = str(entry.get("name") or agent_id)
        memberships[agent_id] = tuple(str(q) for q in entry.get("queues", ()) or ())
    return DesktopConfig(
        tuple(queues), dispositions, targets, memberships, names, _pause_reasons(raw), _time_zone(raw),
        _login_requests_per_minute(raw), _trusted_proxies(raw), _secure_cookies(raw),
    )
