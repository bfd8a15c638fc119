"""Which language a request gets: Accept-Language read and matched, a remembered choice winning; and texts
kept as message ids until they are shown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_desktop.catalogues import load_catalogues
from agent_desktop.languages import (
    ENGLISH,
    SIMPLIFIED_CHINESE,
    accepted_languages,
    choose_language,
    language_by_tag,
    negotiate,
)
from agent_desktop.ui_text import CodeWord, UiText


@pytest.mark.parametrize(("header", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", ["zh-CN", "zh", "en"]),
    ("en;q=0.2, fr, de;q=0.5", ["fr", "de", "en"]),
    ("da, en-gb;q=0.8, en;q=0.7", ["da", "en-gb", "en"]),
    ("fr;q=0.5, de;q=0.5, it", ["it", "fr", "de"]),  # equal weights keep the header's order
    ("zh;q=0, en", ["en"]),  # q=0: not acceptable at all
    ("*, en;q=0.1", ["en"]),
    ("en;q=2, zh;q=abc, fr;Q=0.30", ["fr"]),  # malformed weights make the range unacceptable
    ("<script>, zh-Hans-CN", ["zh-Hans-CN"]),
    ("", []),
    (None, []),
])
def test_accept_language_is_read_most_wanted_first(header: str | None, expected: list[str]) -> None:
    assert accepted_languages(header) == expected


language_ranges = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCHNSTW-_;=.,*0123456789 q", max_size=80)


@given(language_ranges)
def test_any_header_reads_as_ranges_taken_from_it(header: str) -> None:
    ranges = accepted_languages(header)
    assert all(r and r in header and "," not in r and ";" not in r for r in ranges)
    assert negotiate(ranges) in (None, ENGLISH, SIMPLIFIED_CHINESE)


@given(st.lists(st.tuples(st.sampled_from(["en", "zh-CN", "fr", "zh-TW", "de-CH", "ja"]),
                          st.integers(min_value=0, max_value=1000)), max_size=6, unique_by=lambda pair: pair[0]))
def test_ranges_come_out_by_falling_weight_and_weight_zero_is_left_out(weighted: list[tuple[str, int]]) -> None:
    header = ", ".join(f"{tag};q={weight / 1000:.3f}" for tag, weight in weighted)
    expected = [tag for tag, weight in sorted(weighted, key=lambda pair: -pair[1]) if weight > 0]
    assert accepted_languages(header) == expected


@pytest.mark.parametrize(("ranges", "expected"), [
    (["zh-CN"], SIMPLIFIED_CHINESE),
    (["zh"], SIMPLIFIED_CHINESE),
    (["zh-Hans-HK"], SIMPLIFIED_CHINESE),  # the script says Simplified, wherever the reader is
    (["zh-SG"], SIMPLIFIED_CHINESE),
    (["zh-TW", "en"], ENGLISH),  # Traditional Chinese we do not have: the next range decides
    (["zh-Hant", "zh"], SIMPLIFIED_CHINESE),  # the reader said a plain zh would do
    (["en-US"], ENGLISH),
    (["fr-CA", "de"], None),
    ([], None),
])
def test_negotiation_finds_what_we_have_for_the_most_wanted_range(ranges: list[str], expected: object) -> None:
    assert negotiate(ranges) == expected


def test_a_remembered_choice_wins_over_the_browser() -> None:
    chinese_browser = "zh-CN,zh;q=0.9"
    assert choose_language(account_choice=None, cookie=None, accept_language=None) == ENGLISH
    assert choose_language(account_choice=None, cookie=None, accept_language=chinese_browser) == SIMPLIFIED_CHINESE
    assert choose_language(account_choice=None, cookie="en", accept_language=chinese_browser) == ENGLISH
    assert choose_language(account_choice="zh-CN", cookie="en", accept_language=None) == SIMPLIFIED_CHINESE
    # a choice that names no language of ours (an old or forged cookie) counts for nothing
    assert choose_language(account_choice=None, cookie="klingon", accept_language=chinese_browser) == (
        SIMPLIFIED_CHINESE)


def test_tags_are_matched_as_browsers_and_catalogues_write_them() -> None:
    assert language_by_tag("zh-cn") == language_by_tag("zh_CN") == SIMPLIFIED_CHINESE
    assert language_by_tag("en") == ENGLISH
    assert language_by_tag("zh") is None and language_by_tag(None) is None


def test_a_text_is_english_until_translated_and_its_parameters_follow() -> None:
    chinese = load_catalogues()["zh-CN"]
    refusal = UiText("the call is %(status)s; only a talking call allows this (%(action)s)",
                     status=CodeWord("call status", "offered"), action=UiText("hold"))
    assert str(refusal) == "the call is offered; only a talking call allows this (hold)"
    assert chinese.text(refusal) == "该通话状态为“振铃中”；只有通话中才能执行此操作（保持）"
    # data never goes through the catalogue, even when it looks like a message id
    assert chinese.text(UiText("Transferred to %(target)s", target="Hold")) == "已转接至 Hold"
    assert chinese.text(UiText.as_is("agent a2 is not ready")) == "agent a2 is not ready"


def test_codes_read_as_words_and_unknown_codes_as_themselves() -> None:
    english, chinese = load_catalogues()["en"], load_catalogues()["zh-CN"]
    assert english.label("not_ready", "agent state") == "not ready"
    assert chinese.label("not_ready", "agent state") == "未就绪"
    assert chinese.label("failed", "pause reason") != chinese.label("failed", "consultation state")
    assert chinese.label("site_special_code", "disposition") == "site special code"


def test_numbers_and_dates_are_written_the_language_s_way() -> None:
    english, chinese = load_catalogues()["en"], load_catalogues()["zh-CN"]
    assert english.format_number(12345.5) == "12,345.5"
    assert english.format_percent(0.857) == "86%"
    assert chinese.format_percent(0.857) == "86%"
    from zoneinfo import ZoneInfo

    moment = 1_767_225_600.0  # 2026-01-01 00:00 UTC
    assert english.format_datetime(moment, ZoneInfo("Asia/Shanghai")) == "Jan 1, 2026, 8:00:00\u202fAM"
    assert chinese.format_datetime(moment, ZoneInfo("Asia/Shanghai")) == "2026年1月1日 08:00:00"
