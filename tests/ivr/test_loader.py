"""Loading and validating flow files: each mistake gives a clear message naming file and node."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from ivr.flow import CollectNode, MenuNode, QueueNode
from ivr.loader import FLOWS_DIR, PROMPT_SETS_DIR, FlowError, load_builtin_flow, load_flow

SOUNDS_EN = Path("/usr/share/asterisk/sounds/en")

BASE = {
    "name": "tiny",
    "language": "en",
    "start": "hello",
    "fallback": "general",
    "nodes": {
        "hello": {"type": "play", "prompt": "hello", "next": "menu"},
        "menu": {"type": "menu", "prompt": "main_menu", "options": {1: "general", 2: "bye"}},
        "bye": {"type": "hangup", "prompt": "goodbye"},
        "general": {"type": "queue", "queue": "general"},
    },
}


def write(tmp_path: Path, flow: Mapping[str, object]) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(flow), encoding="utf-8")
    return path


def problems_of(tmp_path: Path, **node_changes: dict[str, object] | None) -> list[str]:
    flow = yaml.safe_load(yaml.safe_dump(BASE))
    for node_id, node in node_changes.items():
        if node is None:
            del flow["nodes"][node_id]
        else:
            flow["nodes"][node_id] = node
    with pytest.raises(FlowError) as caught:
        load_flow(write(tmp_path, flow))
    return caught.value.problems


def test_main_flow_loads_with_all_node_kinds_it_needs() -> None:
    flow = load_builtin_flow("main")
    # The flow first takes the language from the record of a caller known by number (issue 16).
    assert flow.start == "caller_language" and isinstance(flow.nodes[flow.fallback], QueueNode)
    collect = flow.nodes["ask_code"]
    assert isinstance(collect, CollectNode)
    assert (collect.min_digits, collect.max_digits, collect.terminator, collect.retry.attempts) == (6, 6, "#", 3)
    menu = flow.nodes["main_menu"]
    assert isinstance(menu, MenuNode) and set(menu.options) == {"1", "2", "3", "9"}
    assert flow.tier_priority["vip"] > flow.tier_priority["small"]


def test_a_minimal_valid_flow_loads(tmp_path: Path) -> None:
    flow = load_flow(write(tmp_path, BASE))
    assert flow.name == "tiny" and flow.voice == "en-us"
    assert flow.nodes["hello"].prompts[0].file == "hello"  # type: ignore[union-attr]


def test_unknown_node_is_named_with_file_node_and_field(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, hello={"type": "play", "prompt": "hello", "next": "mneu"})
    assert "tiny.yaml: node 'hello': 'next': unknown node 'mneu'" in problems


def test_unreachable_node(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, orphan={"type": "hangup"})
    assert problems == ["tiny.yaml: node 'orphan' is unreachable from start 'hello'"]


def test_missing_prompt(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, hello={"type": "play", "prompt": "no_such_prompt", "next": "menu"})
    assert problems == [
        "tiny.yaml: node 'hello': missing prompt 'no_such_prompt' ('prompt'): not in the flow or its prompt set"
    ]
    problems = problems_of(tmp_path, hello={"type": "play", "next": "menu"})
    assert problems == ["tiny.yaml: node 'hello': missing prompt ('prompt')"]


def test_bad_fields(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        hello={"type": "play", "prompt": "hello", "next": "ask", "colour": "red"},
        ask={"type": "collect", "prompt": "enter_customer_code", "var": "code", "min_digits": 6,
             "max_digits": 4, "timeout_ms": "soon", "terminator": "*", "next": "menu"},
    )
    text = "\n".join(problems)
    assert "node 'hello': unknown field(s) colour" in text
    assert "node 'ask': 'max_digits' (4) is below 'min_digits' (6)" in text
    assert "node 'ask': 'timeout_ms' must be an integer from 500 to 60000, got 'soon'" in text
    assert "node 'ask': 'terminator' must be '#' or ''" in text


def test_unknown_type_menu_key_and_template_variable(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        hello={"type": "speak", "next": "menu"},
        menu={"type": "menu", "prompt": "main_menu", "options": {"12": "general", 2: "bye", 3: "say"}},
        say={"type": "say", "text": "Hello {customer_nmae}", "next": "general"},
    )
    text = "\n".join(problems)
    assert "node 'hello': unknown type 'speak'" in text
    assert "node 'menu': 'options': key '12' must be one DTMF key" in text
    assert "node 'say': 'text': unknown variable 'customer_nmae'" in text


def test_structural_rules(tmp_path: Path) -> None:
    flow = yaml.safe_load(yaml.safe_dump(BASE))
    flow["fallback"] = "bye"
    flow["nodes"]["menu"]["options"][3] = "check"
    flow["nodes"]["check"] = {"type": "validate", "input": "intent", "checks": ["crm"], "retry": "hello",
                              "next": "loop_a"}
    flow["nodes"]["loop_a"] = {"type": "set", "values": {"intent": "x", "customer_id": "42"}, "next": "loop_b"}
    flow["nodes"]["loop_b"] = {"type": "branch", "rules": [{"var": "intent", "equals": "y", "next": "general"}],
                               "default": "loop_a"}
    with pytest.raises(FlowError) as caught:
        load_flow(write(tmp_path, flow))
    text = str(caught.value)
    assert "tiny.yaml: 'fallback' must name a queue node, 'bye' is not one" in text
    assert "node 'check': 'retry' must name a collect node, 'hello' is not one" in text
    assert "node 'loop_a': 'values': 'customer_id' is set by the IVR itself" in text
    assert "loop_a -> loop_b -> loop_a loop without asking the caller anything" in text


def test_language_without_prompt_set_needs_its_own_prompts(tmp_path: Path) -> None:
    flow = yaml.safe_load(yaml.safe_dump(BASE))
    flow["language"] = "xx"
    with pytest.raises(FlowError) as caught:
        load_flow(write(tmp_path, flow))
    assert any("missing prompt 'hello'" in p for p in caught.value.problems)
    flow["prompts"] = {name: {"text": f"xx {name}"} for name in ("hello", "main_menu", "goodbye")}
    loaded = load_flow(write(tmp_path, flow))
    assert loaded.voice == "xx" and loaded.nodes["hello"].prompts[0].text == "xx hello"  # type: ignore[union-attr]


def test_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("nodes: [unclosed", encoding="utf-8")
    with pytest.raises(FlowError, match=r"broken\.yaml: cannot read"):
        load_flow(path)


@pytest.mark.skipif(not SOUNDS_EN.is_dir(), reason="asterisk-core-sounds-en is not installed")
def test_every_sound_file_named_by_the_english_prompt_set_exists() -> None:
    prompts = yaml.safe_load((PROMPT_SETS_DIR / "en.yaml").read_text())["prompts"]
    files = [spec["file"] for spec in prompts.values() if "file" in spec]
    assert files
    assert [f for f in files if not (SOUNDS_EN / f"{f}.wav").exists()] == []


def test_every_shipped_flow_is_valid() -> None:
    for path in FLOWS_DIR.glob("*.yaml"):
        load_flow(path)
