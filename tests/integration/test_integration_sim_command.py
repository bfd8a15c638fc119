"""``callcenter sim`` run as a user runs it: a subprocess that clients log in to, stopped by a signal."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from integration_kit import WAIT, BusRecorder, Changes, ami_config, start_agi

from bus.eventbus import EventBus
from cti.agi import AgiSession
from cti.ami.client import AmiClient
from cti.ami.events import ChannelAppeared

# Start-up imports every package's commands; allow for a loaded machine.
STARTUP = 60.0
NOTICE = re.compile(r"AMI on 127\.0\.0\.1:(\d+) .*inbound calls to (\S+),")


def command_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env.update({f"CALLCENTER_{k.upper()}": v for k, v in settings.items()})
    return env


@asynccontextmanager
async def running_sim(
    args: Sequence[str], cwd: Path, env: dict[str, str]
) -> AsyncIterator[tuple[asyncio.subprocess.Process, int, str]]:
    """``callcenter sim ARGS`` until the block ends; yields (process, AMI port, AGI URL)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "callcenter",
        "sim",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), STARTUP)).decode()
        found = NOTICE.search(line)
        assert found is not None, line
        yield process, int(found[1]), found[2]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def stopped_by(process: asyncio.subprocess.Process, signum: signal.Signals) -> tuple[int, str]:
    process.send_signal(signum)
    _, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_sim_command_serves_ami_with_flag_credentials_and_stops_on_sigterm(
    tmp_path: Path, bus: EventBus
) -> None:
    args = ["--ami-port", "0", "--ami-user", "tool", "--ami-secret", "s3cret", "--seed", "7"]
    async with running_sim(args, tmp_path, command_env()) as (process, port, agi_url):
        assert agi_url == "agi://127.0.0.1:4573/inbound"
        client = AmiClient(ami_config(port, username="tool", secret="s3cret"), bus)
        try:
            await client.connect(timeout=WAIT)
            assert await client.ping() < WAIT
        finally:
            await client.close()
        returncode, stderr = await stopped_by(process, signal.SIGTERM)
    assert returncode == 0, stderr
    assert "Traceback" not in stderr


async def test_sim_command_takes_settings_and_generates_traffic_until_sigint(
    tmp_path: Path, bus: EventBus, recorder: BusRecorder
) -> None:
    arrived = Changes()
    callers: list[str | None] = []

    async def inbound(session: AgiSession) -> None:
        callers.append(session.env.caller_number)
        arrived.changed()
        await session.hangup()

    agi = await start_agi([("inbound", inbound)])
    env = command_env(ami_user="cc", ami_secret="pw", agi_host="127.0.0.1", agi_port=str(agi.port))
    args = ["--ami-port", "0", "--calls-per-hour", "36000", "--mean-handle", "30", "--speed", "5"]
    try:
        async with running_sim(args, tmp_path, env) as (process, port, agi_url):
            assert agi_url == f"agi://127.0.0.1:{agi.port}/inbound"
            client = AmiClient(ami_config(port, username="cc", secret="pw"), bus)
            try:
                await client.connect(timeout=WAIT)
                await arrived.wait_for(lambda: len(callers) >= 2)
                await recorder.wait_for(lambda: recorder.of(ChannelAppeared))
            finally:
                await client.close()
            returncode, stderr = await stopped_by(process, signal.SIGINT)
    finally:
        await agi.close()
    assert returncode == 0, stderr
    assert all(number is not None and len(number) == 10 for number in callers)


def test_sim_command_reports_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "callcenter", "sim", "--ami-port", str(port)],
            cwd=tmp_path,
            env=command_env(),
            capture_output=True,
            text=True,
            timeout=STARTUP,
            check=False,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
