"""The shipped Asterisk configuration: contexts, least-privilege AMI user, refusal of injecting values."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.service_settings import AcdServiceSettings
from asterisk_conf.checker import ConfigFile, Dialplan, check_dialplan, check_file
from asterisk_conf.commands import register, site_from_settings
from asterisk_conf.render import AMI_WRITE_CLASSES, REQUIRED_MODULES, TEMPLATES, render_site
from asterisk_conf.site import SiteConfig, SiteValueError
from callcenter.settings import Settings

# Contexts a call the ACD holds runs a FastAGI session in, with the holding loop after it.
SESSION_CONTEXTS = ("callcenter-inbound", "callcenter-connect", "callcenter-callback", "callcenter-resume",
                    "callcenter-transfer", "callcenter-talk")
CONTEXTS = (*SESSION_CONTEXTS, "callcenter-held", "callcenter-consult")
# After every AGI(): a call the ACD holds (CC_CALL_ID) whose session ended without hang-up or redirect
# hears music and asks the resume script again; anything else hangs up.
HOLDING_LOOP = [
    ("GotoIf", '$["${CC_CALL_ID}" = ""]?done'),
    ("GotoIf", '$["${AGISTATUS}" = "HANGUP"]?done'),
    ("MusicOnHold", "default,20"),
    ("AGI", "agi://127.0.0.1:4573/resume?call=${URIENCODE(${CC_CALL_ID})}"),
    ("Goto", "hold"),
    ("Hangup", ""),
]
DANGEROUS_WRITE = {"system", "command", "config", "all"}


def parsed(files: dict[str, str]) -> dict[str, ConfigFile]:
    return {name: check_file(name, text) for name, text in files.items()}


def dialplan_of(files: dict[str, str]) -> Dialplan:
    return check_dialplan(check_file("extensions_callcenter.conf", files["extensions_callcenter.conf"]))


def manager_user(files: dict[str, str], user: str = "callcenter") -> dict[str, list[str]]:
    section = check_file("manager_callcenter.conf", files["manager_callcenter.conf"]).section(user)
    result: dict[str, list[str]] = {}
    for entry in section.entries:
        result.setdefault(entry.key, []).append(entry.value)
    return result


def steps(dialplan: Dialplan, context: str, exten: str) -> list[tuple[str, str]]:
    (extension,) = dialplan.matching(context, exten)
    return [(step.application, step.data) for step in extension.steps]


@pytest.fixture(scope="module")
def default_files() -> dict[str, str]:
    return render_site(site_from_settings(Settings()))


def test_defaults_render_every_file_and_each_parses(default_files: dict[str, str]) -> None:
    assert list(default_files) == list(TEMPLATES)
    for name, config in parsed(default_files).items():
        assert config.sections, name


@pytest.mark.parametrize("exten", ["5551234", "0", "+493012345678", "sales", "agent-7", "Support"])
def test_inbound_sets_dnis_runs_fastagi_then_holds_or_hangs_up(default_files: dict[str, str], exten: str) -> None:
    assert steps(dialplan_of(default_files), "callcenter-inbound", exten) == [
        ("Set", "__CC_DNIS=${EXTEN}"),
        ("AGI", "agi://127.0.0.1:4573/inbound?dnis=${URIENCODE(${EXTEN})}"),
        *HOLDING_LOOP,
    ]


def test_holding_loop_labels_point_at_the_check_and_the_hang_up(default_files: dict[str, str]) -> None:
    for context in SESSION_CONTEXTS:
        (extension,) = dialplan_of(default_files).matching(context, "1001")
        labels = {step.label: number for number, step in enumerate(extension.steps, 1) if step.label}
        assert labels == {"hold": 3, "done": 8}, context


@pytest.mark.parametrize(
    ("context", "script"),
    [
        ("callcenter-connect", "connect?agent="),
        ("callcenter-callback", "callback?call="),
        ("callcenter-resume", "resume?call="),
        ("callcenter-transfer", "transfer?call="),
        ("callcenter-talk", "talk?call="),
    ],
)
@pytest.mark.parametrize("exten", ["1001", "alice", "agent-12", "c-7f3a"])
def test_connect_callback_and_resume_hand_the_extension_to_their_fastagi_script(
    default_files: dict[str, str], context: str, script: str, exten: str
) -> None:
    applications = steps(dialplan_of(default_files), context, exten)
    assert applications[0][0] == "NoOp" and applications[2:] == HOLDING_LOOP
    assert applications[1] == ("AGI", f"agi://127.0.0.1:4573/{script}${{URIENCODE(${{EXTEN}})}}")


@pytest.mark.parametrize("agent", ["1001", "alice", "agent-12"])
def test_a_held_agent_line_waits_quietly_and_a_consultation_falls_back_to_it(
    default_files: dict[str, str], agent: str
) -> None:
    dialplan = dialplan_of(default_files)
    assert steps(dialplan, "callcenter-held", agent) == [
        ("NoOp", "callcenter: agent ${EXTEN} holds on ${CHANNEL}"), ("Wait", "3600"), ("Goto", "quiet")]
    consult = steps(dialplan, "callcenter-consult", agent)
    assert consult[1] == ("AGI", "agi://127.0.0.1:4573/consult?agent=${URIENCODE(${EXTEN})}")
    # an agent line whose consultation ended (not hung up) goes back to wait quietly for the caller
    assert consult[2:] == [("GotoIf", '$["${AGISTATUS}" = "HANGUP"]?done'),
                           ("Goto", "callcenter-held,${EXTEN},1"), ("Hangup", "")]


@pytest.mark.parametrize("special", ["h", "i", "s", "t", "T", "e", "a", "o"])
def test_single_letter_special_extensions_are_not_swallowed(
    default_files: dict[str, str], special: str
) -> None:
    dialplan = dialplan_of(default_files)
    for context in CONTEXTS:
        assert dialplan.matching(context, special) == [], (context, special)


def test_site_values_reach_the_dialplan_and_manager() -> None:
    site = SiteConfig(
        agi_host="10.20.0.5", agi_port=4600, ami_bind="10.20.0.9", ami_port=5039,
        ami_user="cc-node", ami_secret="S3cret!#x y", ami_permit=("10.20.0.5", "10.20.1.0/255.255.255.0"),
    )
    files = render_site(site)
    agi = steps(dialplan_of(files), "callcenter-inbound", "100")[1][1]
    assert agi.startswith("agi://10.20.0.5:4600/inbound?")
    user = manager_user(files, "cc-node")
    assert user["secret"] == ["S3cret!#x y"]
    assert user["permit"] == ["10.20.0.5/32", "10.20.1.0/24"]
    assert user["deny"] == ["0.0.0.0/0.0.0.0", "::/0"]
    general = check_file("manager.conf", files["manager.conf"])
    assert general.section("general").values("bindaddr") == ["10.20.0.9"]
    assert general.section("general").values("port") == ["5039"]
    assert general.includes == ["manager_callcenter.conf"]


def test_ipv6_and_host_name_agi_hosts_form_valid_urls() -> None:
    v6 = render_site(SiteConfig(agi_host="::1", ami_permit=("::1",)))
    assert steps(dialplan_of(v6), "callcenter-inbound", "1")[1][1].startswith("agi://[::1]:4573/inbound?")
    named = render_site(SiteConfig(agi_host="agi.example.com"))
    assert "agi://agi.example.com:4573/connect?" in steps(dialplan_of(named), "callcenter-connect", "7")[1][1]


def test_settings_supply_the_defaults_and_flags_override_them() -> None:
    node = Settings(agi_host="192.0.2.10", agi_port=4590, ami_host="192.0.2.1", ami_port=5040, ami_user="ccx")
    site = site_from_settings(node, ami_secret="other")
    assert (site.agi_host, site.agi_port) == ("192.0.2.10", 4590)
    assert (site.ami_bind, site.ami_port) == ("192.0.2.1", 5040)
    assert (site.ami_user, site.ami_secret, site.ami_permit) == ("ccx", "other", ("192.0.2.10/32",))


def test_the_trunk_setting_renders_the_outbound_context_and_the_flag_overrides_it() -> None:
    assert "[callcenter-outbound]" not in render_site(site_from_settings(Settings()))["extensions_callcenter.conf"]
    node = Settings(trunk="PJSIP/{number}@provider", ring_seconds=25)
    outbound = steps(dialplan_of(render_site(site_from_settings(node))), "callcenter-outbound", "+4930123")
    assert ("Dial", "PJSIP/${EXTEN}@provider,25") in outbound
    other = site_from_settings(node, trunk="IAX2/carrier/{number}")
    assert other.trunk == "IAX2/carrier/{number}"
    with pytest.raises(SiteValueError, match="trunk"):
        site_from_settings(Settings(trunk="PJSIP/provider"))  # no {number}


def test_host_name_agi_host_needs_an_explicit_permit() -> None:
    with pytest.raises(SiteValueError, match="--ami-permit"):
        site_from_settings(Settings(agi_host="node1.example.com"))
    site = site_from_settings(Settings(agi_host="node1.example.com"), ami_permit=["198.51.100.0/28"])
    assert site.ami_permit == ("198.51.100.0/28",)


def test_manager_user_has_least_privilege(default_files: dict[str, str]) -> None:
    user = manager_user(default_files)
    write = set(user["write"][0].split(","))
    assert write == {"call", "originate", "agent", "user", "reporting"}
    assert not write & DANGEROUS_WRITE
    read = set(user["read"][0].split(","))
    assert {"call", "dialplan", "agi", "dtmf", "agent", "user", "cdr", "system"} <= read
    assert "all" not in read
    assert not set(AMI_WRITE_CLASSES) & DANGEROUS_WRITE


def test_modules_conf_requires_what_the_dialplan_uses(default_files: dict[str, str]) -> None:
    modules = check_file("modules.conf", default_files["modules.conf"]).section("modules")
    assert modules.values("require") == list(REQUIRED_MODULES)
    assert {"res_agi.so", "func_uri.so", "res_musiconhold.so", "pbx_config.so"} <= set(REQUIRED_MODULES)
    moh = check_file("musiconhold.conf", default_files["musiconhold.conf"]).section("default")
    assert moh.values("mode") == ["files"]


INJECTIONS = [
    "x\ny = 1",
    "x\r\n[evil]",
    "x\rpermit = 0.0.0.0/0",
    "x;comment",
    "[evil]",
    "x]",
    "a\\",
    "",
    " padded",
    "x\x00",
]
FIELDS = ["agi_host", "ami_bind", "ami_user", "ami_secret"]


@pytest.mark.parametrize("field", [*FIELDS, "ami_permit", "trunk"])
@pytest.mark.parametrize("payload", INJECTIONS)
def test_values_that_could_inject_config_lines_are_refused(field: str, payload: str) -> None:
    value: object = (payload,) if field == "ami_permit" else payload
    with pytest.raises(SiteValueError, match=field):
        SiteConfig(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["agi_port", "ami_port"])
@pytest.mark.parametrize("port", [0, 65536, -1, True])
def test_ports_outside_the_tcp_range_are_refused(field: str, port: int) -> None:
    with pytest.raises(SiteValueError, match=field):
        SiteConfig(**{field: port})  # type: ignore[arg-type]


@pytest.mark.parametrize("user", ["general", "General"])
def test_the_manager_general_section_cannot_be_the_user(user: str) -> None:
    with pytest.raises(SiteValueError, match="own section"):
        SiteConfig(ami_user=user)


def _structure(files: dict[str, str]) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every file's sections and keys, without the values: what an injection would have to change."""
    return [
        (name, section.name, tuple(e.key for e in section.entries))
        for name, config in parsed(files).items()
        for section in config.sections
    ]


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(FIELDS), value=st.text(max_size=40))
def test_any_accepted_value_lands_in_its_own_place_only(field: str, value: str) -> None:
    try:
        site = SiteConfig(**{field: value, "ami_permit": ("127.0.0.1",)})  # type: ignore[arg-type]
    except SiteValueError:
        return
    files = render_site(site)
    baseline = render_site(dataclasses.replace(SiteConfig(), ami_user=site.ami_user))
    assert _structure(files) == _structure(baseline)
    user = manager_user(files, site.ami_user)
    assert user["secret"] == [site.ami_secret]
    general = check_file("manager.conf", files["manager.conf"]).section("general")
    assert general.values("bindaddr") == [site.ami_bind]


