"""Words the web app shows to people, kept as English message ids until the reader's language is known.

Every text a handler, the guard or a pure rule (``call_controls``) means for a person is a :class:`UiText`;
the answer translates it with the request's catalogue (``pybabel extract`` finds each ``UiText("...")``).
A code shown as a word (an agent state, a call status, a pause reason...) is a :class:`CodeWord`; those
the product defines are listed in ``agent_desktop.code_words``.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol


class Words(Protocol):
    """A language's words: messages by their English id, and codes of a kind."""

    def gettext(self, msgid: str) -> str: ...

    def label(self, code: str, kind: str) -> str: ...


@dataclasses.dataclass(frozen=True, slots=True)
class CodeWord:
    """``code`` shown as a word for things of ``kind`` (the translation's context); a code the catalogue
    does not know (a site's own disposition) reads as itself, underscores as spaces."""

    kind: str
    code: str

    @property
    def plain(self) -> str:
        return self.code.replace("_", " ")


class UiText:
    """An English message id with named ``%(name)s`` parameters (a literal ``%`` is written ``%%``); a
    parameter that is a :class:`UiText` or a :class:`CodeWord` is translated too. ``str()`` gives English."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, /, **params: object) -> None:
        self.msgid = msgid
        self.params = params

    @classmethod
    def as_is(cls, text: str) -> UiText:
        """Text that has no translation: what a lower floor (the ACD, the CRM) said, shown as it came."""
        return cls("%(text)s", text=text)

    def render(self, words: Words) -> str:
        """The text in the language of ``words``."""
        return words.gettext(self.msgid) % {name: _render(value, words) for name, value in self.params.items()}

    def __str__(self) -> str:
        return self.render(_ENGLISH)

    def __repr__(self) -> str:
        return f"UiText({self.msgid!r}, **{self.params!r})"


def _render(value: object, words: Words) -> object:
    if isinstance(value, UiText):
        return value.render(words)
    if isinstance(value, CodeWord):
        return words.label(value.code, value.kind)
    return value


class _English:
    """The source language's words: every message id as it is written."""

    def gettext(self, msgid: str) -> str:
        return msgid

    def label(self, code: str, kind: str) -> str:
        return CodeWord(kind, code).plain


_ENGLISH = _English()
