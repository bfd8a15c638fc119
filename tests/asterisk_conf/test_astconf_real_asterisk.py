"""Load the rendered configuration into a real Asterisk (``ASTERISK_BIN``) and ask it what it understood."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator

import pytest
from real_asterisk import SECRET, Instance, free_port, running_asterisk

from asterisk_conf.site import SiteConfig

pytestmark = pytest.mark.asterisk

# Where Asterisk reports problems with the files we ship.
OUR_SOURCES = {"config.c", "pbx_config.c", "pbx.c", "manager.c", "acl.c", "res_musiconhold.c", "loader.c"}


@pytest.fixture(scope="module")
def asterisk() -> Iterator[tuple[Instance, SiteConfig]]:
    # The trunk loops back into our inbound context, so a call-back through it shows up on our FastAGI port.
    site = SiteConfig(agi_port=free_port(), ami_port=free_port(), ami_secret=SECRET,
                      trunk="Local/{number}@callcenter-inbound")
    with running_asterisk(site) as instance:
        yield instance, site


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
    dialer = instance.cli("dialplan show callcenter-dialer")
    assert "AMD()" in dialer and "WaitForSilence(1500,1,30)" in dialer, dialer
    outbound = instance.cli("dialplan show callcenter-outbound")
    assert "'_+X!'" in outbound and "Dial(Local/${EXTEN}@callcenter-inbound,30)" in outbound, outbound


@pytest.mark.parametrize("function", ["URIENCODE", "CHANNEL"])
def test_functions_our_code_calls_are_registered(asterisk: tuple[Instance, SiteConfig], function: str) -> None:
    instance, _ = asterisk
    shown = instance.cli(f"core show function {function}")
    assert f"Info about Function '{function}'" in shown, shown


@pytest.mark.parametrize(
    "application",
    ["AGI", "Dial", "Bridge", "MusicOnHold", "ChanSpy", "Wait", "Hangup", "GotoIf", "Goto", "NoOp", "Set"],
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
