from typing import Any

import pytest

from acd.config import ConfigError, load_config
from acd.hours import parse_opening_hours

GOOD = {
    "acd": {"priority_weight": 30, "pause_reasons": ["lunch"]},
    "skills": [{"name": "billing"}, {"name": "french"}],
    "queues": [
        {"name": "support", "service_level": {"percent": 90, "seconds": 15}, "max_length": 5,
         "wrap_up_seconds": 10, "timezone": "Europe/Berlin",
         "hours": [{"days": "mon-fri", "open": "08:00", "close": "18:00"}],
         "skills": {"billing": 3},
         "escalation": [{"after": 60, "lower": {"billing": 1}}, {"after": 30, "overflow": ["general"]}]},
        {"name": "general"},
    ],
    "agents": [{"id": 1001, "name": "Ada", "password": "pw", "phone": "PJSIP/1001",
                "skills": {"billing": 7, "french": 2}, "queues": ["support", "general"]}],
}


def test_full_config_becomes_dataclasses() -> None:
    config = load_config(GOOD)
    support = config.queue("support")
    assert support.service_level_percent == 90 and support.service_level_seconds == 15
    assert support.max_length == 5 and support.wrap_up_seconds == 10
    assert support.skills == (("billing", 3),)
    assert [s.after for s in support.escalation] == [30, 60]  # sorted by time
    assert support.escalation[0].overflow == ("general",)
    agent = config.agents[0]
    assert (agent.id, agent.password, agent.phone) == ("1001", "pw", "PJSIP/1001")
    assert dict(agent.skills) == {"billing": 7, "french": 2}
    assert config.weights.priority == 30
    assert "lunch" in config.pause_reasons and "missed" in config.pause_reasons
    assert "break" not in config.pause_reasons


@pytest.mark.parametrize(("patch", "message"), [
    ({"agents": [{"id": "1", "queues": ["nope"]}]}, "unknown queue 'nope'"),
    ({"agents": [{"id": "1", "skills": {"billing": 11}}]}, "must be an integer 1-10"),
    ({"agents": [{"id": "1", "skills": {"billing": 0}}]}, "must be an integer 1-10"),
    ({"agents": [{"id": "1", "skills": {"cooking": 3}}]}, "unknown skill 'cooking'"),
    ({"agents": [{"id": "1"}, {"id": "1"}]}, "duplicate agent ids"),
    ({"queues": [{"name": "a", "escalation": [{"after": 5, "overflow": ["zz"]}]}]}, "unknown queue 'zz'"),
    ({"queues": [{"name": "a", "timezone": "Mars/Olympus"}]}, "unknown time zone"),
    ({"queues": [{"name": "a", "hours": [{"days": "mon-fry", "open": "08:00", "close": "09:00"}]}]},
     "unknown weekday"),
    ({"queues": [{"name": "a", "max_length": 0}]}, "max_length"),
    ({"queues": [{"name": "a", "colour": "red"}]}, "unknown keys"),
])
def test_bad_configs_name_the_problem(patch: dict[str, Any], message: str) -> None:
    raw = {**GOOD, "agents": [], **patch}
    with pytest.raises(ConfigError, match=message):
        load_config(raw)


def test_opening_hours_follow_the_time_zone() -> None:
    hours = parse_opening_hours("Europe/Berlin", [{"days": "mon-fri", "open": "08:00", "close": "18:00"}])
    # 2024-01-08 is a Monday; 07:30 UTC is 08:30 in Berlin (winter time), 17:30 UTC is 18:30.
    assert hours.is_open(1704699000)
    assert not hours.is_open(1704735000)
    assert not hours.is_open(1704699000 - 2 * 86400)  # the Saturday before
    weekend = parse_opening_hours("UTC", [{"days": "sat-sun", "open": "00:00", "close": "24:00"}])
    assert weekend.is_open(1704699000 - 2 * 86400) and not weekend.is_open(1704699000)


@pytest.mark.parametrize("phone", ["PJSIP/1001", "IAX2/user:pw@host/100", "Local/1001@phones/n", "SIP/+4930123",
                                   "DAHDI/g1/5551234"])
def test_agent_phones_that_are_one_dial_string_are_kept(phone: str) -> None:
    config = load_config({"agents": [{"id": "1", "phone": phone}]})
    assert config.agents[0].phone == phone


@pytest.mark.parametrize("phone", ["PJSIP/1001,30,D(9)", "PJSIP/1&PJSIP/2", "PJSIP/1|x", "1001", "PJSIP/",
                                   "PJSIP/10 01", "PJSIP/${EVIL}", "PJSIP/1;x", "PJSIP/1(x)", "PJSIP/1001\n", 1001])
def test_agent_phones_that_would_add_dial_options_or_devices_are_refused(phone: object) -> None:
    with pytest.raises(ConfigError, match=r"agent '1'\.phone"):
        load_config({"agents": [{"id": "1", "phone": phone}]})


def test_queue_alert_thresholds_are_read_and_checked() -> None:
    config = load_config({"queues": [{"name": "q", "alerts": {"longest_wait": 60, "service_level": 70}}]})
    assert (config.queue("q").alert_wait_seconds, config.queue("q").alert_service_level_percent) == (60.0, 70.0)
    assert load_config({"queues": [{"name": "q"}]}).queue("q").alert_wait_seconds is None
    for alerts, problem in (({"service_level": 120}, "at most 100"), ({"longest_wait": 0}, ">= 1"),
                            ({"wait": 3}, "unknown keys")):
        with pytest.raises(ConfigError, match=problem):
            load_config({"queues": [{"name": "q", "alerts": alerts}]})
