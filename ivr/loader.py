"""Load IVR flows from YAML and check them: every problem is reported with file and node names.

A flow file names its language; the prompt set ``ivr/prompt_sets/<language>.yaml`` provides the
prompts (sound file plus the text TTS speaks when the file is missing), and the flow's own
``prompts:`` section may add or override entries.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from ivr.flow import (
    BranchNode,
    BranchRule,
    CallbackNode,
    CollectNode,
    Flow,
    HangupNode,
    MenuNode,
    Node,
    PlayNode,
    Prompts,
    PromptSpec,
    QueueNode,
    ReadbackNode,
    RetryPolicy,
    Routing,
    SayNode,
    SetNode,
    ValidateNode,
    VoicemailNode,
)

FLOWS_DIR = Path(__file__).parent / "flows"
PROMPT_SETS_DIR = Path(__file__).parent / "prompt_sets"

BUILTIN_VARS = frozenset(
    {
        "ani",
        "dnis",
        "call_id",
        "intent",
        "customer_id",
        "customer_code",
        "customer_name",
        "customer_tier",
        "customer_language",
        "ticket_id",
        "ticket_status",
    }
)
"""Call data every flow may read; ``customer_*`` and ``ticket_*`` are set by validate/readback."""
_READ_ONLY_VARS = BUILTIN_VARS - {"intent"}
_NAME = re.compile(r"[a-z][a-z0-9_]{0,47}\Z")
_DTMF = frozenset("0123456789*#")
_TOP_KEYS = frozenset(
    {"name", "language", "voice", "start", "fallback", "max_steps", "default_priority", "tier_priority",
     "prompts", "nodes"}
)


class FlowError(ValueError):
    """A flow file is invalid; ``problems`` lists every problem found, each naming file and node."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid IVR flow:\n  " + "\n  ".join(problems))
        self.problems = problems


def load_flow(path: Path | str, *, prompt_sets_dir: Path = PROMPT_SETS_DIR) -> Flow:
    """Read and validate one flow file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FlowError([f"{path.name}: cannot read: {exc}"]) from exc
    return parse_flow(raw, source=path.name, prompt_sets_dir=prompt_sets_dir)


def load_builtin_flow(name: str = "main") -> Flow:
    """A flow shipped in ``ivr/flows/``."""
    return load_flow(FLOWS_DIR / f"{name}.yaml")


def parse_flow(raw: Any, *, source: str, prompt_sets_dir: Path = PROMPT_SETS_DIR) -> Flow:
    """Validate an already-parsed YAML document; ``source`` names it in error messages."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise FlowError([f"{source}: the top level must be a mapping"])
    top = _Fields(raw, f"{source}", problems)
    name = top.text("name", default=Path(source).stem)
    language = top.text("language", default="en")
    prompt_set = _load_prompt_set(language, prompt_sets_dir, source, problems)
    voice = top.text("voice", default=str(prompt_set.get("voice") or language))
    start = top.text("start")
    fallback = top.text("fallback")
    max_steps = top.integer("max_steps", 100, 10, 10_000)
    default_priority = top.integer("default_priority", 5, 0, 100)
    tier_priority = {str(k): v for k, v in top.int_map("tier_priority", 0, 100).items()}
    prompt_table = _prompt_table(prompt_set.get("prompts"), f"prompt set '{language}'", problems)
    prompt_table.update(_prompt_table(top.mapping("prompts"), source, problems))
    raw_nodes = top.mapping("nodes", required=True)
    top.reject_unknown(_TOP_KEYS)

    graph = _GraphCheck(source, problems)
    nodes: dict[str, Node] = {}
    for node_id, node_raw in raw_nodes.items():
        where = f"{source}: node '{node_id}'"
        if not isinstance(node_id, str) or not _NAME.match(node_id):
            problems.append(f"{where}: node names are lower-case letters, digits and '_'")
            continue
        if not isinstance(node_raw, dict):
            problems.append(f"{where}: must be a mapping with a 'type'")
            continue
        fields = _NodeFields(node_raw, where, problems, prompt_table, graph, fallback or "")
        kind = fields.text("type")
        parser = _PARSERS.get(kind or "")
        if parser is None:
            if kind is not None:
                problems.append(f"{where}: unknown type '{kind}' (one of {', '.join(sorted(_PARSERS))})")
            continue
        nodes[node_id] = parser(node_id, fields)
        fields.reject_unknown()

    if start is not None:
        graph.refer(f"{source}: 'start'", start)
    if fallback is not None:
        graph.refer(f"{source}: 'fallback'", fallback)
        if fallback in nodes and not isinstance(nodes[fallback], QueueNode):
            problems.append(f"{source}: 'fallback' must name a queue node, '{fallback}' is not one")
    graph.check(nodes, start, fallback)
    if problems:
        raise FlowError(problems)
    assert start is not None and fallback is not None and language is not None and name is not None
    return Flow(
        name=name,
        source=source,
        language=language,
        voice=voice or language,
        start=start,
        fallback=fallback,
        max_steps=max_steps,
        default_priority=default_priority,
        tier_priority=tier_priority,
        nodes=nodes,
    )


