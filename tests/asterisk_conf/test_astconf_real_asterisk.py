"""Load the rendered configuration into a real Asterisk (``ASTERISK_BIN``) and ask it what it understood.

The instance runs on loopback from a temporary directory layout (its own asterisk.conf), loads only
the modules our modules.conf requires, and is stopped at the end.
"""

from __future__ import annotations

import os
import re
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

pytestmark = pytest.mark.asterisk

ASTERISK_BIN = os.environ.get("ASTERISK_BIN", "")
SECRET = "test-secret-42"
# Where Asterisk reports problems with the files we ship.
OUR_SOURCES = {"config.c", "pbx_config.c", "pbx.c", "manager.c", "acl.c", "res_musiconhold.c", "loader.c"}


def _free_port() -> int:
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


def _documentation_dir(prefix: Path) -> Path | None:
    """The installed XML documentation: ASTERISK_DOCDIR, else where a source or a Debian install puts it."""
    candidates = [Path(os.environ["ASTERISK_DOCDIR"])] if os.environ.get("ASTERISK_DOCDIR") else []
    candidates += [prefix / "var" / "lib" / "asterisk" / "documentation",
                   prefix / "share" / "asterisk" / "documentation",
                   Path("/var/lib/asterisk/documentation")]
    return next((path for path in candidates if (path / "core-en_US.xml").is_file()), None)


def _layout(root: Path, binary: str, site: SiteConfig) -> None:
    prefix = Path(binary).resolve().parent.parent
    moddir = os.environ.get("ASTERISK_MODDIR", str(prefix / "lib" / "asterisk" / "modules"))
    for sub in ("etc", "varlib", "data/moh", "agi", "spool", "run", "log", "cache"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    # Asterisk refuses to boot ("Stasis initialization failed") without the XML documentation of its build.
    docs = _documentation_dir(prefix)
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
    files["modules.conf"] = modules + "load = format_wav.so\n"
    write_files(files, etc)
    # The way the README tells an admin to include our dialplan.
    (etc / "extensions.conf").write_text('[general]\nstatic = yes\nwriteprotect = yes\n\n'
                                         '#include "extensions_callcenter.conf"\n')
    (etc / "logger.conf").write_text("[logfiles]\nmessages.log => notice,warning,error\n")
    with wave.open(str(root / "data" / "moh" / "silence.wav"), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x00" * 8000)


@pytest.fixture(scope="module")
def asterisk() -> Iterator[tuple[Instance, SiteConfig]]:
    if not ASTERISK_BIN:
        pytest.skip("ASTERISK_BIN is not set: no real Asterisk to load the rendered configuration into")
    if not os.access(ASTERISK_BIN, os.X_OK):
        pytest.skip(f"ASTERISK_BIN={ASTERISK_BIN!r} is not an executable file")
    # A short path: the control socket's path must fit in a sockaddr_un.
    root = Path(tempfile.mkdtemp(prefix="ccast"))
    # The trunk loops back into our inbound context, so a call-back through it shows up on our FastAGI port.
    site = SiteConfig(agi_port=_free_port(), ami_port=_free_port(), ami_secret=SECRET,
                      trunk="Local/{number}@callcenter-inbound")
    _layout(root, ASTERISK_BIN, site)
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
        yield instance, site
    finally:
        instance.cli("core stop now")
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def test_dialplan_is_loaded_as_written(asterisk: tuple[Instance, SiteConfig]) -> None:
    instance, site = asterisk
    inbound = instance.cli("dialplan show callcenter-inbound")
    for pattern in ("_X!", "_+X!", "_[a-zA-Z]."):
        assert f"'{pattern}'" in inbound, inbound
    assert "Set(__CC_DNIS=${EXTEN})" in inbound
    assert f"AGI(agi://127.0.0.1:{site.agi_port}/inbound?dnis=${{URIENCODE(${{EXTEN}})}})" in inbound
    assert "/connect?agent=" in instance.cli("dialplan show callcenter-connect")
    assert "/callback?call=" in instance.cli("dialplan show callcenter-callback")
    resume = instance.cli("dialplan show callcenter-resume")
    assert f"AGI(agi://127.0.0.1:{site.agi_port}/resume?call=${{URIENCODE(${{EXTEN}})}})" in resume, resume
    transfer = instance.cli("dialplan show callcenter-transfer")
    assert f":{site.agi_port}/transfer?call=${{URIENCODE(${{EXTEN}})}})" in transfer, transfer
    assert 'GotoIf($["${AGISTATUS}" = "HANGUP"]?done)' in inbound
    assert "MusicOnHold(default,20)" in inbound and "Goto(hold)" in inbound
    outbound = instance.cli("dialplan show callcenter-outbound")
    assert "'_+X!'" in outbound and "Dial(Local/${EXTEN}@callcenter-inbound)" in outbound, outbound


@pytest.mark.parametrize("function", ["URIENCODE", "CHANNEL"])
def test_functions_our_code_calls_are_registered(asterisk: tuple[Instance, SiteConfig], function: str) -> None:
    instance, _ = asterisk
    shown = instance.cli(f"core show function {function}")
    assert f"Info about Function '{function}'" in shown, shown


@pytest.mark.parametrize(
    "application", ["AGI", "Dial", "Bridge", "MusicOnHold", "ChanSpy", "Wait", "Hangup", "GotoIf", "Goto", "NoOp", "Set"]
)
def test_applications_our_code_runs_are_registered(
    asterisk: tuple[Instance, SiteConfig], application: str,
) -> None:
    instance, _ = asterisk
    shown = instance.cli(f"core show application {application}")
    assert f"Info about Application '{application}'" in shown, shown


def test_manager_user_has_least_privilege(asterisk: tuple[Instance, SiteConfig]) -> None:
    instance, site = asterisk
    shown = instance.cli(f"manager show user {site.ami_user}")
    write = re.search(r"write perm:\s*(\S+)", shown, re.IGNORECASE)
    assert write, shown
    classes = set(write.group(1).lower().split(","))
    assert classes == {"call", "originate", "agent", "user", "reporting"}, shown


def _ami(port: int, *actions: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.recv(1024)  # banner
        conn.sendall("".join(actions).encode())
        chunks = b""
        deadline = time.monotonic() + 5
        while chunks.count(b"\r\n\r\n") < len(actions) and time.monotonic() < deadline:
            data = conn.recv(65536)
            if not data:
                break
            chunks += data
    return chunks.decode(errors="replace")


def test_ami_login_works_and_shell_commands_are_refused(asterisk: tuple[Instance, SiteConfig]) -> None:
    _, site = asterisk
    reply = _ami(
        site.ami_port,
        f"Action: Login\r\nActionID: 1\r\nUsername: {site.ami_user}\r\nSecret: {SECRET}\r\n"
        "Events: off\r\n\r\n",
        "Action: Command\r\nActionID: 2\r\nCommand: core show version\r\n\r\n",
    )
    assert "Authentication accepted" in reply, reply
    assert "Permission denied" in reply.split("ActionID: 2", 1)[-1], reply


def test_no_errors_about_our_files_in_the_log(asterisk: tuple[Instance, SiteConfig]) -> None:
    instance, _ = asterisk
    log = instance.root / "log" / "messages.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    complaints = [
        line for line in text.splitlines()
        if (m := re.search(r"(ERROR|WARNING)\[\d+\]\S*\s+(\w+\.c)[: ]", line)) and m.group(2) in OUR_SOURCES
    ]
    assert complaints == []


def _agi_environment(listener: socket.socket) -> dict[str, str]:
    """Accept one FastAGI connection and read its environment block; then end the script."""
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(10)
        data = b""
        while b"\n\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\n\n", 1)[0].decode()
    return dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)


