"""A real Asterisk started from a directory of its own, on loopback, with the configuration we ship.

The instance reads its own asterisk.conf, loads only the modules our modules.conf requires (plus the
ones a caller asks for, e.g. :data:`PJSIP_MODULES` for SIP phones and trunks), and is stopped at the
end. ``callcenter bench sip`` and the tests marked ``asterisk`` run one.
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
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from asterisk_conf.render import render_site, write_files
from asterisk_conf.site import SiteConfig

# SIP through chan_pjsip with RTP media, in load order: what a site with SIP phones and a SIP trunk needs
# beyond our modules.conf when it loads nothing by itself (autoload = no). Calls are G.711 (ulaw); prompts
# are WAV or GSM files, music is WAV. A timing source comes first: without one Asterisk times nothing it
# plays or generates, and under load it crashed (a NULL timer dereferenced) at 24 calls/s.
PJSIP_MODULES: tuple[str, ...] = (
    "res_timing_timerfd.so",
    "res_pjproject.so",
    "res_sorcery_config.so",
    "res_sorcery_memory.so",
    "res_sorcery_astdb.so",
    "res_pjsip.so",
    "res_pjsip_session.so",
    "res_pjsip_pubsub.so",
    "res_pjsip_endpoint_identifier_ip.so",
    "res_pjsip_caller_id.so",
    "res_pjsip_dtmf_info.so",
    "res_pjsip_sdp_rtp.so",
    "res_rtp_asterisk.so",
    "chan_pjsip.so",
    "codec_ulaw.so",
    "codec_gsm.so",
    "format_pcm.so",
    "format_gsm.so",
)
BOOT_SECONDS = 30.0


class AsteriskBootError(RuntimeError):
    """Asterisk exited or did not report "fully booted" in time; the message ends with its console output."""


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A loopback port nothing listens on at the moment (TCP by default, ``SOCK_DGRAM`` for UDP)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def documentation_dir(prefix: Path) -> Path | None:
    """The installed XML documentation: ASTERISK_DOCDIR, else where a source or a Debian install puts it."""
    candidates = [Path(os.environ["ASTERISK_DOCDIR"])] if os.environ.get("ASTERISK_DOCDIR") else []
    candidates += [prefix / "var" / "lib" / "asterisk" / "documentation",
                   prefix / "share" / "asterisk" / "documentation",
                   Path("/var/lib/asterisk/documentation")]
    return next((path for path in candidates if (path / "core-en_US.xml").is_file()), None)


def layout(
    root: Path,
    binary: str,
    site: SiteConfig,
    extra_dialplan: str = "",
    *,
    extra_modules: Sequence[str] = (),
    extra_files: Mapping[str, str] | None = None,
    sounds: Path | None = None,
) -> None:
    """An asterisk.conf tree under ``root`` with the files we ship for ``site``, plus ``extra_dialplan``
    (contexts a test needs, e.g. phones made of Local channels), ``extra_modules`` (loaded after ours),
    ``extra_files`` (name -> text in the config directory, e.g. ``pjsip.conf``) and ``sounds`` (the
    directory of Asterisk's sound files, e.g. ``/usr/share/asterisk/sounds``; none by default)."""
    prefix = Path(binary).resolve().parent.parent
    moddir = os.environ.get("ASTERISK_MODDIR", str(prefix / "lib" / "asterisk" / "modules"))
    for sub in ("etc", "varlib", "data/moh", "agi", "spool", "run", "log", "cache"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    # Asterisk refuses to boot ("Stasis initialization failed") without the XML documentation of its build.
    docs = documentation_dir(prefix)
    if docs is not None:
        (root / "data" / "documentation").symlink_to(docs)
    if sounds is not None:
        (root / "data" / "sounds").symlink_to(sounds.resolve())
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
    files["modules.conf"] = modules + "load = format_wav.so\n" + "".join(f"require = {m}\n" for m in extra_modules)
    write_files(files, etc)
    # The way the README tells an admin to include our dialplan.
    (etc / "extensions.conf").write_text('[general]\nstatic = yes\nwriteprotect = yes\n\n'
                                         '#include "extensions_callcenter.conf"\n\n' + extra_dialplan)
    (etc / "logger.conf").write_text("[logfiles]\nmessages.log => notice,warning,error\n")
    write_files(dict(extra_files or {}), etc)
    with wave.open(str(root / "data" / "moh" / "silence.wav"), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x00" * 8000)


class LocalAsterisk:
    """A running Asterisk laid out under ``root``; :meth:`cli` runs one CLI command on it."""

    def __init__(self, binary: str, root: Path, process: subprocess.Popen[bytes]) -> None:
        self.binary = binary
        self.root = root
        self.conf = root / "asterisk.conf"
        self.process = process

    @property
    def pid(self) -> int:
        return self.process.pid

    def cli(self, command: str) -> str:
        done = subprocess.run(
            [self.binary, "-C", str(self.conf), "-rx", command],
            capture_output=True, text=True, timeout=20, check=False,
        )
        return done.stdout + done.stderr

    def console(self) -> str:
        """What Asterisk printed so far."""
        return (self.root / "log" / "console.out").read_text(errors="replace")

    def wait_booted(self) -> None:
        """Wait until Asterisk is fully booted (:class:`AsteriskBootError` if it is not in time)."""
        deadline = time.monotonic() + BOOT_SECONDS
        while "fully booted" not in self.cli("core waitfullybooted").lower():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AsteriskBootError(f"Asterisk did not boot (exit {self.process.poll()}):\n"
                                        f"{self.console()[-3000:]}")
            time.sleep(0.2)

    def restart(self) -> None:
        """Stop Asterisk (every call hung up, as ``core stop now`` does) and boot it again on the same tree."""
        self.cli("core stop now")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = _launch(self.binary, self.root)
        self.wait_booted()


def _launch(binary: str, root: Path) -> subprocess.Popen[bytes]:
    with open(root / "log" / "console.out", "ab") as console:
        return subprocess.Popen([binary, "-C", str(root / "asterisk.conf"), "-f"],
                                stdin=subprocess.DEVNULL, stdout=console, stderr=console)


@contextlib.contextmanager
def running_asterisk(
    binary: str,
    site: SiteConfig,
    extra_dialplan: str = "",
    *,
    extra_modules: Sequence[str] = (),
    extra_files: Mapping[str, str] | None = None,
    sounds: Path | None = None,
) -> Iterator[LocalAsterisk]:
    """Asterisk ``binary`` booted with :func:`layout`'s tree in a new temporary directory (removed after);
    raises :class:`AsteriskBootError` when it does not boot."""
    # A short path: the control socket's path must fit in a sockaddr_un.
    root = Path(tempfile.mkdtemp(prefix="ccast"))
    try:
        layout(root, binary, site, extra_dialplan, extra_modules=extra_modules, extra_files=extra_files,
               sounds=sounds)
        instance = LocalAsterisk(binary, root, _launch(binary, root))
        try:
            instance.wait_booted()
            yield instance
        finally:
            instance.cli("core stop now")
            try:
                instance.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                instance.process.kill()
                instance.process.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)
