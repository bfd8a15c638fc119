"""Dial strings and call-back numbers: what may be spliced into Dial(), ChanSpy() and a Local channel."""

from __future__ import annotations

import re

# A dial string is ``Tech/resource``. The resource is spliced into Dial() and ChanSpy() data, where ','
# separates arguments, '&' adds a parallel device, '|' is an old argument separator, brackets and '$'
# open expressions, and blanks or ';' end a config value: none of those may appear.
_DIAL_STRING = re.compile(r"[A-Za-z][A-Za-z0-9_]*/[A-Za-z0-9_.@+#*:/=-]+")
# A number we may call back: digits with an optional leading '+', nothing a Local channel would read as
# a context ('@'), options ('/') or another argument (',').
_CALLBACK_NUMBER = re.compile(r"\+?[0-9]{3,20}")


class InvalidDialString(ValueError):
    """A value is not one device's dial string; the message names where it came from."""


def validate_dial_string(value: str, where: str = "phone") -> str:
    """Return ``value`` if it is one device's dial string (``PJSIP/1001``, ``Local/1001@phones/n``),
    else raise :class:`InvalidDialString`."""
    if not _DIAL_STRING.fullmatch(value):
        raise InvalidDialString(f"{where}: {value!r} is not a dial string such as PJSIP/1001 "
                                "(Tech/resource of letters, digits and _ . @ + # * : / = -)")
    return value


def callback_number(value: str | None) -> str | None:
    """``value`` if it is a number we may dial back (``+``? and 3-20 ASCII digits), else None.

    Caller IDs are chosen by the caller, so anything else (``0044@from-internal/``, ``1,2``, spaces) never
    becomes a call-back target.
    """
    if value is None or not _CALLBACK_NUMBER.fullmatch(value):
        return None
    return value
