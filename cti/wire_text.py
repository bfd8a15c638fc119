"""How bytes from Asterisk become text: UTF-8, and any byte that is not UTF-8 read as Windows-1252.

Real trunks deliver caller names and numbers in Latin-1 (``Ren\\xe9e``), and Asterisk passes the bytes
on unchanged in AMI events and the FastAGI environment. The protocol parsers can keep such bytes
exactly (``surrogateescape``, for tools that must reproduce the wire), but past ``cti/`` every string
must be valid Unicode: JSON, the database drivers and aiohttp all refuse a lone surrogate. So what
``cti/`` hands to the rest of the product is decoded with the :data:`LEGACY_ERRORS` handler: valid UTF-8
stays as it is, and each byte that is not is taken as the Windows-1252 character it would be (a Latin-1
superset; its five unassigned bytes are taken as Latin-1 control characters), so ``Ren\\xe9e`` reads
``Renée`` and nothing is lost to a replacement character.
"""

from __future__ import annotations

import codecs

#: The name of the codec error handler (``bytes.decode("utf-8", LEGACY_ERRORS)``).
LEGACY_ERRORS = "callcenter.windows-1252"


def _byte_as_text(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: unassigned in Windows-1252


_LEGACY = tuple(_byte_as_text(b) for b in range(256))


def _read_as_windows_1252(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(_LEGACY[b] for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error(LEGACY_ERRORS, _read_as_windows_1252)


def wire_text(data: bytes) -> str:
    """``data`` as text under the policy above; never raises, never yields a lone surrogate."""
    return data.decode("utf-8", LEGACY_ERRORS)


def is_utf8(data: bytes) -> bool:
    """Whether ``data`` decodes as UTF-8 as it is."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
