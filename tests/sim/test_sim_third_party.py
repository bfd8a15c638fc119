"""Third-party clients agree with the simulator: panoramisk over AMI, a pyst2 script over FastAGI."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
from typing import Any

from asterisk.agi import AGI, AGIAppError
from panoramisk import Manager
from sim_testkit import AmiTestClient

from cti.sim import CallerScript, PhoneBehaviour, Simulator, SimulatorConfig


async def test_panoramisk_logs_in_and_receives_events() -> None:
    sim = Simulator(SimulatorConfig(ami_port=0, agi_url="agi://127.0.0.1:1/unreachable", speed=50))
    await sim.start()
    manager = Manager(host="127.0.0.1", port=sim.ami_port, username="cti", secret="ctisecret", ping_delay=0)
    received: list[str] = []
    got_hangup = asyncio.Event()

    def on_event(_: Any, message: Any) -> None:
        received.append(message.Event)
        if message.Event == "Hangup":
            got_hangup.set()

    manager.register_event("*", on_event)
    try:
        await manager.connect()
        pong = await manager.send_action({"Action": "Ping"})
        assert pong.Ping == "Pong"
        await sim.place_inbound_call("5551000", "5551234", "Alice Example")
        await asyncio.wait_for(got_hangup.wait(), 5)
        # Nothing listens on the AGI port: the dialplan goes on with AGISTATUS=FAILURE and hangs up.
        calls = [name for name in received if name not in ("FullyBooted", "SuccessfulAuth")]
        assert calls[:2] == ["Newchannel", "Newchannel"] and "LocalBridge" in calls
        status = await manager.send_action({"Action": "Getvar", "Variable": "NOSUCH"})
        assert status.Response == "Success"
    finally:
        manager.close()
        await sim.stop()


class ThreadAGI(AGI):  # type: ignore[misc]  # pyst2 ships no type hints
    """pyst2's AGI minus its SIGHUP handler, which Python only allows in the main thread."""

    def __init__(self, stdin: Any, stdout: Any) -> None:
        self.stdin, self.stdout, self.stderr = stdin, stdout, io.StringIO()
        self._got_sighup = False
        self.env: dict[str, str] = {}
        self._get_agi_env()


def serve_pyst2_once(listener: socket.socket, results: dict[str, Any]) -> None:
    """Accept one FastAGI session and run a pyst2 script on it (blocking, in a thread)."""
    conn, _ = listener.accept()
    with conn, conn.makefile("r") as stdin, conn.makefile("w") as stdout:
        agi = ThreadAGI(stdin, stdout)
        results["env"] = dict(agi.env)
        agi.answer()
        results["callerid"] = agi.get_variable("CALLERID(num)")
        results["code"] = agi.get_data("enter-code", timeout=3000, max_digits=5)
        agi.set_variable("CUSTOMER_CODE", results["code"])
        try:
            agi.appexec("Dial", "PJSIP/1001,20")
        except AGIAppError:  # Dial answers -1 once the agent has hung up, as on a real Asterisk
            results["dial_ended_by_agent"] = True
        results["dialstatus"] = agi.get_variable("DIALSTATUS")


async def test_pyst2_script_drives_a_call_through_the_simulator() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    results: dict[str, Any] = {}
    thread = threading.Thread(target=serve_pyst2_once, args=(listener, results), daemon=True)
    thread.start()
    config = SimulatorConfig(
        ami_port=0,
        agi_url=f"agi://127.0.0.1:{port}/ivr?lang=en",
        speed=20,
        phones={"PJSIP/1001": PhoneBehaviour(answer_after=2, talk_time=5)},
    )
    sim = Simulator(config)
    await sim.start()
    monitor = await AmiTestClient.connect(sim.ami_port)
    await monitor.login()
    try:
        one = await sim.place_inbound_call(
            "5551000",
            "5551234",
            "Alice Example",
            script=CallerScript(digits=((0.5, "1"), (0.2, "2"), (0.2, "3"), (0.2, "4"), (0.2, "5"))),
        )
        await asyncio.get_running_loop().run_in_executor(None, thread.join, 10)
        assert not thread.is_alive()
        await monitor.wait_for(
            lambda: any(e.get("Channel") == one and e.name == "Hangup" for e in monitor.events)
        )
    finally:
        await monitor.close()
        await sim.stop()
        listener.close()
    assert results["env"]["agi_network_script"] == "ivr?lang=en"
    assert results["callerid"] == "5551234"
    assert results["code"] == "12345"
    assert results["dialstatus"] == "ANSWER" and results["dial_ended_by_agent"]
    names = [e.name for e in monitor.events]
    for wanted in (
        "DialBegin",
        "DialState",
        "DialEnd",
        "BridgeCreate",
        "BridgeEnter",
        "BridgeLeave",
        "BridgeDestroy",
    ):
        assert wanted in names
    agent = next(e["Channel"] for e in monitor.named("Newchannel") if e["Channel"].startswith("PJSIP/1001-"))
    assert agent == "PJSIP/1001-00000000"
