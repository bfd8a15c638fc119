"""The list reader's numbers are parse_number's numbers, whatever the region, type, format or default region."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from outbound.number_reader import NumberReader
from outbound.numbers import DialNumber, NumberError, parse_number

TYPES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE,
         PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST, PhoneNumberType.VOIP,
         PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.PAGER, PhoneNumberType.UAN, PhoneNumberType.VOICEMAIL)
EXAMPLES = sorted({
    phonenumbers.format_number(example, PhoneNumberFormat.E164)
    for region in phonenumbers.SUPPORTED_REGIONS for kind in TYPES
    if (example := phonenumbers.example_number_for_type(region, kind)) is not None
})
DEFAULTS = ("US", "CN", "GB", "DE", "FR", "RU", "AU", "BR", "IN", "IT", "AR", "MX", "CA", "JM")
# One reader per default region for the whole run: whatever it cached for one number must not change another.
READERS = {region: NumberReader(region) for region in DEFAULTS}


def parsed(text: str, region: str) -> DialNumber | str:
    """What parse_number makes of ``text``: the number, or its refusal."""
    try:
        return parse_number(text, region)
    except NumberError as exc:
        return f"NumberError: {exc}"


def read(text: str, region: str) -> DialNumber | str:
    """What the region's shared reader makes of ``text``."""
    try:
        return READERS[region].read(text)
    except NumberError as exc:
        return f"NumberError: {exc}"


def written(e164: str, style: str) -> str:
    """``e164`` as a list might hold it."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    if style == "national digits":
        return phonenumbers.national_significant_number(number)
    if style == "country digits":
        return e164[1:]
    if style == "national with prefix":
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


@settings(max_examples=3000, deadline=None)
@given(example=st.sampled_from(EXAMPLES), tail=st.text("0123456789", max_size=4), cut=st.integers(0, 4),
       style=st.sampled_from(["e164", "international", "national digits", "country digits",
                              "national with prefix"]),
       default=st.sampled_from(DEFAULTS))
def test_the_reader_agrees_with_parse_number(example: str, tail: str, cut: int, style: str, default: str) -> None:
    e164 = example[:len(example) - cut] + tail if cut else example + tail[:1]
    text = e164 if style == "e164" else written(e164, style)
    assert read(text, default) == parsed(text, default), text


@settings(max_examples=500, deadline=None)
@given(text=st.text(st.sampled_from("+0123456789 -().x/#*,;"), max_size=22), default=st.sampled_from(DEFAULTS))
def test_the_reader_agrees_with_parse_number_on_any_punctuated_digits(text: str, default: str) -> None:
    assert read(text, default) == parsed(text, default), text


@pytest.mark.parametrize(("text", "region", "e164", "kind", "zones"), [
    ("138 0013 8000", "CN", "+8613800138000", "mobile", ("Asia/Shanghai",)),
    ("010-6552 9988", "CN", "+861065529988", "fixed_line", ("Asia/Shanghai",)),
    ("(212) 555-0100", "US", "+12125550100", "fixed_line_or_mobile", ("America/New_York",)),
    ("1 208 555 0100", "US", "+12085550100", "fixed_line_or_mobile", ("America/Boise", "America/Los_Angeles")),
    ("+44 (0)20 7946 0123", "CN", "+442079460123", "fixed_line", ("Europe/London",)),
])
def test_plain_list_numbers_are_read(text: str, region: str, e164: str, kind: str, zones: tuple[str, ...]) -> None:
    number = NumberReader(region).read(text)
    assert (number.e164, number.kind, number.time_zones) == (e164, kind, zones)
    assert number == parse_number(text, region)
