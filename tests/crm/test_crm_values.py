"""Pure CRM rules: customer codes, field normalisation, tier pyramid, spreadsheet neutralisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.codes import (
    InvalidCustomerCode,
    check_customer_code,
    is_valid_customer_code,
    luhn_check_digit,
    make_customer_code,
)
from crm_core.customer_files import neutralise, unneutralise
from crm_core.fields import InvalidField, normalise_email, normalise_phone, parse_revenue_cents
from crm_core.tiers import KEY, NORMAL, SMALL, VIP, assign_tiers, queue_priority


def test_code_follows_the_agreed_luhn_example() -> None:
    assert make_customer_code(10000) == "100008"
    assert luhn_check_digit("7992739871") == 3  # the classic Luhn example
    assert is_valid_customer_code("100008")
    for bad in ("100007", "100009", "10000", "1000080", "10000a", "", "\uff11\uff10\uff10\uff10\uff10\uff18"):
        assert not is_valid_customer_code(bad)
    with pytest.raises(InvalidCustomerCode):
        make_customer_code(100_000)


@given(st.integers(0, 99_999), st.integers(0, 5), st.integers(1, 9))
def test_every_single_digit_typo_is_caught(number: int, position: int, delta: int) -> None:
    code = make_customer_code(number)
    assert is_valid_customer_code(code)
    typo = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1:]
    assert not is_valid_customer_code(typo)


@given(st.integers(0, 99_999), st.integers(0, 4))
def test_adjacent_swaps_are_caught_except_09(number: int, position: int) -> None:
    code = make_customer_code(number)
    a, b = code[position], code[position + 1]
    swapped = code[:position] + b + a + code[position + 2:]
    if a != b and {a, b} != {"0", "9"}:
        assert not is_valid_customer_code(swapped)


@pytest.mark.parametrize(("raw", "why"), [("12345", "not 6 digits"), ("10000a", "not 6 digits"),
                                           ("100007", "wrong check digit"), ("", "not 6 digits")])
def test_bad_codes_say_why(raw: str, why: str) -> None:
    with pytest.raises(InvalidCustomerCode, match=why):
        check_customer_code(raw)


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [("(415) 555-0132", "US", "+14155550132"), ("+44 20 7946 0958", "US", "+442079460958"),
     ("0044 20 7946 0958", "US", "+442079460958"), ("030 1234567", "DE", "+49301234567")],
)
def test_phones_become_e164(raw: str, region: str, e164: str) -> None:
    assert normalise_phone(raw, region) == e164


@pytest.mark.parametrize("raw", ["anonymous", "12", "", "+1 555"])
def test_unusable_phones_are_refused(raw: str) -> None:
    with pytest.raises(InvalidField):
        normalise_phone(raw, "US")


def test_email_and_revenue() -> None:
    assert normalise_email(" Ann.Lee@Example.COM ") == "Ann.Lee@example.com"
    with pytest.raises(InvalidField):
        normalise_email("ann@")
    assert parse_revenue_cents("1,234.56") == 123456
    for bad in ("-5", "abc", "nan"):
        with pytest.raises(InvalidField):
            parse_revenue_cents(bad)


@given(st.dictionaries(st.integers(), st.integers(0, 10**9), max_size=400))
def test_tier_pyramid_shares(revenues: dict[int, int]) -> None:
    tiers = assign_tiers(revenues)
    n = len(revenues)
    counts = {t: list(tiers.values()).count(t) for t in (VIP, KEY, NORMAL, SMALL)}
    assert sum(counts.values()) == n
    assert counts[VIP] <= -(-n // 100)
    assert counts[VIP] + counts[KEY] <= -(-n * 5 // 100)
    assert counts[VIP] + counts[KEY] + counts[NORMAL] <= -(-n * 20 // 100)
    rank = {VIP: 3, KEY: 2, NORMAL: 1, SMALL: 0}
    for a in revenues:  # more revenue never means a lower tier
        for b in list(revenues)[:20]:
            if revenues[a] > revenues[b]:
                assert rank[tiers[a]] >= rank[tiers[b]]
    assert all(tiers[k] == SMALL for k, v in revenues.items() if v == 0)


def test_tier_pyramid_on_a_round_number() -> None:
    tiers = assign_tiers({i: 1000 - i for i in range(1000)})
    assert [tiers[i] for i in (0, 9, 10, 49, 50, 199, 200, 999)] == [VIP, VIP, KEY, KEY, NORMAL, NORMAL,
                                                                      SMALL, SMALL]
    assert queue_priority(VIP) > queue_priority(KEY) > queue_priority(NORMAL) > queue_priority(SMALL)
    assert queue_priority(None) == queue_priority(SMALL)


@given(st.text())
def test_neutralised_text_never_starts_a_formula_and_round_trips(text: str) -> None:
    safe = neutralise(text)
    assert not safe.startswith(("=", "+", "-", "@"))
    assert unneutralise(safe) == text or text.startswith("'")


