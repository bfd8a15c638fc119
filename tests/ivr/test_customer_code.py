"""Customer codes: five digits plus a Luhn check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.customer_code import customer_code_for, is_valid_customer_code, luhn_check_digit


def test_known_values() -> None:
    assert customer_code_for(10000) == "100008"
    assert luhn_check_digit("7992739871") == "3"  # the classic Luhn example
    assert is_valid_customer_code("100008")
    for bad in ("100009", "10000", "1000080", "10000a", "", "\uff11\uff10\uff10\uff10\uff10\uff18"):
        assert not is_valid_customer_code(bad)
    with pytest.raises(ValueError):
        customer_code_for(100000)


@given(st.integers(0, 99999), st.integers(0, 5), st.integers(1, 9))
def test_any_single_digit_error_is_caught(serial: int, position: int, delta: int) -> None:
    code = customer_code_for(serial)
    assert is_valid_customer_code(code)
    wrong = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1:]
    assert not is_valid_customer_code(wrong)


@given(st.integers(0, 99999), st.integers(0, 4))
def test_adjacent_swaps_are_caught_except_09(serial: int, position: int) -> None:
    code = customer_code_for(serial)
    a, b = code[position], code[position + 1]
    swapped = code[:position] + b + a + code[position + 2:]
    if a != b and {a, b} != {"0", "9"}:
        assert not is_valid_customer_code(swapped)
