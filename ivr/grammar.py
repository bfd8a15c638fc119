"""What a caller may say at an input node, and what it means: digit words per language, or a menu's
phrases. Pure: the recogniser is restricted to :meth:`Grammar.phrases`, and :meth:`Grammar.interpret`
turns the words it heard into digits or the chosen option's key.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping

# Words for each digit, per language: the first is what a caller usually says, the others are accepted too.
DIGIT_WORDS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "en": {"0": ("zero", "oh"), "1": ("one",), "2": ("two",), "3": ("three",), "4": ("four",), "5": ("five",),
           "6": ("six",), "7": ("seven",), "8": ("eight",), "9": ("nine",)},
    # Sino-Korean numerals, as codes and telephone numbers are read out; 공 and 영 are both zero.
    "ko": {"0": ("공", "영"), "1": ("일",), "2": ("이",), "3": ("삼",), "4": ("사",), "5": ("오",), "6": ("육",),
           "7": ("칠",), "8": ("팔",), "9": ("구",)},
    # 幺 is how one is read in numbers over the phone; 两 is the everyday two.
    "zh-CN": {"0": ("零", "\u3007"), "1": ("一", "幺"), "2": ("二", "两"), "3": ("三",), "4": ("四",), "5": ("五",),
              "6": ("六",), "7": ("七",), "8": ("八",), "9": ("九",)},
}


class GrammarKind(enum.StrEnum):
    DIGITS = "digits"
    CHOICE = "choice"


@dataclasses.dataclass(frozen=True, slots=True)
class Grammar:
    """Phrases the caller may say, each with its meaning (a digit, or a menu option's key)."""

    language: str
    kind: GrammarKind
    meanings: tuple[tuple[str, str], ...]

    @property
    def phrases(self) -> list[str]:
        """The phrases, for the recogniser's restricted vocabulary."""
        return [phrase for phrase, _ in self.meanings]

    def interpret(self, text: str) -> str:
        """Digits said (in order), or the key of the first option whose phrase was said; ``""`` for none."""
        words = _split_known(text.split(), {phrase for phrase, _ in self.meanings})
        if self.kind is GrammarKind.DIGITS:
            table = dict(self.meanings)
            return "".join(table[w] for w in words if w in table)
        spoken = " ".join(words)
        for phrase, key in sorted(self.meanings, key=lambda m: -len(m[0])):
            if f" {phrase} " in f" {spoken} ":
                return key
        return ""


def digit_grammar(language: str) -> Grammar | None:
    """The digit words of ``language``; None when we have none for it."""
    words = DIGIT_WORDS.get(language)
    if words is None:
        return None
    return Grammar(language, GrammarKind.DIGITS,
                   tuple((word, digit) for digit, spoken in words.items() for word in spoken))


def choice_grammar(language: str, options: Mapping[str, Iterable[str]]) -> Grammar | None:
    """Each option key's phrases; None when no option has one."""
    meanings = tuple((phrase, key) for key, phrases in options.items() for phrase in phrases)
    return Grammar(language, GrammarKind.CHOICE, meanings) if meanings else None


def _split_known(tokens: list[str], known: set[str]) -> list[str]:
    """Tokens, with a run of words written together (Chinese: ``一二三``) split into known phrases where it
    can be, longest first."""
    out: list[str] = []
    for token in tokens:
        if token in known:
            out.append(token)
            continue
        rest, pieces = token, []
        while rest:
            piece = next((rest[:n] for n in range(len(rest), 0, -1) if rest[:n] in known), None)
            if piece is None:
                break
            pieces.append(piece)
            rest = rest[len(piece):]
        out.extend(pieces if not rest else [token])
    return out
