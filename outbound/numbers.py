"""A dialable number: E.164 plus what ``phonenumbers`` knows about it, worked out once per lead.

:func:`parse_number` is the one place a lead's number is understood; every later decision reads the
resulting :class:`DialNumber` and never parses again (parsing costs tens of microseconds, a decision a few).

- ``digits`` is the E.164 number without its ``+`` as an integer: the key of every do-not-call list.
- ``region`` is the ISO 3166-1 country (``"US"``), ``subdivision`` the state or province when the
  geocoder names one the ``holidays`` library knows (``"FL"``), so calling windows and public holidays
  can follow state rules.
- ``time_zones`` are the IANA zones ``phonenumbers`` gives for the number: one for most fixed lines,
  several when the number's area spans zones (a US area code over two zones, a Russian or Australian
  mobile, which phonenumbers places anywhere in the country). An empty tuple means nothing is known, and
  the calling window then never opens (see :mod:`outbound.windows`).
"""

from __future__ import annotations

import dataclasses
import functools

import holidays
import phonenumbers
from phonenumbers import geocoder
from phonenumbers import timezone as phone_timezones


class NumberError(ValueError):
    """A lead's number cannot be dialled: it does not parse or is not a valid number."""


@dataclasses.dataclass(frozen=True, slots=True)
class DialNumber:
    """A valid phone number with the facts the eligibility rules need."""

    e164: str
    digits: int
    region: str | None
    subdivision: str | None
    kind: str
    time_zones: tuple[str, ...]

    @property
    def region_key(self) -> str | None:
        """``"US-FL"`` when the subdivision is known, else the region (the most specific override key)."""
        if self.region and self.subdivision:
            return f"{self.region}-{self.subdivision}"
        return self.region


def digits_of(e164: str) -> int:
    """The integer key of an E.164 string (``"+12125550100"`` -> ``12125550100``)."""
    return int(e164.lstrip("+"))


_KINDS: dict[int, str] = {
    value: name.lower() for name, value in vars(phonenumbers.PhoneNumberType).items() if name.isupper()
}


def kind_name(number_type: int) -> str:
    """``"mobile"``, ``"fixed_line"``...: the name of a ``phonenumbers.PhoneNumberType``."""
    return _KINDS.get(number_type, "unknown")


@functools.cache
def _subdivision_names(region: str) -> tuple[frozenset[str], dict[str, str]]:
    """The subdivision codes ``holidays`` knows for ``region`` and its name -> code aliases."""
    try:
        country = holidays.country_holidays(region)
    except NotImplementedError:
        return frozenset(), {}
    return frozenset(getattr(country, "subdivisions", ())), dict(getattr(country, "subdivisions_aliases", {}) or {})


def has_subdivisions(region: str | None) -> bool:
    """Whether ``holidays`` knows states or provinces of ``region`` (else a number's subdivision is None)."""
    return region is not None and bool(_subdivision_names(region)[0])


@functools.cache
def subdivision_named(description: str, region: str) -> str | None:
    """The subdivision code in a geocoder description ("Florida", "New York, NY") of a number of ``region``."""
    known, aliases = _subdivision_names(region)
    _, _, tail = description.rpartition(", ")
    for candidate in (tail, description, aliases.get(description), aliases.get(tail)):
        if candidate in known:
            return candidate
    return None


def _subdivision(number: phonenumbers.PhoneNumber, region: str | None) -> str | None:
    """The state/province the geocoder names, if ``holidays`` knows it."""
    if region is None or not has_subdivisions(region):
        return None
    return subdivision_named(geocoder.description_for_number(number, "en"), region)


def parse_number(text: str, default_region: str | None = None) -> DialNumber:
    """Parse ``text`` (E.164, or national in ``default_region``) into a :class:`DialNumber`.

    Raises :class:`NumberError` for text that is not a valid, dialable number.
    """
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise NumberError(f"{text!r} is not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise NumberError(f"{text!r} is not a valid number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    region = phonenumbers.region_code_for_number(number)
    zones = tuple(z for z in phone_timezones.time_zones_for_number(number) if z != phone_timezones.UNKNOWN_TIMEZONE)
    return DialNumber(
        e164=e164, digits=digits_of(e164), region=region, subdivision=_subdivision(number, region),
        kind=kind_name(phonenumbers.number_type(number)), time_zones=zones,
    )
