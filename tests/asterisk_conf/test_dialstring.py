"""Dial strings and call-back numbers: nothing a caller or a config file gives may split Dial() data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asterisk_conf.dialstring import InvalidDialString, callback_number, validate_dial_string


@given(st.text())
def test_an_accepted_dial_string_has_no_separator_dial_or_chanspy_would_split(value: str) -> None:
    try:
        validate_dial_string(value)
    except InvalidDialString:
        return
    tech, _, resource = value.partition("/")
    assert tech and resource and not set(value) & set(",&|()$;[]{} \t\r\n\"'\\")


@pytest.mark.parametrize("number", ["5550042", "+4930123456", "112", "+" + "9" * 20])
def test_plain_numbers_may_be_called_back(number: str) -> None:
    assert callback_number(number) == number


@pytest.mark.parametrize("number", [
    "0044@from-internal/", "0044@from-internal/n", "1,2", "+1 (555) 123-4567", "555-1234", "anonymous",
    "", "12", "1" * 21, "++123", "123+", "5550042\n", "٣٣٣٣", "Local/1@x", None,
])
def test_caller_controlled_strings_never_become_call_back_targets(number: str | None) -> None:
    assert callback_number(number) is None


@given(st.text(alphabet=st.sampled_from("0123456789+@/,()- &;|$\n\u0663x"), max_size=30) | st.text(max_size=30))
def test_a_call_back_target_is_plus_and_ascii_digits_only(value: str) -> None:
    target = callback_number(value)
    if target is not None:
        assert target == value
        digits = target.removeprefix("+")
        assert 3 <= len(digits) <= 20 and all(c in "0123456789" for c in digits)
