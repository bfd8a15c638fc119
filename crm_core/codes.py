"""Customer codes: five digits followed by their Luhn check digit (``10000`` -> ``"100008"``)."""

from __future__ import annotations

CODE_LENGTH = 6
MAX_CODE_NUMBER = 99_999


class InvalidCustomerCode(ValueError):
    """A customer code is not six digits or its check digit is wrong."""


def luhn_check_digit(digits: str) -> int:
    """The digit that makes ``digits + check`` pass the Luhn test."""
    total = 0
    # The check digit will sit at the right, so the payload's rightmost digit is doubled.
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def make_customer_code(number: int) -> str:
    """The customer code for ``number`` (0..99999)."""
    if not 0 <= number <= MAX_CODE_NUMBER:
        raise InvalidCustomerCode(f"customer number {number} is outside 0..{MAX_CODE_NUMBER}")
    payload = f"{number:05d}"
    return payload + str(luhn_check_digit(payload))


def is_valid_customer_code(code: str) -> bool:
    """True when ``code`` is six ASCII digits with a correct Luhn check digit."""
    return (
        len(code) == CODE_LENGTH
        and code.isascii()
        and code.isdigit()
        and luhn_check_digit(code[:-1]) == int(code[-1])
    )


def check_customer_code(code: str) -> str:
    """``code`` stripped of surrounding blanks, or :class:`InvalidCustomerCode` saying what is wrong."""
    code = code.strip()
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
        raise InvalidCustomerCode(f"customer code {code!r} is not {CODE_LENGTH} digits")
    if not is_valid_customer_code(code):
        raise InvalidCustomerCode(f"customer code {code!r} has a wrong check digit")
    return code
