"""Settings: ``callcenter.toml``, overridden by ``CALLCENTER_*`` environment variables, then by flags."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The after-call seconds of an answered call placed by hand (``manual_wrap_up_seconds``), and what it may be set to.
MANUAL_WRAP_UP_SECONDS = 60
MANUAL_WRAP_UP_RANGE = (5, 3600)


class SettingsError(ValueError):
    """The configuration file or an environment variable holds a value we cannot use."""


@dataclasses.dataclass(slots=True)
class Settings:
    """Everything a node needs to start. ``ami_host`` empty means: run the embedded PBX simulator."""

    db_url: str = "sqlite:///var/callcenter.sqlite3"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    ami_host: str = ""
    ami_port: int = 5038
    ami_user: str = "callcenter"
    ami_secret: str = "callcenter"
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    # Comma-separated addresses/CIDRs the FastAGI server accepts connections from (where Asterisk runs).
    agi_allow: str = "127.0.0.1/32,::1/128"
    redis_url: str = ""
    # How call-backs reach customers: a dial string with {number}, e.g. "PJSIP/{number}@provider" (rendered
    # by ``callcenter asterisk-config`` into [callcenter-outbound]); empty: no call-backs through a trunk.
    trunk: str = ""
    # How long a customer's phone rings for a call-back or a campaign's dial (15-120 s; see asterisk_conf.site).
    ring_seconds: int = 30
    # How long an agent may wrap up a call they placed by hand (answered) before they are ready again
    # (MANUAL_WRAP_UP_RANGE); a disposition saved later is still kept.
    manual_wrap_up_seconds: int = MANUAL_WRAP_UP_SECONDS
    # With Redis, one node leads the ACD; the lead is a lease of this many seconds, renewed every third of it
    # while alive (a standby takes over at most this long after a leader dies, and a leader cut off from
    # Redis steps down within 0.8 of it).
    leader_ttl: int = 2
    # The operations listener (/healthz, /readyz, /metrics): -1 means http_port + 1 (any free port when
    # http_port is 0).
    ops_host: str = "127.0.0.1"
    ops_port: int = -1
    log_format: str = "text"  # or "json": one object per line, with the call id
    data_dir: str = "var"
    demo: bool = False
    # The parsed TOML file, for sections other packages own ([[queues]], [[agents]], ...).
    raw: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def ops_listen_port(self) -> int:
        """The operations listener's port as configured (see ``ops_port``)."""
        if self.ops_port >= 0:
            return self.ops_port
        return 0 if self.http_port == 0 else self.http_port + 1

    @property
    def simulated_pbx(self) -> bool:
        """Whether the node runs the embedded PBX simulator rather than talking to a real Asterisk."""
        return not self.ami_host


def _coerce(name: str, value: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"{name}: expected a boolean, got {value!r}")
    if kind is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{name}: expected an integer, got {value!r}") from None
    return str(value)


_KINDS: dict[str, type] = {"int": int, "bool": bool, "str": str}


def load_settings(
    path: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read ``path`` (default ``./callcenter.toml`` if present), then the environment, then ``overrides``."""
    env = os.environ if environ is None else environ
    file_path = Path(path or env.get("CALLCENTER_CONFIG", "callcenter.toml"))
    raw: dict[str, Any] = {}
    if file_path.exists():
        try:
            raw = tomllib.loads(file_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{file_path}: {exc}") from None
    elif path is not None:
        raise SettingsError(f"{file_path}: no such file")
    settings = Settings(raw=raw)
    section = raw.get("callcenter", {})
    for f in dataclasses.fields(Settings):
        if f.name == "raw":
            continue
        kind = _KINDS[str(f.type)]
        if f.name in section:
            setattr(settings, f.name, _coerce(f.name, section[f.name], kind))
        env_name = f"CALLCENTER_{f.name.upper()}"
        if env_name in env:
            setattr(settings, f.name, _coerce(env_name, env[env_name], kind))
        if overrides and overrides.get(f.name) is not None:
            setattr(settings, f.name, _coerce(f.name, overrides[f.name], kind))
    return settings
