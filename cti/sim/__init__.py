"""The PBX simulator: an asyncio AMI server and FastAGI client that behave like Asterisk on the wire."""

from cti.sim.config import CallerScript, PhoneBehaviour, PhoneOutcome, SimulatorConfig, TrafficSettings
from cti.sim.simulator import Simulator

__all__ = [
    "CallerScript",
    "PhoneBehaviour",
    "PhoneOutcome",
    "Simulator",
    "SimulatorConfig",
    "TrafficSettings",
]