def test_an_inbound_call_reaches_our_fastagi_server_with_the_dialled_number(
    asterisk: tuple[Instance, SiteConfig],
) -> None:
    _, site = asterisk
    with socket.create_server(("127.0.0.1", site.agi_port)) as listener:
        listener.settimeout(15)
        reply = _ami(
            site.ami_port,
            f"Action: Login\r\nActionID: 1\r\nUsername: {site.ami_user}\r\nSecret: {SECRET}\r\n"
            "Events: off\r\n\r\n",
            # The ';2' half of the Local channel runs callcenter-inbound; the ';1' half just waits.
            "Action: Originate\r\nActionID: 2\r\nChannel: Local/+4930123456@callcenter-inbound\r\n"
            "Application: Wait\r\nData: 5\r\nAsync: true\r\n\r\n",
        )
        assert "Originate successfully queued" in reply, reply
        env = _agi_environment(listener)
    assert env["agi_network_script"] == "inbound?dnis=%2B4930123456", env
    assert env["agi_context"] == "callcenter-inbound"
    assert env["agi_extension"] == "+4930123456"
    assert env["agi_channel"].startswith("Local/+4930123456@callcenter-inbound-")
    assert env["agi_channel"].endswith(";2")


def test_a_call_back_dials_the_number_through_the_trunk(asterisk: tuple[Instance, SiteConfig]) -> None:
    _, site = asterisk
    with socket.create_server(("127.0.0.1", site.agi_port)) as listener:
        listener.settimeout(15)
        # What the ACD originates for a call-back (AcdServiceSettings.callback_dial).
        reply = _ami(
            site.ami_port,
            f"Action: Login\r\nActionID: 1\r\nUsername: {site.ami_user}\r\nSecret: {SECRET}\r\n"
            "Events: off\r\n\r\n",
            "Action: Originate\r\nActionID: 2\r\nChannel: Local/+4930777@callcenter-outbound\r\n"
            "Application: Wait\r\nData: 5\r\nAsync: true\r\n\r\n",
        )
        assert "Originate successfully queued" in reply, reply
        env = _agi_environment(listener)
    # The outbound context's Dial() reached the trunk (here: our inbound context) with the number.
    assert env["agi_network_script"] == "inbound?dnis=%2B4930777", env
    assert env["agi_extension"] == "+4930777"
    assert env["agi_channel"].startswith("Local/+4930777@callcenter-inbound-")