def _load_prompt_set(language: str | None, directory: Path, source: str, problems: list[str]) -> dict[str, Any]:
    if language is None or not _NAME.match(language.replace("-", "_")):
        problems.append(f"{source}: 'language' must be a language tag like 'en', got {language!r}")
        return {}
    path = directory / f"{language}.yaml"
    if not path.exists():
        return {}  # the flow must then define every prompt it uses itself
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{path.name}: cannot read prompt set: {exc}")
        return {}
    if not isinstance(loaded, dict):
        problems.append(f"{path.name}: a prompt set must be a mapping")
        return {}
    return loaded


def _prompt_table(raw: Any, where: str, problems: list[str]) -> dict[str, PromptSpec]:
    table: dict[str, PromptSpec] = {}
    if raw is None:
        return table
    if not isinstance(raw, dict):
        problems.append(f"{where}: 'prompts' must map prompt names to {{file, text}}")
        return table
    for key, spec in raw.items():
        here = f"{where}: prompt '{key}'"
        if not isinstance(spec, dict) or not isinstance(spec.get("text"), str) or not spec["text"].strip():
            problems.append(f"{here}: needs a non-empty 'text' (spoken by TTS when no sound file exists)")
            continue
        file = spec.get("file")
        if file is not None and (not isinstance(file, str) or not re.fullmatch(r"[A-Za-z0-9_/-]+", file)):
            problems.append(f"{here}: 'file' must be a sound name without extension, like 'hello'")
            continue
        unknown = set(spec) - {"text", "file"}
        if unknown:
            problems.append(f"{here}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
        table[str(key)] = PromptSpec(key=str(key), text=spec["text"].strip(), file=file)
    return table


class _Fields:
    """Typed access to a YAML mapping that records problems instead of raising."""

    def __init__(self, raw: Mapping[Any, Any], where: str, problems: list[str]) -> None:
        self.raw = raw
        self.where = where
        self.problems = problems
        self.used: set[str] = set()

    def problem(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}")

    def get(self, key: str) -> Any:
        self.used.add(key)
        return self.raw.get(key)

    def text(self, key: str, *, default: str | None = None, required: bool = True) -> str | None:
        value = self.get(key)
        if value is None:
            if default is None and required:
                self.problem(f"missing '{key}'")
            return default
        if not isinstance(value, str) or not value:
            self.problem(f"'{key}' must be a non-empty string, got {value!r}")
            return default
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(f"'{key}' must be an integer from {low} to {high}, got {value!r}")
            return default
        return value

    def mapping(self, key: str, *, required: bool = False) -> dict[Any, Any]:
        value = self.get(key)
        if value is None:
            if required:
                self.problem(f"missing '{key}'")
            return {}
        if not isinstance(value, dict):
            self.problem(f"'{key}' must be a mapping")
            return {}
        return value

    def int_map(self, key: str, low: int, high: int) -> dict[str, int]:
        result: dict[str, int] = {}
        for name, value in self.mapping(key).items():
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                self.problem(f"'{key}': '{name}' must be an integer from {low} to {high}, got {value!r}")
            else:
                result[str(name)] = value
        return result

    def reject_unknown(self, allowed: Iterable[str] | None = None) -> None:
        known = set(allowed) if allowed is not None else self.used
        unknown = sorted(str(k) for k in self.raw if k not in known)
        if unknown:
            self.problem(f"unknown field(s) {', '.join(unknown)}")


class _GraphCheck:
    """Collects references between nodes and checks them once every node is parsed."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        self.references: list[tuple[str, str]] = []
        self.templates: list[tuple[str, str]] = []
        self.var_reads: list[tuple[str, str]] = []
        self.defined_vars: set[str] = set(BUILTIN_VARS)

    def refer(self, where: str, target: str) -> None:
        self.references.append((where, target))

    def check(self, nodes: Mapping[str, Node], start: str | None, fallback: str | None) -> None:
        for where, target in self.references:
            if target not in nodes:
                self.problems.append(f"{where}: unknown node '{target}'")
        for where, var in self.var_reads:
            if var not in self.defined_vars:
                self.problems.append(f"{where}: unknown variable '{var}' (not collected or set anywhere)")
        for where, template in self.templates:
            self._check_template(where, template)
        for node in nodes.values():
            if isinstance(node, ValidateNode) and node.retry in nodes and not isinstance(
                nodes[node.retry], CollectNode
            ):
                self.problems.append(
                    f"{self.source}: node '{node.id}': 'retry' must name a collect node, '{node.retry}' is not one"
                )
        if start is not None and start in nodes:
            roots = [start] if fallback is None else [start, fallback]
            reached = _reachable(nodes, roots)
            for node_id in nodes:
                if node_id not in reached:
                    self.problems.append(f"{self.source}: node '{node_id}' is unreachable from start '{start}'")
        loop = _silent_loop(nodes)
        if loop:
            self.problems.append(
                f"{self.source}: nodes {' -> '.join(loop)} loop without asking the caller anything"
            )

    def _check_template(self, where: str, template: str) -> None:
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as exc:
            self.problems.append(f"{where}: bad template {template!r}: {exc}")
            return
        for _, field, spec, conversion in parsed:
            if field is None:
                continue
            if not _NAME.match(field) or spec or conversion:
                self.problems.append(f"{where}: template field {{{field}}} must be a plain variable name")
            elif field not in self.defined_vars:
                self.problems.append(f"{where}: unknown variable '{field}' in template {template!r}")


class _NodeFields(_Fields):
    """Node-specific readers: prompts, targets, templates, routing."""

    def __init__(
        self,
        raw: Mapping[Any, Any],
        where: str,
        problems: list[str],
        prompt_table: Mapping[str, PromptSpec],
        graph: _GraphCheck,
        fallback: str,
    ) -> None:
        super().__init__(raw, where, problems)
        self.prompt_table = prompt_table
        self.graph = graph
        self.fallback = fallback

    def target(self, key: str, *, default: str | None = None) -> str:
        value = self.text(key, default=default)
        if value is None:
            return ""
        self.graph.refer(f"{self.where}: '{key}'", value)
        return value

    def prompts(self, key: str, *, required: bool = False) -> Prompts:
        value = self.get(key)
        if value is None:
            if required:
                self.problem(f"missing prompt ('{key}')")
            return ()
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            self.problem(f"'{key}' must be a prompt name or a list of prompt names")
            return ()
        found = []
        for prompt_name in names:
            spec = self.prompt_table.get(prompt_name)
            if spec is None:
                self.problem(f"missing prompt '{prompt_name}' ('{key}'): not in the flow or its prompt set")
            else:
                found.append(spec)
        return tuple(found)

    def template(self, key: str, *, default: str | None = None, required: bool = True) -> str | None:
        value = self.text(key, default=default, required=required)
        if value is not None:
            self.graph.templates.append((f"{self.where}: '{key}'", value))
        return value

    def variable_read(self, key: str) -> str:
        value = self.text(key) or ""
        if value:
            self.graph.var_reads.append((f"{self.where}: '{key}'", value))
        return value

    def variable_written(self, key: str, name: str) -> None:
        if not _NAME.match(name):
            self.problem(f"'{key}': variable names are lower-case letters, digits and '_', got {name!r}")
        elif name in _READ_ONLY_VARS:
            self.problem(f"'{key}': '{name}' is set by the IVR itself and cannot be written")
        else:
            self.graph.defined_vars.add(name)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=self.integer("attempts", 3, 1, 10),
            timeout_ms=self.integer("timeout_ms", 5000, 500, 60_000),
            no_input_prompts=self.prompts("no_input_prompt"),
            invalid_prompts=self.prompts("invalid_prompt"),
            on_fail=self.target("on_fail", default=self.fallback),
        )

    def routing(self) -> Routing:
        skills = self.int_map("skills", 1, 10)
        priority = self.get("priority")
        if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)
                                     or not 0 <= priority <= 100):
            self.problem(f"'priority' must be an integer from 0 to 100, got {priority!r}")
            priority = None
        return Routing(queue=self.text("queue") or "", skills=tuple(sorted(skills.items())), priority=priority)


def _parse_play(node_id: str, f: _NodeFields) -> Node:
    return PlayNode(id=node_id, prompts=f.prompts("prompt", required=True), next=f.target("next"))


def _parse_say(node_id: str, f: _NodeFields) -> Node:
    text = f.template("text", required=False)
    digits = f.template("digits", required=False)
    if (text is None) == (digits is None):
        f.problem("a say node needs exactly one of 'text' or 'digits'")
    return SayNode(id=node_id, text=text, digits=digits, next=f.target("next"))


def _parse_collect(node_id: str, f: _NodeFields) -> Node:
    var = f.text("var") or ""
    f.variable_written("var", var)
    min_digits = f.integer("min_digits", 1, 1, 32)
    max_digits = f.integer("max_digits", max(min_digits, 1), 1, 32)
    if max_digits < min_digits:
        f.problem(f"'max_digits' ({max_digits}) is below 'min_digits' ({min_digits})")
    terminator = f.get("terminator")
    if terminator is None:
        terminator = "#"
    if terminator not in ("#", ""):
        # Asterisk's GET DATA always ends input on '#', so no other terminator can be honoured.
        f.problem(f"'terminator' must be '#' or '' (Asterisk GET DATA ends on '#'), got {terminator!r}")
        terminator = "#"
    return CollectNode(
        id=node_id,
        prompts=f.prompts("prompt", required=True),
        var=var,
        min_digits=min_digits,
        max_digits=max_digits,
        terminator=terminator,
        retry=f.retry_policy(),
        next=f.target("next"),
    )


def _parse_menu(node_id: str, f: _NodeFields) -> Node:
    options: dict[str, str] = {}
    for key, target in f.mapping("options", required=True).items():
        digit = str(key)
        if digit not in _DTMF or len(digit) != 1:
            f.problem(f"'options': key {key!r} must be one DTMF key (0-9, * or #)")
        elif not isinstance(target, str):
            f.problem(f"'options': '{digit}' must name a node, got {target!r}")
        else:
            f.graph.refer(f"{f.where}: option '{digit}'", target)
            options[digit] = target
    return MenuNode(
        id=node_id, prompts=f.prompts("prompt", required=True), options=options, retry=f.retry_policy()
    )


def _parse_validate(node_id: str, f: _NodeFields) -> Node:
    checks = f.get("checks")
    if (not isinstance(checks, list) or not checks
            or not all(c in ("checksum", "crm") for c in checks)):
        f.problem(f"'checks' must be a non-empty list of 'checksum' and/or 'crm', got {checks!r}")
        checks = []
    return ValidateNode(
        id=node_id,
        input=f.variable_read("input"),
        checksum="checksum" in checks,
        crm="crm" in checks,
        retry=f.target("retry"),
        invalid_prompts=f.prompts("invalid_prompt"),
        next=f.target("next"),
    )


def _parse_branch(node_id: str, f: _NodeFields) -> Node:
    rules: list[BranchRule] = []
    raw_rules = f.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        f.problem("'rules' must be a non-empty list of {var, equals|in|present, next}")
        raw_rules = []
    for index, raw in enumerate(raw_rules, 1):
        rule = _Fields(raw if isinstance(raw, dict) else {}, f"{f.where}: rule {index}", f.problems)
        var = rule.text("var") or ""
        f.graph.var_reads.append((rule.where, var))
        tests = [k for k in ("equals", "in", "present") if k in rule.raw]
        values: frozenset[str] | None = None
        present: bool | None = None
        if len(tests) != 1:
            rule.problem("needs exactly one of 'equals', 'in' or 'present'")
        elif tests[0] == "equals":
            values = frozenset({str(rule.get("equals"))})
        elif tests[0] == "in":
            listed = rule.get("in")
            if not isinstance(listed, list) or not listed:
                rule.problem("'in' must be a non-empty list")
            values = frozenset(str(v) for v in listed) if isinstance(listed, list) else frozenset()
        else:
            flag = rule.get("present")
            if not isinstance(flag, bool):
                rule.problem("'present' must be true or false")
            present = bool(flag)
        target = rule.text("next") or ""
        f.graph.refer(f"{rule.where}: 'next'", target)
        rule.reject_unknown({"var", "equals", "in", "present", "next"})
        rules.append(BranchRule(var=var, values=values, present=present, next=target))
    return BranchNode(id=node_id, rules=tuple(rules), default=f.target("default"))


def _parse_set(node_id: str, f: _NodeFields) -> Node:
    values: list[tuple[str, str]] = []
    raw_values = f.mapping("values", required=True)
    if not raw_values:
        f.problem("'values' must set at least one variable")
    for name, template in raw_values.items():
        f.variable_written("values", str(name))
        if not isinstance(template, str | int):
            f.problem(f"'values': '{name}' must be text, got {template!r}")
            continue
        f.graph.templates.append((f"{f.where}: value '{name}'", str(template)))
        values.append((str(name), str(template)))
    return SetNode(id=node_id, values=tuple(values), next=f.target("next"))


def _parse_readback(node_id: str, f: _NodeFields) -> Node:
    subject = f.text("subject", default="open_ticket")
    if subject != "open_ticket":
        f.problem(f"'subject' must be 'open_ticket' (the only self-service read-back), got {subject!r}")
    labels = f.mapping("labels")
    if not all(isinstance(v, str) for v in labels.values()):
        f.problem("'labels' must map ticket statuses to the words to say")
    next_node = f.target("next")
    return ReadbackNode(
        id=node_id,
        text=f.template("text") or "",
        none_text=f.template("none_text", required=False),
        labels={str(k): str(v) for k, v in labels.items()},
        next=next_node,
        none_next=f.target("none_next", default=next_node or None),
    )


def _parse_queue(node_id: str, f: _NodeFields) -> Node:
    return QueueNode(id=node_id, routing=f.routing(), prompts=f.prompts("prompt"))


def _parse_callback(node_id: str, f: _NodeFields) -> Node:
    return CallbackNode(
        id=node_id,
        routing=f.routing(),
        number=f.template("number", default="{ani}") or "{ani}",
        prompts=f.prompts("prompt"),
        on_no_number=f.target("on_no_number", default=f.fallback),
    )


def _parse_voicemail(node_id: str, f: _NodeFields) -> Node:
    mailbox = f.text("mailbox") or ""
    if mailbox and not re.fullmatch(r"[A-Za-z0-9_.-]+(@[A-Za-z0-9_.-]+)?", mailbox):
        f.problem(f"'mailbox' must look like 'box' or 'box@context', got {mailbox!r}")
    return VoicemailNode(id=node_id, mailbox=mailbox, prompts=f.prompts("prompt"))


def _parse_hangup(node_id: str, f: _NodeFields) -> Node:
    return HangupNode(id=node_id, prompts=f.prompts("prompt"))


_PARSERS: dict[str, Callable[[str, _NodeFields], Node]] = {
    "play": _parse_play,
    "say": _parse_say,
    "collect": _parse_collect,
    "menu": _parse_menu,
    "validate": _parse_validate,
    "branch": _parse_branch,
    "set": _parse_set,
    "readback": _parse_readback,
    "queue": _parse_queue,
    "callback": _parse_callback,
    "voicemail": _parse_voicemail,
    "hangup": _parse_hangup,
}


def successors(node: Node) -> tuple[str, ...]:
    """Every node a node can lead to."""
    match node:
        case PlayNode() | SayNode() | SetNode():
            return (node.next,)
        case CollectNode():
            return (node.next, node.retry.on_fail)
        case MenuNode():
            return (*node.options.values(), node.retry.on_fail)
        case ValidateNode():
            return (node.next, node.retry)
        case BranchNode():
            return (*(rule.next for rule in node.rules), node.default)
        case ReadbackNode():
            return (node.next, node.none_next)
        case CallbackNode():
            return (node.on_no_number,)
        case QueueNode() | VoicemailNode() | HangupNode():
            return ()


def _reachable(nodes: Mapping[str, Node], roots: list[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node_id = stack.pop()
        if node_id in seen or node_id not in nodes:
            continue
        seen.add(node_id)
        stack.extend(successors(nodes[node_id]))
    return seen


def _silent_loop(nodes: Mapping[str, Node]) -> list[str]:
    """A cycle through nodes that never wait for the caller (branch, set), if any."""
    silent = {k: n for k, n in nodes.items() if isinstance(n, BranchNode | SetNode)}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node_id: str) -> list[str]:
        state[node_id] = 1
        path.append(node_id)
        for nxt in successors(silent[node_id]):
            if nxt not in silent:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node_id] = 2
        return []

    for node_id in silent:
        if node_id not in state:
            found = visit(node_id)
            if found:
                return found
    return []
