"""A real Asterisk (``ASTERISK_BIN``) started from a temporary directory with the configuration we ship.

The instance runs on loopback from its own asterisk.conf, loads only the modules our modules.conf
requires, and is stopped at the end. Without ``ASTERISK_BIN`` the tests using it are skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from asterisk_conf.render import render_site, write_files
from asterisk_conf.site import SiteConfig

ASTERISK_BIN = os.environ.get("ASTERISK_BIN", "")
SECRET = "test-secret-42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Instance:
    def __init__(self, binary: str, root: Path) -> None:
        self.binary = binary
        self.root = root
        self.conf = root / "asterisk.conf"

    def cli(self, command: str) -> str:
        done = subprocess.run(
            [self.binary, "-C", str(self.conf), "-rx", command],
            capture_output=True, text=True, timeout=20, check=False,
        )
        return done.stdout + done.stderr


def documentation_dir(prefix: Path) -> Path | None:
    """The installed XML documentation: ASTERISK_DOCDIR, else where a source or a Debian install puts it."""
    candidates = [Path(os.environ["ASTERISK_DOCDIR"])] if os.environ.get("ASTERISK_DOCDIR") else []
    candidates += [prefix / "var" / "lib" / "asterisk" / "documentation",
                   prefix / "share" / "asterisk" / "documentation",
                   Path("/var/lib/asterisk/documentation")]
    return next((path for path in candidates if (path / "core-en_US.xml").is_file()), None)


def layout(root: Path, binary: str, site: SiteConfig, extra_dialplan: str = "",
           extra_modules: tuple[str, ...] = ()) -> None:
    """An asterisk.conf tree under ``root`` with the files we ship for ``site`` (plus ``extra_dialplan``,
    contexts a test needs, e.g. phones made of Local channels, and the ``extra_modules`` they use)."""
    prefix = Path(binary).resolve().parent.parent
    moddir = os.environ.get("ASTERISK_MODDIR", str(prefix / "lib" / "asterisk" / "modules"))
    for sub in ("etc", "varlib", "data/moh", "agi", "spool", "run", "log", "cache"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    # Asterisk refuses to boot ("Stasis initialization failed") without the XML documentation of its build.
    docs = documentation_dir(prefix)
    if docs is not None:
        (root / "data" / "documentation").symlink_to(docs)
    dirs = {
        "astcachedir": "cache", "astetcdir": "etc", "astvarlibdir": "varlib", "astdbdir": "varlib",
        "astkeydir": "varlib", "astdatadir": "data", "astagidir": "agi", "astspooldir": "spool",
        "astrundir": "run", "astlogdir": "log",
    }
    lines = ["[directories]", *(f"{key} => {root / sub}" for key, sub in dirs.items()),
             f"astmoddir => {moddir}", f"astsbindir => {prefix / 'sbin'}",
             "[options]", "verbose = 3", "nocolor = yes", "dontwarn = yes"]
    (root / "asterisk.conf").write_text("\n".join(lines) + "\n")
    etc = root / "etc"
    files = render_site(site)
    # Only what we need, not every module of the build (some bind public ports); format_wav plays the music.
    modules = files["modules.conf"].replace("autoload = yes", "autoload = no")
    files["modules.conf"] = modules + "".join(f"load = {name}\n" for name in ("format_wav.so", *extra_modules))
    write_files(files, etc)
    # The way the README tells an admin to include our dialplan.
    (etc / "extensions.conf").write_text('[general]\nstatic = yes\nwriteprotect = yes\n\n'
                                         '#include "extensions_callcenter.conf"\n\n' + extra_dialplan)
    (etc / "logger.conf").write_text("[logfiles]\nmessages.log => notice,warning,error\n")
    with wave.open(str(root / "data" / "moh" / "silence.wav"), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x00" * 8000)


@contextlib.contextmanager
def running_asterisk(site: SiteConfig, extra_dialplan: str = "",
                     extra_modules: tuple[str, ...] = ()) -> Iterator[Instance]:
    """A real Asterisk (``ASTERISK_BIN``) on loopback with our configuration for ``site``; skips the test
    when there is none."""
    if not ASTERISK_BIN:
        pytest.skip("ASTERISK_BIN is not set: no real Asterisk to load the rendered configuration into")
    if not os.access(ASTERISK_BIN, os.X_OK):
        pytest.skip(f"ASTERISK_BIN={ASTERISK_BIN!r} is not an executable file")
    # A short path: the control socket's path must fit in a sockaddr_un.
    root = Path(tempfile.mkdtemp(prefix="ccast"))
    layout(root, ASTERISK_BIN, site, extra_dialplan, extra_modules)
    instance = Instance(ASTERISK_BIN, root)
    with open(root / "log" / "console.out", "wb") as console:
        process = subprocess.Popen(
            [ASTERISK_BIN, "-C", str(instance.conf), "-f"],
            stdin=subprocess.DEVNULL, stdout=console, stderr=console,
        )
    try:
        deadline = time.monotonic() + 30
        while "fully booted" not in instance.cli("core waitfullybooted").lower():
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "log" / "console.out").read_text(errors="replace")
                pytest.fail(f"Asterisk did not boot (exit {process.poll()}):\n{log[-3000:]}")
            time.sleep(0.2)
        yield instance
    finally:
        instance.cli("core stop now")
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)
