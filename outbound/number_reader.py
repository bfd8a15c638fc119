"""Reading a list's numbers fast: :class:`NumberReader` gives exactly what :func:`parse_number` gives.

``parse_number`` goes through ``phonenumbers``' general entry points, 60-130 µs a number: too slow for a
million rows. The numbers in a list are plain, though ("+8613800138000", "138 0013 8000",
"(212) 555-0100", "010-6552 9988"): once the separators are gone they are digits with perhaps a ``+``.
For such text the reader takes the steps ``phonenumbers`` takes, on the digits alone, with each
region's patterns compiled once (:class:`_Plan`):

1. Country code: after a ``+``, the first one to three digits that name one. A national number is in the
   default region; if it starts with that region's country code and only the rest fits the region's
   numbering plan (or the whole is too long for it), the code is taken off.
2. National prefix (``0``, NANP's ``1``, carrier codes): taken off when the region's parsing pattern
   matches the start, unless that leaves a number the plan does not allow where the whole was allowed,
   or one of a length the plan does not dial.
3. Region and type: the first region of the country code whose leading digits match, or whose patterns
   accept the number; the type is the first type pattern (premium rate ... voicemail, then fixed line and
   mobile) the number matches. A number of no type is not valid.
4. Time zones and the geocoder's description (for the subdivision) from ``phonenumbers``' prefix tables,
   longest prefix first, as ``phonenumbers`` looks them up.

Whatever this path does not cover goes to ``parse_number`` itself: letters, extensions, a leading
international call prefix (``00``, ``011``), a national prefix rule that rewrites digits, non-geographic
country codes, Argentina's mobile token, a description that falls back to the name of one of several
regions sharing a country code. The tests hold the reader to ``parse_number`` over numbers of every region.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import phonenumbers
from phonenumbers import PhoneNumberType, geocoder
from phonenumbers import timezone as phone_timezones
from phonenumbers.geodata import GEOCODE_DATA, GEOCODE_LONGEST_PREFIX
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from outbound.numbers import DialNumber, NumberError, has_subdivisions, kind_name, parse_number, subdivision_named

_SEPARATORS = str.maketrans("", "", " -.()/\t\u00a0")
_PLAIN = re.compile(r"\+?[0-9]{3,17}", re.ASCII)
_MIN_NATIONAL, _MAX_NATIONAL = 2, 17
_UNKNOWN_ZONE = phone_timezones.UNKNOWN_TIMEZONE
# The order phonenumbers tries the types in before fixed line and mobile.
_SPECIAL_TYPES = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE), ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST), ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER), ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN), ("voicemail", PhoneNumberType.VOICEMAIL),
)
_TOO_SHORT, _POSSIBLE, _LOCAL_ONLY, _TOO_LONG, _INVALID_LENGTH = range(5)


class _SlowPath(Exception):
    """The text is outside what the reader follows; ``parse_number`` decides."""


# A number description of a region: the national lengths it allows (empty: any) and its pattern's fullmatch.
_Desc = tuple[frozenset[int], Callable[[str], "re.Match[str] | None"] | None]


def _desc(desc: phonenumbers.PhoneNumberDesc | None) -> _Desc | None:
    if desc is None:
        return None
    text = desc.national_number_pattern
    return frozenset(desc.possible_length or ()), re.compile(text).fullmatch if text else None


def _fits(desc: _Desc | None, national: str) -> bool:
    """Length allowed and pattern matched (phonenumbers' test of a number against a type)."""
    if desc is None:
        return False
    lengths, match = desc
    if lengths and len(national) not in lengths:
        return False
    return match is not None and match(national) is not None


class _Plan:
    """A region's numbering plan, compiled for :class:`NumberReader`."""

    def __init__(self, region: str, metadata: phonenumbers.PhoneMetadata) -> None:
        self.region = region
        self.country_code = int(metadata.country_code or 0)
        general = metadata.general_desc
        assert general is not None, "every region's metadata has a general description"
        self.general_pattern = re.compile(general.national_number_pattern) if general.national_number_pattern else None
        self.general = _desc(general)
        self.lengths = tuple(general.possible_length or ())
        self.local_lengths = frozenset(general.possible_length_local_only or ())
        self.special = [(kind, desc) for name, kind in _SPECIAL_TYPES
                        if (desc := _desc(getattr(metadata, name))) is not None]
        self.fixed = _desc(metadata.fixed_line)
        self.mobile = _desc(metadata.mobile)
        self.same_fixed_and_mobile = bool(metadata.same_mobile_and_fixed_line_pattern)
        self.has_subdivisions = has_subdivisions(region)
        self.leading_digits = re.compile(metadata.leading_digits) if metadata.leading_digits else None
        prefix = metadata.national_prefix_for_parsing
        self.national_prefix = re.compile(prefix) if prefix else None
        self.rewrites_prefix = bool(metadata.national_prefix_transform_rule)
        idd = metadata.international_prefix
        self.international_prefix = re.compile(idd) if idd else None

    def viable(self, national: str) -> bool:
        return self.general_pattern is not None and self.general_pattern.fullmatch(national) is not None

    def length(self, national: str) -> int:
        """Whether ``national`` has a length the plan dials (phonenumbers' length test, any type)."""
        size = len(national)
        if size in self.local_lengths:
            return _LOCAL_ONLY
        if not self.lengths:
            return _INVALID_LENGTH
        if size == self.lengths[0]:
            return _POSSIBLE
        if size < self.lengths[0]:
            return _TOO_SHORT
        if size > self.lengths[-1]:
            return _TOO_LONG
        return _POSSIBLE if size in self.lengths[1:] else _INVALID_LENGTH

    def strip_national_prefix(self, digits: str) -> str:
        """``digits`` without a national prefix or carrier code where the plan says one is there."""
        if self.national_prefix is None or not digits:
            return digits
        found = self.national_prefix.match(digits)
        if found is None:
            return digits
        if self.rewrites_prefix and (not found.groups() or found.groups()[-1] is not None):
            raise _SlowPath
        rest = digits[found.end():]
        if self.viable(digits) and not self.viable(rest):
            return digits
        return rest

    def number_type(self, national: str) -> int:
        if not _fits(self.general, national):
            return PhoneNumberType.UNKNOWN
        size = len(national)
        for kind, (lengths, match) in self.special:
            if (not lengths or size in lengths) and match is not None and match(national) is not None:
                return kind
        if _fits(self.fixed, national):
            if self.same_fixed_and_mobile or _fits(self.mobile, national):
                return PhoneNumberType.FIXED_LINE_OR_MOBILE
            return PhoneNumberType.FIXED_LINE
        if not self.same_fixed_and_mobile and _fits(self.mobile, national):
            return PhoneNumberType.MOBILE
        return PhoneNumberType.UNKNOWN


@functools.cache
def _plan(region: str) -> _Plan | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
    return None if metadata is None else _Plan(region, metadata)


@functools.cache
def _country_plans(country_code: int) -> tuple[_Plan, ...]:
    plans = (_plan(region) for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()))
    return tuple(plan for plan in plans if plan is not None)


