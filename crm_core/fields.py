"""Validation and normalisation of customer fields, shared by the service layer and the importer."""

from __future__ import annotations

import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from functools import cache

import phonenumbers

DEFAULT_REGION = "US"
MAX_NAME_LENGTH = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# BCP 47-ish: "en", "pt-BR", "zh-Hans-CN".
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class InvalidField(ValueError):
    """A field value cannot be accepted; ``field`` names it and the message says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """``raw`` as an E.164 number (``+15551234567``); national numbers are read in ``region``."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidField("phone", f"{raw!r} is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidField("phone", f"{raw!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def invalid_number_reason(e164: str, region: str) -> str | None:
    """Why a normalised number is not a number in service (``13800138001`` read in US gives the
    impossible ``+13800138001``), or None when ``phonenumbers`` knows it as valid."""
    number = phonenumbers.parse(e164)
    if phonenumbers.is_valid_number(number):
        return None
    country = phonenumbers.region_code_for_country_code(number.country_code or 0)
    return (f"{e164} is not a valid number for {country} (national numbers are read as {region}; "
            f"write it with its country code, e.g. +86)")


def try_normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """Like :func:`normalise_phone` but ``None`` for anything unusable (caller IDs such as "anonymous")."""
    try:
        return normalise_phone(raw, region)
    except InvalidField:
        return None


def normalise_email(raw: str) -> str:
    """``raw`` trimmed with its domain lower-cased; the local part's case is kept."""
    text = raw.strip()
    if not _EMAIL.match(text):
        raise InvalidField("email", f"{raw!r} is not an e-mail address")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_language(raw: str) -> str:
    """A language tag such as ``en`` or ``zh-CN``."""
    text = raw.strip().replace("_", "-")
    if not _LANGUAGE.match(text):
        raise InvalidField("language", f"{raw!r} is not a language tag")
    return text


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(raw: str) -> str:
    """An IANA time zone name such as ``Europe/Berlin``."""
    text = raw.strip()
    if text not in _time_zones():
        raise InvalidField("time_zone", f"{raw!r} is not an IANA time zone")
    return text


def parse_revenue_cents(raw: str | int | float | Decimal) -> int:
    """A non-negative money amount (``"1234.5"``, ``"1,234.50"``) in cents."""
    text = str(raw).strip().replace(",", "").replace("_", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidField("revenue", f"{raw!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidField("revenue", f"{raw!r} must be a non-negative amount")
    return int((amount * 100).to_integral_value())


def check_name(raw: str, field: str = "name") -> str:
    """A non-empty name of at most :data:`MAX_NAME_LENGTH` characters, blanks collapsed."""
    text = " ".join(raw.split())
    if not text:
        raise InvalidField(field, "is empty")
    if len(text) > MAX_NAME_LENGTH:
        raise InvalidField(field, f"is longer than {MAX_NAME_LENGTH} characters")
    return text
