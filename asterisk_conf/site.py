"""The per-site values the shipped Asterisk configuration is rendered with, validated on creation.

Every value lands inside an Asterisk config file, where a line break starts a new line, ``;`` starts a
comment and ``[`` at a line start opens a section. Values are therefore checked against narrow
grammars (host name, port, CIDR, user name) and refused with :class:`SiteValueError` otherwise.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re

from asterisk_conf.dialstring import InvalidDialString, validate_dial_string


class SiteValueError(ValueError):
    """A site value would break, or inject into, the rendered Asterisk configuration."""


# RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(\.{_LABEL})*\Z")
# The AMI user becomes a section name in manager.conf.
_AMI_USER = re.compile(r"[A-Za-z0-9_.@-]{1,64}\Z")
# manager.conf's own section; a user of that name would merge into it.
_RESERVED_USERS = frozenset({"general"})
# Printable ASCII without the characters that end a value or open a comment/section in a config file.
_SECRET_FORBIDDEN = frozenset(";[]\\")


def _describe(value: str) -> str:
    return repr(value) if len(value) <= 80 else repr(value[:77] + "...")


def _check_no_line_breaks(field: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise SiteValueError(f"{field}: line breaks are not allowed (they would start a new config line)")


def validate_host(field: str, value: str) -> str:
    """Return ``value`` if it is an IP literal or an RFC 1123 host name, else raise."""
    _check_no_line_breaks(field, value)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if not _HOSTNAME.match(value):
        raise SiteValueError(f"{field}: {_describe(value)} is neither an IP address nor a host name")
    return value


def validate_port(field: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise SiteValueError(f"{field}: {value!r} is not a TCP port (1-65535)")
    return value


def validate_ami_user(value: str) -> str:
    _check_no_line_breaks("ami_user", value)
    if not _AMI_USER.match(value):
        raise SiteValueError(
            f"ami_user: {_describe(value)} must be 1-64 letters, digits or . _ @ - "
            "(it is a manager.conf section)"
        )
    if value.lower() in _RESERVED_USERS:
        raise SiteValueError(f"ami_user: {value!r} is manager.conf's own section name")
    return value


def validate_secret(value: str) -> str:
    _check_no_line_breaks("ami_secret", value)
    if not value:
        raise SiteValueError("ami_secret: must not be empty")
    bad = sorted({c for c in value if not " " <= c <= "~" or c in _SECRET_FORBIDDEN})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise SiteValueError(f"ami_secret: characters not allowed in a config value: {shown}")
    if value != value.strip():
        raise SiteValueError("ami_secret: leading or trailing spaces would be stripped by Asterisk")
    return value


def validate_permit(value: str) -> str:
    """Return the network ``value`` (``addr`` or ``addr/prefix``) in canonical CIDR form, else raise."""
    _check_no_line_breaks("ami_permit", value)
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        message = f"ami_permit: {_describe(value)} is not an IP network such as 10.0.0.5/32"
        raise SiteValueError(message) from None


NUMBER_PLACEHOLDER = "{number}"


def validate_trunk(value: str) -> str:
    """Return ``value`` if it is a dial string with one ``{number}`` (the number to call), else raise.

    Examples: ``PJSIP/{number}@provider``, ``SIP/provider/{number}``, ``DAHDI/g1/{number}``.
    """
    _check_no_line_breaks("trunk", value)
    if value.count(NUMBER_PLACEHOLDER) != 1:
        raise SiteValueError(f"trunk: {_describe(value)} needs {NUMBER_PLACEHOLDER} exactly once, "
                             "e.g. PJSIP/{number}@provider")
    try:
        validate_dial_string(value.replace(NUMBER_PLACEHOLDER, "0"), "trunk")
    except InvalidDialString as exc:
        raise SiteValueError(str(exc)) from None
    return value


MIN_RING_SECONDS, MAX_RING_SECONDS = 15, 120


def validate_ring_seconds(value: int) -> int:
    """Return ``value`` if it is a whole number of seconds a customer's phone may ring, else raise."""
    if isinstance(value, bool) or not isinstance(value, int) \
            or not MIN_RING_SECONDS <= value <= MAX_RING_SECONDS:
        raise SiteValueError(f"ring_seconds: {value!r} must be {MIN_RING_SECONDS}-{MAX_RING_SECONDS} whole seconds")
    return value


