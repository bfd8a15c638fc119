"""The simulator's AMI server refuses malformed call actions as Asterisk does, and the session carries on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sim_testkit import AmiTestClient

from cti.sim import Simulator, SimulatorConfig

NO_SUCH = "Local/nope@x-00000000;1"


@pytest.fixture
async def client() -> AsyncIterator[AmiTestClient]:
    simulator = Simulator(SimulatorConfig(ami_port=0, agi_url="agi://127.0.0.1:1/none", speed=10))
    await simulator.start()
    connection = await AmiTestClient.connect(simulator.ami_port)
    try:
        yield connection
    finally:
        await connection.close()
        await simulator.stop()


async def error_message(client: AmiTestClient, name: str, fields: dict[str, str]) -> str | None:
    response = await client.action(name, fields)
    assert response.get("Response") == "Error", response.headers
    return response.get("Message")


async def test_each_malformed_action_gets_its_error(client: AmiTestClient) -> None:
    assert await error_message(client, "Challenge", {}) == "Must specify AuthType"
    await client.login()
    refusals = [
        ("Setvar", {"Value": "1"}, "No variable specified"),
        ("Getvar", {}, "No variable specified"),
        ("Setvar", {"Channel": NO_SUCH, "Variable": "CC_X", "Value": "1"}, "No such channel"),
        ("Getvar", {"Channel": NO_SUCH, "Variable": "CC_X"}, "No such channel"),
        ("PlayDTMF", {"Channel": NO_SUCH}, "No digit specified"),
        ("PlayDTMF", {"Channel": NO_SUCH, "Digit": "5"}, "No such channel"),
        ("Redirect", {"Channel": NO_SUCH, "Context": "c", "Exten": "1"}, "No such channel"),
        ("Status", {"Channel": NO_SUCH}, "No such channel"),
        ("Hangup", {"Channel": "/[/"}, "Invalid regex"),
        ("Originate", {"Exten": "1"}, "Channel not specified"),
    ]
    for name, fields, message in refusals:
        assert await error_message(client, name, fields) == message, name
    assert (await client.action("Ping")).get("Ping") == "Pong"


async def test_variables_without_a_channel_are_global(client: AmiTestClient) -> None:
    await client.login()
    assert (await client.action("Setvar", {"Variable": "CC_MODE", "Value": "night"})).get("Message") == "Variable Set"
    got = await client.action("Getvar", {"Variable": "CC_MODE"})
    assert (got.get("Response"), got.get("Variable"), got.get("Value")) == ("Success", "CC_MODE", "night")


async def test_empty_lists_still_close_with_a_count(client: AmiTestClient) -> None:
    await client.login()
    client.events.clear()
    await client.action("Status", action_id="st")
    await client.action("Hangup", {"Channel": "/^nothing-matches$/"}, action_id="hr")
    await client.wait_for(lambda: len(client.named("StatusComplete", "ChannelsHungupListComplete")) == 2)
    (status,) = client.named("StatusComplete")
    assert status.headers[1:] == (("ActionID", "st"), ("EventList", "Complete"), ("ListItems", "0"), ("Items", "0"))
    (hung_up,) = client.named("ChannelsHungupListComplete")
    assert hung_up.headers[1:] == (("ActionID", "hr"), ("EventList", "Complete"), ("ListItems", "0"))
