"""What callers may say and what it means (grammars), and where their answer starts, pauses and ends."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ivr.endpointer import Boundary, Endpointer, EndpointSettings, rms
from ivr.grammar import DIGIT_WORDS, choice_grammar, digit_grammar


def test_digit_words_of_each_language_read_back_as_digits() -> None:
    assert digit_grammar("ko").interpret("공 공 이 오 오 영") == "002550"  # type: ignore[union-attr]
    assert digit_grammar("en").interpret("one oh two nine") == "1029"  # type: ignore[union-attr]
    # A Chinese recogniser may write a run of digits as one word; 幺 is one and 两 two, read out in numbers.
    assert digit_grammar("zh-CN").interpret("幺二三 两零") == "12320"  # type: ignore[union-attr]
    assert digit_grammar("de") is None


def test_words_outside_the_grammar_are_ignored() -> None:
    assert digit_grammar("en").interpret("uh three um four") == "34"  # type: ignore[union-attr]
    assert digit_grammar("en").interpret("") == ""  # type: ignore[union-attr]


@given(st.text(alphabet="0123456789", max_size=12))
def test_any_digits_said_in_any_language_come_back(digits: str) -> None:
    for language, words in DIGIT_WORDS.items():
        grammar = digit_grammar(language)
        assert grammar is not None
        assert grammar.interpret(" ".join(words[d][0] for d in digits)) == digits


def test_a_menu_choice_is_the_option_whose_phrase_was_said() -> None:
    grammar = choice_grammar("en", {"1": ["support", "technical support"], "3": ["call back"]})
    assert grammar is not None and set(grammar.phrases) == {"support", "technical support", "call back"}
    assert grammar.interpret("i need technical support please") == "1"
    assert grammar.interpret("call back") == "3"
    assert grammar.interpret("sales") == ""
    assert choice_grammar("en", {}) is None


def loud(ms: int) -> list[tuple[int, int]]:
    return [(3000, 20)] * (ms // 20)


def quiet(ms: int) -> list[tuple[int, int]]:
    return [(50, 20)] * (ms // 20)


def run(frames: list[tuple[int, int]], settings: EndpointSettings) -> list[tuple[int, Boundary]]:
    endpointer = Endpointer(settings)
    return [(endpointer.heard_ms, b) for level, ms in frames if (b := endpointer.step(level, ms)) is not None]


SETTINGS = EndpointSettings(loud_rms=400, pause_ms=300, end_ms=1000, no_input_ms=2000, max_speech_ms=5000)


def test_digits_said_with_pauses_are_segments_of_one_answer() -> None:
    frames = quiet(500) + loud(400) + quiet(600) + loud(400) + quiet(1500)
    assert run(frames, SETTINGS) == [(520, Boundary.SPEECH), (1200, Boundary.PAUSE), (1520, Boundary.SPEECH),
                                     (2200, Boundary.PAUSE), (2900, Boundary.END)]


def test_silence_is_no_input_and_endless_speech_is_cut() -> None:
    assert run(quiet(3000), SETTINGS) == [(2000, Boundary.NO_INPUT)]
    assert run(loud(7000), SETTINGS) == [(20, Boundary.SPEECH), (5020, Boundary.END)]


@given(st.lists(st.tuples(st.integers(0, 32767), st.integers(1, 100)), max_size=300))
def test_an_answer_starts_before_it_pauses_and_ends_once(frames: list[tuple[int, int]]) -> None:
    boundaries = [b for _, b in run(frames, SETTINGS)]
    ends = [b for b in boundaries if b in (Boundary.END, Boundary.NO_INPUT)]
    assert len(ends) <= 1 and (not ends or boundaries[-1] in ends)
    if boundaries and boundaries[0] is not Boundary.NO_INPUT:
        assert boundaries[0] is Boundary.SPEECH
    assert Boundary.NO_INPUT not in boundaries or Boundary.SPEECH not in boundaries


def test_rms_of_signed_16_bit_audio() -> None:
    assert rms(b"") == 0
    assert rms((1000).to_bytes(2, "little", signed=True) + (-1000).to_bytes(2, "little", signed=True)) == 1000