def _ip_url_host(host: str) -> str:
    """A host as written inside a URL: IPv6 literals go in brackets."""
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SiteConfig:
    """Values for one site. Construction validates (and canonicalises) every field.

    ``agi_host``/``agi_port``: where Asterisk reaches our FastAGI server. ``ami_bind``/``ami_port``:
    where Asterisk's manager interface listens. ``ami_permit``: networks allowed to log in as ``ami_user``.
    ``trunk``: how call-backs reach customers, a dial string with ``{number}`` (see :func:`validate_trunk`);
    without one no ``[callcenter-outbound]`` context is rendered and call-backs cannot be dialled.
    ``ring_seconds``: how long a customer's phone rings there (:data:`MIN_RING_SECONDS` to
    :data:`MAX_RING_SECONDS`; shorter rings hang up on people still reaching for the phone).
    """

    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    ami_bind: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "callcenter"
    ami_secret: str = "callcenter"
    ami_permit: tuple[str, ...] = ("127.0.0.1/32",)
    trunk: str | None = None
    ring_seconds: int = 30

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "agi_host", validate_host("agi_host", self.agi_host))
        set_(self, "agi_port", validate_port("agi_port", self.agi_port))
        bind = validate_host("ami_bind", self.ami_bind)
        try:
            ipaddress.ip_address(bind)
        except ValueError:
            raise SiteValueError(
                f"ami_bind: {bind!r} must be an IP address Asterisk can bind to (--ami-bind)"
            ) from None
        set_(self, "ami_bind", bind)
        set_(self, "ami_port", validate_port("ami_port", self.ami_port))
        set_(self, "ami_user", validate_ami_user(self.ami_user))
        set_(self, "ami_secret", validate_secret(self.ami_secret))
        if not self.ami_permit:
            raise SiteValueError("ami_permit: at least one network must be allowed to log in")
        set_(self, "ami_permit", tuple(dict.fromkeys(validate_permit(p) for p in self.ami_permit)))
        if self.trunk is not None:
            validate_trunk(self.trunk)
        validate_ring_seconds(self.ring_seconds)

    @property
    def agi_url(self) -> str:
        """Base FastAGI URL without a script path, e.g. ``agi://127.0.0.1:4573``."""
        return f"agi://{_ip_url_host(self.agi_host)}:{self.agi_port}"

    @property
    def trunk_dial(self) -> str | None:
        """``trunk`` as Dial() data in the outbound context, the number being the dialled extension."""
        return None if self.trunk is None else self.trunk.replace(NUMBER_PLACEHOLDER, "${EXTEN}")


def site_for_node(
    *,
    agi_host: str,
    agi_port: int,
    ami_bind: str,
    ami_port: int,
    ami_user: str,
    ami_secret: str,
    trunk: str | None = None,
    ami_permit: list[str] | None = None,
    ring_seconds: int = 30,
) -> SiteConfig:
    """Site values for a node whose FastAGI server is at ``agi_host``.

    Without ``ami_permit``, Asterisk's manager admits logins only from ``agi_host``, the address of the
    node running our FastAGI server; when that is a host name rather than an address, ``ami_permit`` must
    be given.
    """
    if ami_permit is None:
        try:
            ami_permit = [str(ipaddress.ip_network(agi_host))]
        except ValueError:
            raise SiteValueError(
                f"ami_permit: agi_host {_describe(agi_host)} is not an IP address; give the network our node "
                "connects from (--ami-permit CIDR)"
            ) from None
    return SiteConfig(
        agi_host=agi_host, agi_port=agi_port, ami_bind=ami_bind, ami_port=ami_port, ami_user=ami_user,
        ami_secret=ami_secret, ami_permit=tuple(ami_permit), trunk=trunk or None,
        ring_seconds=ring_seconds,
    )
