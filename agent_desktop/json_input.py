"""JSON from the browser (request bodies and WebSocket frames), read within limits.

Sizes are bounded before this (the app's ``client_max_size``, the socket's ``max_msg_size``); here a
document nested deeper than :data:`MAX_DEPTH` is refused, whether Python's decoder would have run out of
stack on it or not, so a hostile document costs a refusal and never a ``RecursionError``.
"""

from __future__ import annotations

import json
from typing import Any

from agent_desktop.ui_text import UiText

MAX_DEPTH = 20  # the desktop's messages nest two or three levels


class InvalidJson(ValueError):
    """The text is not a JSON document the desktop reads; :attr:`text` (and, in English, ``str()``) says why."""

    def __init__(self, text: UiText) -> None:
        super().__init__(str(text))
        self.text = text


def parse_json(text: str | bytes, *, what: str = "body") -> Any:
    """The JSON document ``text`` (bytes are UTF-8, as JSON is), nested at most :data:`MAX_DEPTH` deep."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidJson(UiText("%(what)s is not UTF-8 text", what=what)) from None
    try:
        document = json.loads(text)
    except RecursionError:
        raise InvalidJson(_too_deep(what)) from None
    except ValueError:  # JSONDecodeError, and integers too long to convert
        raise InvalidJson(UiText("%(what)s is not JSON", what=what)) from None
    if _depth(document) > MAX_DEPTH:
        raise InvalidJson(_too_deep(what))
    return document


def _too_deep(what: str) -> UiText:
    return UiText("%(what)s is nested too deeply (at most %(limit)s levels)", what=what, limit=MAX_DEPTH)


def _depth(document: Any) -> int:
    """How deeply arrays and objects nest in ``document``, found without recursion."""
    deepest = 0
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:  # deeper is refused whatever lies below
                pending.extend((item, depth + 1) for item in value)
    return deepest
