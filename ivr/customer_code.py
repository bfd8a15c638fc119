"""Customer codes: six digits whose last digit is the Luhn check digit of the first five."""

from __future__ import annotations

CODE_LENGTH = 6


def luhn_check_digit(payload: str) -> str:
    """The Luhn check digit that makes ``payload + digit`` pass the Luhn test."""
    total = 0
    # Walking from the right, the digit next to the (future) check digit is doubled first.
    for position, char in enumerate(reversed(payload)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def is_valid_customer_code(code: str) -> bool:
    """True for six ASCII digits whose last one is the Luhn check digit of the first five."""
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
        return False
    return luhn_check_digit(code[:-1]) == code[-1]


def customer_code_for(serial: int) -> str:
    """The customer code for a five-digit serial number (``10000`` gives ``"100008"``)."""
    if not 0 <= serial <= 99999:
        raise ValueError(f"customer serial must be 0..99999, got {serial}")
    payload = f"{serial:05d}"
    return payload + luhn_check_digit(payload)
