"""The strict config checker reads files as Asterisk does and refuses what Asterisk would read otherwise."""

from __future__ import annotations

import pytest

from asterisk_conf.checker import ConfigSyntaxError, check_dialplan, check_file, parse_config, pattern_matches

GOOD_DIALPLAN = """\
; a comment
[general]
static = yes

[globals]
GREETING = hello\\; not a comment ; but this is

[ctx]
include => other
exten => _X!,1,Set(A=${B})   ; trailing comment
 same => n(loop),ExecIf($[${A} > 1]?Log(NOTICE,x))
 same => 3,Hangup()
exten => 5,1,NoOp()
exten => 5,2,Wait(1)
"""


def test_a_well_formed_dialplan_is_read_like_asterisk_does() -> None:
    config = parse_config(GOOD_DIALPLAN, "extensions.conf")
    assert [s.name for s in config.sections] == ["general", "globals", "ctx"]
    assert config.section("globals").values("GREETING") == ["hello\\; not a comment"]
    dialplan = check_dialplan(config)
    (pattern,) = dialplan.matching("ctx", "42")
    assert [(s.priority, s.label, s.application) for s in pattern.steps] == [
        ("1", "", "Set"), ("n", "loop", "ExecIf"), ("3", "", "Hangup")
    ]
    (five,) = [e for e in dialplan.contexts["ctx"] if e.name == "5"]
    assert [s.application for s in five.steps] == ["NoOp", "Wait"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("key = value\n", "before any"),
        ("[s]\njust words\n", "no '='"),
        ("[s](!)\nk = v\n", "section header"),
        ("[s]\n;-- block\nk = v\n--;\n", "block comment"),
        ("#exec /bin/true\n", "directive"),
        ("[s]\nk = v\x0bw\n", "control character"),
        ("[s]\n= v\n", "malformed key"),
        ("[ spaced ]\n", "section header"),
    ],
)
def test_generic_syntax_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ConfigSyntaxError, match=message) as info:
        parse_config(text, "x.conf")
    assert info.value.filename == "x.conf" and info.value.line >= 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (" same => n,NoOp()\n", "no 'exten"),
        ("exten => 1,1,Dial(PJSIP/1\n", "balanced"),
        ("exten => 1,1,Set(A=${B)\n", "balanced"),
        ("exten => 1,1,NoOp\n", "Application"),
        ("exten => 1,2,NoOp()\n", "should be 1"),
        ("exten => 1,1,NoOp()\n same => 5,NoOp()\n", "should be 2"),
        ("exten => 1,n,NoOp()\n", "should be 1"),
        ("exten => _[a-z,1,NoOp()\n", "unclosed"),
        ("exten => 1\n", "exten needs"),
        ("switch => Realtime\n", "unexpected"),
    ],
)
def test_dialplan_errors(body: str, message: str) -> None:
    with pytest.raises(ConfigSyntaxError, match=message):
        check_file("extensions.conf", "[ctx]\n" + body)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[u]\nsecret = s\nwrite = call,shell\n", "unknown class"),
        ("[u]\nsecret = s\npermit = 10.0.0.300/32\n", "bad network"),
        ("[u]\nsecret = s\npermit = 10.0.0.0/33\n", "bad network"),
        ("[u]\nread = call\n", "one secret"),
        ("[general]\nenabled = yes\nbogus = 1\n", "unknown option"),
    ],
)
def test_manager_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigSyntaxError, match=message):
        check_file("manager.conf", text)


def test_manager_accepts_masks_in_both_notations() -> None:
    text = "[u]\nsecret = s\ndeny = 0.0.0.0/0.0.0.0\npermit = 10.1.0.0/16\npermit = ::1/128\n"
    assert check_file("manager.conf", text).section("u").values("permit") == ["10.1.0.0/16", "::1/128"]


@pytest.mark.parametrize(
    "text", ["[other]\nload = x.so\n", "[modules]\nload = x\n", "[modules]\nfoo = x.so\n"]
)
def test_modules_errors(text: str) -> None:
    with pytest.raises(ConfigSyntaxError):
        check_file("modules.conf", text)


@pytest.mark.parametrize(
    ("pattern", "exten", "expected"),
    [
        ("_X!", "1", True),
        ("_X!", "", False),
        ("_X.", "1", False),
        ("_X.", "12", True),
        ("_NXX", "212", True),
        ("_NXX", "112", False),
        ("_ZX", "09", False),
        ("_age[n]t-X!", "agent-1", True),  # the harness's gotcha: 'n' outside brackets is a digit class
        ("_agent-X!", "agent-1", False),
        ("_[a-zA-Z].", "sales", True),
        ("_[a-zA-Z].", "h", False),
        ("_+X!", "+4930", True),
        ("_+X!", "4930", False),
    ],
)
def test_extension_patterns_follow_asterisk(pattern: str, exten: str, expected: bool) -> None:
    assert pattern_matches(pattern, exten) is expected