def run_command(argv: list[str], settings_: Settings | None = None) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["asterisk-config", *argv])
    args.settings = settings_ or Settings()
    return int(args.func(args))


def test_command_writes_files_and_checks_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "asterisk"
    argv = ["--out", str(out), "--agi-host", "10.0.0.2", "--agi-port", "4580", "--ami-user", "node",
            "--ami-secret", "long-secret", "--ami-permit", "10.0.0.0/24", "--ami-permit", "10.0.1.7",
            "--trunk", "SIP/provider/{number}"]
    assert run_command(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(TEMPLATES)
    text = (out / "manager_callcenter.conf").read_text()
    assert "[node]" in text and "permit = 10.0.0.0/24" in text and "permit = 10.0.1.7/32" in text
    dialplan = (out / "extensions_callcenter.conf").read_text()
    assert "agi://10.0.0.2:4580/inbound?" in dialplan and "Dial(SIP/provider/${EXTEN},30)" in dialplan
    assert "warning" not in capsys.readouterr().err
    assert run_command(["--check", *(str(p) for p in sorted(out.iterdir()))]) == 0
    tampered = out / "extensions_callcenter.conf"
    tampered.write_text(tampered.read_text() + "exten => 5,1,Dial(PJSIP/1\n")
    assert run_command(["--check", str(tampered)]) == 1
    assert "balanced" in capsys.readouterr().err


def test_command_prints_without_out_and_warns_on_default_secret(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command([]) == 0
    captured = capsys.readouterr()
    for name in TEMPLATES:
        assert f"; ===== {name} =====" in captured.out
    assert "default" in captured.err
    assert "no trunk" in captured.err and "[callcenter-outbound]" not in captured.out
    check_file("stdout.conf", captured.out)


def test_command_refuses_injection_with_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command(["--ami-secret", "pw\nwrite = all"]) == 2
    err = capsys.readouterr().err
    assert "refused" in err and "ami_secret" in err and "line breaks" in err


TRUNK = "PJSIP/{number}@provider"


def test_without_a_trunk_no_outbound_context_is_rendered(default_files: dict[str, str]) -> None:
    assert "callcenter-outbound" not in dialplan_of(default_files).contexts


@pytest.mark.parametrize("number", ["5550042", "+4930123456", "0044"])
def test_the_outbound_context_dials_the_number_through_the_trunk(number: str) -> None:
    dialplan = dialplan_of(render_site(SiteConfig(trunk=TRUNK)))
    assert steps(dialplan, "callcenter-outbound", number) == [
        ("NoOp", "callcenter: dialling ${EXTEN}"),
        ("Dial", "PJSIP/${EXTEN}@provider,30"),
        # a busy or congested line said again, so that it does not reach the dialling side as no answer
        ("GotoIf", '$["${DIALSTATUS}" = "BUSY"]?busy'),
        ("GotoIf", '$["${DIALSTATUS}" = "CONGESTION"]?congestion'),
        ("Hangup", ""),
        ("Busy", "2"),
        ("Hangup", ""),
        ("Congestion", "2"),
        ("Hangup", ""),
    ]


@pytest.mark.parametrize("exten", ["sales", "s", "h", "t", "+"])
def test_the_outbound_context_takes_no_names_or_special_extensions(exten: str) -> None:
    assert dialplan_of(render_site(SiteConfig(trunk=TRUNK))).matching("callcenter-outbound", exten) == []


def test_the_acd_call_back_dial_string_lands_in_the_shipped_outbound_context() -> None:
    # The ACD originates Local/<number>@<context>: that context must exist and take an E.164 number.
    channel = AcdServiceSettings().callback_dial.format(number="+4930123456")
    tech, _, target = channel.partition("/")
    exten, _, context = target.partition("@")
    assert tech == "Local"
    assert dialplan_of(render_site(SiteConfig(trunk=TRUNK))).matching(context, exten)


@pytest.mark.parametrize("trunk", [
    "PJSIP/provider", "PJSIP/{number}@a/{number}", "PJSIP/{number}@provider,30,D(1)", "PJSIP/{number}&PJSIP/x",
    "PJSIP/{number}@provider)", "{number}", "PJSIP/{number} @x", "PJSIP/${CC_NUMBER}",
])
def test_trunks_that_would_add_dial_options_or_devices_are_refused(trunk: str) -> None:
    with pytest.raises(SiteValueError, match="trunk"):
        SiteConfig(trunk=trunk)


# Mostly "Tech/resource" shapes, so that many generated trunks are accepted and their rendering is checked.
TRUNK_PARTS = st.one_of(st.text(max_size=20),
                        st.from_regex(r"[A-Za-z]{1,8}/[A-Za-z0-9_.@+#*:/=-]{0,10}", fullmatch=True))


@settings(max_examples=200, deadline=None)
@given(prefix=TRUNK_PARTS, suffix=st.one_of(st.just(""), st.text(max_size=20)))
def test_any_accepted_trunk_becomes_one_dial_argument_of_the_outbound_context(prefix: str, suffix: str) -> None:
    try:
        site = SiteConfig(trunk=f"{prefix}{{number}}{suffix}")
    except SiteValueError:
        return
    files = render_site(site)
    assert _structure(files) == _structure(render_site(SiteConfig(trunk=TRUNK)))
    dial = steps(dialplan_of(files), "callcenter-outbound", "5550042")[1]
    # one device, then how long it rings: nothing of the trunk adds a device or a Dial option
    assert dial == ("Dial", f"{prefix}${{EXTEN}}{suffix},{site.ring_seconds}")
    assert not set(f"{prefix}{suffix}") & set(",&|;()[] \t")


def test_the_dialer_context_runs_amd_and_branches_on_the_machine_rule() -> None:
    dialer = steps(dialplan_of(render_site(site_from_settings(Settings()))), "callcenter-dialer", "d17")
    apps = [app for app, _ in dialer]
    assert apps.index("AMD") < apps.index("AGI")  # the verdict comes before anyone is connected
    assert ("GotoIf", '$["${AMDSTATUS}" = "MACHINE"]?machine') in dialer
    assert ("AGI", "agi://127.0.0.1:4573/dialer?attempt=${URIENCODE(${EXTEN})}") in dialer
    # A person nobody takes, and a machine under the 'message' rule, hear the campaign's messages.
    assert ("Playback", "${CC_ABANDON_MESSAGE}") in dialer and ("Playback", "${CC_MACHINE_MESSAGE}") in dialer
    assert ("GotoIf", '$["${CC_MACHINE_RULE}" = "agent"]?person') in dialer


@pytest.mark.parametrize("seconds", [14, 121, True])
def test_a_ring_time_too_short_or_too_long_is_refused(seconds: int) -> None:
    with pytest.raises(SiteValueError, match="ring_seconds"):
        site_from_settings(Settings(ring_seconds=seconds))
