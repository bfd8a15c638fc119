"""A real Asterisk (``ASTERISK_BIN``) started from a temporary directory with the configuration we ship
(see :mod:`asterisk_conf.local_pbx`). Without ``ASTERISK_BIN`` the tests using it are skipped."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence

import pytest

from asterisk_conf import local_pbx
from asterisk_conf.local_pbx import AsteriskBootError, LocalAsterisk, free_port
from asterisk_conf.site import SiteConfig

ASTERISK_BIN = os.environ.get("ASTERISK_BIN", "")
SECRET = "test-secret-42"
Instance = LocalAsterisk

__all__ = ["ASTERISK_BIN", "SECRET", "Instance", "asterisk_binary", "free_port", "running_asterisk"]


def asterisk_binary() -> str:
    """``ASTERISK_BIN``; skips the test when it names no executable."""
    if not ASTERISK_BIN:
        pytest.skip("ASTERISK_BIN is not set: no real Asterisk to load the rendered configuration into")
    if not os.access(ASTERISK_BIN, os.X_OK):
        pytest.skip(f"ASTERISK_BIN={ASTERISK_BIN!r} is not an executable file")
    return ASTERISK_BIN


@contextlib.contextmanager
def running_asterisk(
    site: SiteConfig,
    extra_dialplan: str = "",
    *,
    extra_modules: Sequence[str] = (),
    extra_files: Mapping[str, str] | None = None,
) -> Iterator[LocalAsterisk]:
    """A real Asterisk (``ASTERISK_BIN``) on loopback with our configuration for ``site`` (and what
    :func:`asterisk_conf.local_pbx.layout` adds); skips the test when there is none."""
    binary = asterisk_binary()
    try:
        with local_pbx.running_asterisk(binary, site, extra_dialplan, extra_modules=extra_modules,
                                        extra_files=extra_files) as instance:
            yield instance
    except AsteriskBootError as exc:
        pytest.fail(str(exc))