@functools.cache
def _country_zones(country_code: int) -> tuple[str, ...]:
    """The zones of a number whose type is not geographic: its country code's entry."""
    code = str(country_code)
    for size in range(TIMEZONE_LONGEST_PREFIX, 0, -1):
        zones = TIMEZONE_DATA.get(code[:size + 1])
        if zones is not None:
            return _known(tuple(zones))
    return ()


@functools.cache
def _known(zones: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(zone for zone in zones if zone != _UNKNOWN_ZONE)


@functools.cache
def _key_sizes(table: str, country_code: int) -> tuple[int, ...]:
    """The lengths of ``table``'s prefixes that can match a number of ``country_code``, longest first.

    phonenumbers tries every length from the longest any prefix has; only these can match.
    """
    data, longest = (TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX) if table == "zones" else \
        (GEOCODE_DATA, GEOCODE_LONGEST_PREFIX)
    code = str(country_code)
    sizes = {len(key) for key in data if key.startswith(code) or code.startswith(key)}
    return tuple(size for size in range(longest, 0, -1) if size in sizes)


def _prefix_zones(digits: str, country_code: int) -> tuple[str, ...]:
    for size in _key_sizes("zones", country_code):
        zones = TIMEZONE_DATA.get(digits[:size])
        if zones is not None:
            return _known(tuple(zones))
    return ()


def _prefix_description(digits: str, country_code: int) -> str:
    for size in _key_sizes("descriptions", country_code):
        names = GEOCODE_DATA.get(digits[:size])
        if names is not None:
            name = names.get("en")
            if name is not None:
                return str(name)
    return ""


@functools.cache
def _single_country_name(country_code: int) -> str:
    return str(geocoder.country_name_for_number(phonenumbers.PhoneNumber(country_code=country_code), "en"))


def _country_name(plans: tuple[_Plan, ...], national: str) -> str:
    """The geocoder's description when it knows no area: the country's name, or "" over several regions."""
    if len(plans) == 1:
        return _single_country_name(plans[0].country_code)
    valid = (plan for plan in plans if plan.number_type(national) != PhoneNumberType.UNKNOWN)
    if next(valid, None) is not None and next(valid, None) is not None:
        return ""
    raise _SlowPath


def _country_code_of(digits: str) -> tuple[int, str]:
    if digits.startswith("0"):
        raise _SlowPath
    for size in range(1, min(len(digits), 3) + 1):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return code, digits[size:]
    raise _SlowPath


@functools.cache
def _area_size(country_code: int) -> int:
    """How many leading digits decide a number's zones and description: no prefix in the tables is longer."""
    return max((*_key_sizes("zones", country_code)[:1], *_key_sizes("descriptions", country_code)[:1], 1))


@functools.cache
def _geographic(kind: int, country_code: int) -> bool:
    return bool(phonenumbers.is_number_type_geographical(kind, country_code))


#: Areas a reader remembers; beyond it starts afresh (memory stays bounded whatever the list).
MAX_AREAS = 200_000


class NumberReader:
    """:func:`parse_number` for many numbers of one default region, fast for plain numbers."""

    def __init__(self, default_region: str | None) -> None:
        self.default_region = default_region
        self._default = _plan(default_region.upper()) if default_region else None
        # The zones and description of geographic numbers by their leading digits (see _area_size).
        self._areas: dict[str, tuple[tuple[str, ...], str]] = {}

    def read(self, text: str) -> DialNumber:
        """The number ``text`` names, as :func:`parse_number` would give it (or :class:`NumberError`)."""
        cleaned = text.translate(_SEPARATORS)
        if _PLAIN.fullmatch(cleaned) is not None:
            try:
                return self._read_plain(text, cleaned)
            except _SlowPath:
                pass
        return parse_number(text, self.default_region)

    def _read_plain(self, text: str, cleaned: str) -> DialNumber:
        country_code, national = self._national(cleaned)
        plans = _country_plans(country_code)
        if not plans or len(national) > _MAX_NATIONAL:
            raise _SlowPath
        plan, kind = self._region(plans, national)
        if kind == PhoneNumberType.UNKNOWN:
            raise NumberError(f"{text!r} is not a valid number")
        digits = f"{country_code}{national}"
        geographic = _geographic(kind, country_code)
        description = ""
        if geographic:
            zones, description = self._area(digits, country_code)
        else:
            zones = _country_zones(country_code)
        subdivision = None
        if plan.has_subdivisions:
            if geographic:
                token = phonenumbers.country_mobile_token(country_code)
                if token and national.startswith(token):
                    raise _SlowPath
            subdivision = subdivision_named(description or _country_name(plans, national), plan.region)
        return DialNumber(e164="+" + digits, digits=int(digits), region=plan.region, subdivision=subdivision,
                          kind=kind_name(kind), time_zones=zones)

    def _area(self, digits: str, country_code: int) -> tuple[tuple[str, ...], str]:
        head = digits[:_area_size(country_code)]
        known = self._areas.get(head)
        if known is None:
            if len(self._areas) >= MAX_AREAS:
                self._areas.clear()
            known = self._areas[head] = (_prefix_zones(digits, country_code),
                                         _prefix_description(digits, country_code))
        return known

    def _national(self, cleaned: str) -> tuple[int, str]:
        """The country code and the national number with any national prefix taken off."""
        default = self._default
        extracted = True
        if cleaned.startswith("+"):
            country_code, rest = _country_code_of(cleaned[1:])
        else:
            if default is None:
                raise _SlowPath
            if default.international_prefix is not None and default.international_prefix.match(cleaned):
                raise _SlowPath
            country_code, rest = default.country_code, cleaned
            code = str(country_code)
            without = default.strip_national_prefix(cleaned[len(code):]) if cleaned.startswith(code) else None
            extracted = without is not None and (
                (not default.viable(cleaned) and default.viable(without)) or default.length(cleaned) == _TOO_LONG)
            if extracted and without is not None:
                rest = without
        if len(rest) < _MIN_NATIONAL:
            raise _SlowPath
        # phonenumbers reads the rest in the default region's plan unless a country code was taken off and
        # names another main region.
        plan = default
        if extracted:
            main_region = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[country_code][0]
            if default is None or main_region != self.default_region:
                plan = _plan(main_region)
        if plan is None:
            raise _SlowPath
        stripped = plan.strip_national_prefix(rest)
        if plan.length(stripped) not in (_TOO_SHORT, _LOCAL_ONLY, _INVALID_LENGTH):
            rest = stripped
        return country_code, rest

    @staticmethod
    def _region(plans: tuple[_Plan, ...], national: str) -> tuple[_Plan, int]:
        """The region the number belongs to and its type there (UNKNOWN: in none)."""
        if len(plans) == 1:
            return plans[0], plans[0].number_type(national)
        for plan in plans:
            if plan.leading_digits is not None:
                if plan.leading_digits.match(national):
                    return plan, plan.number_type(national)
            else:
                kind = plan.number_type(national)
                if kind != PhoneNumberType.UNKNOWN:
                    return plan, kind
        return plans[0], PhoneNumberType.UNKNOWN
