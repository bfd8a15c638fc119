"""The message catalogues: each language's ``locale/<lang>/LC_MESSAGES/messages.po`` compiled in memory when
the app starts (no compiled file to keep in step), with that language's ways of writing numbers and dates.

English is the source language: its catalogue may reword a message, and whatever it leaves empty reads as
the message id itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from agent_desktop.code_words import CODE_WORDS
from agent_desktop.languages import LANGUAGES, Language
from agent_desktop.ui_text import CodeWord, UiText

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
SCRIPTS_DIR = "agent_desktop/static/"  # where the messages the scripts use are found (the .po's "#:" lines)
CONTEXT_SEPARATOR = "\x04"  # gettext's: how a message with a context is keyed in a compiled catalogue


def po_path(language: Language) -> Path:
    return LOCALE_DIR / language.catalogue / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(language: Language) -> Catalog:
    """The language's .po file as babel reads it."""
    with po_path(language).open("rb") as po:
        return read_po(po, locale=language.catalogue, domain=DOMAIN)


def _key(msgid: str, context: str | None) -> str:
    return msgid if context is None else f"{context}{CONTEXT_SEPARATOR}{msgid}"


class Catalogue:
    """One language's messages and its ways of writing numbers and dates."""

    def __init__(self, language: Language, catalog: Catalog) -> None:
        self.language = language
        self.locale = Locale.parse(language.catalogue)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)  # fuzzy entries are left out: they are not translations yet
        compiled.seek(0)
        self.translations = Translations(compiled, domain=DOMAIN)
        code_words = {_key(word.code, word.kind) for word in CODE_WORDS}
        # What the scripts need, as they look it up: the messages found in them and the code words.
        self.script_messages: Mapping[str, str] = {
            _key(str(m.id), m.context): str(m.string)
            for m in catalog
            if m.id and m.string and not m.fuzzy and isinstance(m.id, str)
            and (_key(m.id, m.context) in code_words or any(path.startswith(SCRIPTS_DIR) for path, _ in m.locations))
        }

    def gettext(self, msgid: str) -> str:
        return self.translations.gettext(msgid)

    def text(self, text: UiText) -> str:
        """``text`` in this language."""
        return text.render(self)

    def label(self, code: str, kind: str) -> str:
        """The word for a code of ``kind`` (see ``code_words``); a code it does not know reads as itself."""
        word = str(self.translations.pgettext(kind, code))
        return CodeWord(kind, code).plain if word == code else word

    def format_datetime(self, epoch: float, tz: ZoneInfo | None = None, style: str = "medium") -> str:
        """A moment (epoch seconds) as this language writes it, in ``tz`` (the server's zone when None)."""
        moment = dt.datetime.fromtimestamp(epoch, tz).astimezone(tz)
        return format_datetime(moment, style, locale=self.locale)

    def format_number(self, number: float) -> str:
        return format_decimal(number, locale=self.locale)

    def format_percent(self, ratio: float) -> str:
        """0.857 -> "86%" (rounded to whole percents)."""
        return format_percent(ratio, locale=self.locale)


@functools.cache
def load_catalogues() -> Mapping[str, Catalogue]:
    """Every language's catalogue by tag, compiled once per process."""
    return {language.tag: Catalogue(language, read_catalogue(language)) for language in LANGUAGES}
