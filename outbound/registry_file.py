"""The national registry's file: built once from the published list, then memory-mapped by every process.

The published list (ten million lines or more) is read as a stream of lines, one number a line: E.164
with a ``+``, or national (the region's country code is put in front and a leading national prefix such as
``0``, or NANP's ``1``, taken off). Punctuation, spaces and commas inside a line are ignored, so the
FTC's ``area code,number`` rows read as one number. Lines without digits (headers, blanks) are skipped
and counted, as are lines that cannot be a number (more than 15 digits).

The file is a 16-byte header (``MAGIC`` and the count, little-endian) and the sorted, duplicate-free
keys as little-endian signed 64-bit integers. :func:`load_registry` maps it without reading it, so a
process starts at once and the pages are shared between processes by the operating system.
"""

from __future__ import annotations

import dataclasses
import mmap
import os
import struct
import sys
from array import array
from collections.abc import Iterable
from pathlib import Path

import phonenumbers

from outbound.registry import NationalRegistry

MAGIC = b"CCDNC01\n"
_HEADER = struct.Struct("<8sQ")
_NON_DIGITS = bytes(b for b in range(256) if not 48 <= b <= 57)
_MAX_DIGITS = 15


class RegistryFileError(ValueError):
    """A registry file is not one this module wrote, or is truncated."""


@dataclasses.dataclass(frozen=True, slots=True)
class RegistryBuild:
    """What :func:`build_registry` read and wrote."""

    lines: int
    numbers: int
    skipped: int
    bytes_written: int


def _national_prefix(region: str) -> bytes:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return (metadata.national_prefix or "").encode() if metadata is not None else b""


def _keys(lines: Iterable[bytes], region: str, out: array) -> tuple[int, int]:  # type: ignore[type-arg]
    """Append each line's key to ``out``; returns how many lines were read and how many skipped."""
    country = str(phonenumbers.country_code_for_region(region)).encode()
    prefix = _national_prefix(region)
    before = len(out)
    bad = 0
    append = out.append
    for line in lines:
        digits = line.translate(None, _NON_DIGITS)
        if not digits:
            bad += 1
            continue
        if not line.lstrip().startswith(b"+"):
            if prefix and digits.startswith(prefix):
                digits = digits[len(prefix):]
            digits = country + digits
        if len(digits) > _MAX_DIGITS:
            bad += 1
            continue
        append(int(digits))
    return len(out) - before + bad, bad


def build_registry(source: str | os.PathLike[str] | Iterable[bytes], target: str | os.PathLike[str], *,
                   region: str = "US") -> RegistryBuild:
    """Read the published list from ``source`` (a path or an iterable of byte lines); write ``target``.

    National numbers are taken to be in ``region``. The target is written to a temporary name and renamed
    into place, so a process mapping the old file never sees a half-written one.
    """
    keys = array("q")
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb", buffering=1 << 20) as stream:
            lines, skipped = _keys(stream, region, keys)
    else:
        lines, skipped = _keys(source, region, keys)
    ordered = sorted(keys)
    del keys
    unique = array("q")
    previous = None
    append = unique.append
    for key in ordered:
        if key != previous:
            append(key)
            previous = key
    del ordered
    if sys.byteorder != "little":
        unique.byteswap()
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    with open(partial, "wb") as out:
        out.write(_HEADER.pack(MAGIC, len(unique)))
        unique.tofile(out)
    os.replace(partial, target)
    return RegistryBuild(lines=lines, numbers=len(unique), skipped=skipped,
                         bytes_written=_HEADER.size + 8 * len(unique))


def load_registry(path: str | os.PathLike[str], *, name: str = "national registry") -> NationalRegistry:
    """Map the registry file at ``path`` (read-only; the mapping lives as long as the registry)."""
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if size < _HEADER.size:
            raise RegistryFileError(f"{path}: too short for a registry file")
        magic, count = _HEADER.unpack(stream.read(_HEADER.size))
        if magic != MAGIC:
            raise RegistryFileError(f"{path}: not a registry file")
        if size != _HEADER.size + 8 * count:
            raise RegistryFileError(f"{path}: holds {size} bytes, its header promises {count} numbers")
        if count == 0:
            return NationalRegistry(array("q"), name=name)
        if sys.byteorder != "little":
            keys = array("q")
            keys.fromfile(stream, count)
            keys.byteswap()
            return NationalRegistry(keys, name=name)
        mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    return NationalRegistry(memoryview(mapped)[_HEADER.size:].cast("q"), name=name)
