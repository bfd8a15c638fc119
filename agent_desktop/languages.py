"""The languages the pages speak and which one a request gets; pure.

A user's own choice wins (remembered for the account, else in a cookie); until there is one, the
browser's Accept-Language is matched against what we have; English when nothing matches.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable


@dataclasses.dataclass(frozen=True, slots=True)
class Language:
    """A language of the pages: ``tag`` as browsers and ``<html lang>`` say it (BCP 47), ``catalogue`` the
    folder of its messages under ``agent_desktop/locale``, ``name`` as the switcher shows it (in itself)."""

    tag: str
    catalogue: str
    name: str


ENGLISH = Language("en", "en", "English")
SIMPLIFIED_CHINESE = Language("zh-CN", "zh_CN", "中文")
LANGUAGES: tuple[Language, ...] = (ENGLISH, SIMPLIFIED_CHINESE)
DEFAULT_LANGUAGE = ENGLISH
LANGUAGE_COOKIE = "cc_language"

# What each language range a browser may send gets, looked up from its most to its least specific form
# (zh-Hant-TW, zh-Hant, zh-TW, zh); None: we have nothing for it (Traditional Chinese), try the next range.
_SERVED: dict[str, Language | None] = {
    "en": ENGLISH,
    "zh": SIMPLIFIED_CHINESE, "zh-hans": SIMPLIFIED_CHINESE, "zh-cn": SIMPLIFIED_CHINESE,
    "zh-sg": SIMPLIFIED_CHINESE, "zh-my": SIMPLIFIED_CHINESE,
    "zh-hant": None, "zh-tw": None, "zh-hk": None, "zh-mo": None,
}
_RANGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_QUALITY = re.compile(r"q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)", re.IGNORECASE)
MAX_RANGES = 32  # a header longer than any browser's is read this far


def language_by_tag(tag: str | None) -> Language | None:
    """The language whose tag is ``tag`` (any case, ``_`` for ``-`` too), or None."""
    wanted = (tag or "").replace("_", "-").casefold()
    return next((language for language in LANGUAGES if language.tag.casefold() == wanted), None)


def accepted_languages(header: str | None) -> list[str]:
    """The language ranges of an Accept-Language header, most wanted first (RFC 9110: ``q`` weights, equal
    weights in the header's order); ranges with ``q=0``, ``*`` and anything malformed are left out."""
    weighted: list[tuple[float, str]] = []
    for item in (header or "").split(",")[:MAX_RANGES]:
        name, *params = (part.strip() for part in item.split(";"))
        if not _RANGE.fullmatch(name):
            continue
        quality = 1.0
        for param in params:
            if param[:2].lower() == "q=":
                weight = _QUALITY.fullmatch(param)
                quality = float(weight.group(1)) if weight else 0.0
        if quality > 0:
            weighted.append((quality, name))
    weighted.sort(key=lambda pair: -pair[0])  # stable: equal weights keep their order
    return [name for _, name in weighted]


def _forms(language_range: str) -> list[str]:
    """zh-Hant-TW -> zh-hant-tw, zh-hant, zh-tw, zh: from the most to the least specific."""
    subtags = language_range.casefold().split("-")
    primary, rest = subtags[0], subtags[1:]
    script = next((s for s in rest if len(s) == 4 and s.isalpha()), None)
    region = next((s for s in rest if (len(s) == 2 and s.isalpha()) or (len(s) == 3 and s.isdigit())), None)
    forms = ["-".join(subtags)]
    forms += [f"{primary}-{part}" for part in (script, region) if part]
    forms.append(primary)
    return forms


def negotiate(language_ranges: Iterable[str]) -> Language | None:
    """The first language we have for the most wanted range that we can serve, or None."""
    for language_range in language_ranges:
        for form in _forms(language_range):
            if form in _SERVED:
                served = _SERVED[form]
                if served is not None:
                    return served
                break  # we know this range and have nothing for it: the next range decides
    return None


def choose_language(*, account_choice: str | None, cookie: str | None, accept_language: str | None) -> Language:
    """The language of a request: the account's remembered choice, else the browser's (cookie), else
    what Accept-Language asks for, else English."""
    return (language_by_tag(account_choice) or language_by_tag(cookie)
            or negotiate(accepted_languages(accept_language)) or DEFAULT_LANGUAGE)
