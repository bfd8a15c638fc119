"""The node kinds of a flow file: each kind's fields, read and checked into its :mod:`ivr.flow` node."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ivr.flow import (
    BranchNode,
    BranchRule,
    CallbackNode,
    CollectNode,
    HangupNode,
    LanguageNode,
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
    Texts,
    ValidateNode,
    VoicemailNode,
)
from ivr.flow_graph import READ_ONLY_VARS, GraphCheck
from ivr.yaml_fields import NAME, Fields

_DTMF = frozenset("0123456789*#")
_INPUTS = frozenset({"dtmf", "speech"})


class NodeFields(Fields):
    """Node-specific readers: prompts, targets, templates, routing."""

    def __init__(
        self,
        raw: Mapping[Any, Any],
        where: str,
        problems: list[str],
        prompt_tables: Mapping[str, Mapping[str, PromptSpec]],
        graph: GraphCheck,
        fallback: str,
        languages: tuple[str, ...],
    ) -> None:
        super().__init__(raw, where, problems)
        self.languages = languages
        self.prompt_tables = prompt_tables
        self.prompt_table = prompt_tables.get(languages[0], {}) if languages else {}
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
            for language in self.languages[1:]:
                if spec is not None and prompt_name not in self.prompt_tables.get(language, {}):
                    self.problem(f"missing prompt '{prompt_name}' ('{key}') in prompt set '{language}'")
        return tuple(found)

    def texts(self, key: str, *, required: bool = True) -> Texts | None:
        """A template said in every language of the flow: plain text in a one-language flow, else a mapping
        from each language to its text."""
        value = self.get(key)
        if value is None:
            if required:
                self.problem(f"missing '{key}'")
            return None
        return self.texts_of(f"'{key}'", value)

    def texts_of(self, what: str, value: Any) -> Texts | None:
        if isinstance(value, str) and value and len(self.languages) == 1:
            texts = {self.languages[0]: value}
        elif isinstance(value, dict) and set(map(str, value)) == set(self.languages) and all(
                isinstance(v, str) and v for v in value.values()):
            texts = {str(k): v for k, v in value.items()}
        else:
            self.problem(f"{what} must be a non-empty text"
                         + (f" for each of the flow's languages ({', '.join(self.languages)}), like "
                            f"{{{self.languages[0]}: ..., {self.languages[1]}: ...}}" if len(self.languages) > 1
                            else "") + f", got {value!r}")
            return None
        for language, template in texts.items():
            said = f"{what} ({language})" if len(self.languages) > 1 else what
            self.graph.templates.append((f"{self.where}: {said}", template))
        return texts

    def input_kinds(self) -> frozenset[str]:
        """How the caller may answer (``input: [dtmf, speech]``); the keypad always works."""
        value = self.get("input")
        if value is None:
            return frozenset({"dtmf"})
        if (not isinstance(value, list) or not value or not set(value) <= _INPUTS or "dtmf" not in value):
            self.problem(f"'input' must list 'dtmf' and optionally 'speech' (the keypad always works), "
                         f"got {value!r}")
            return frozenset({"dtmf"})
        return frozenset(value)

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
        if not NAME.match(name):
            self.problem(f"'{key}': variable names are lower-case letters, digits and '_', got {name!r}")
        elif name in READ_ONLY_VARS:
            self.problem(f"'{key}': '{name}' is set by the IVR itself and cannot be written")
        else:
            self.graph.defined_vars.add(name)

    def retry_policy(self, *, attempts: int = 3, on_fail: str | None = None) -> RetryPolicy:
        """Retries of an input node; by default 3 attempts, then the flow's fallback."""
        return RetryPolicy(
            attempts=self.integer("attempts", attempts, 1, 10),
            timeout_ms=self.integer("timeout_ms", 5000, 500, 60_000),
            no_input_prompts=self.prompts("no_input_prompt"),
            invalid_prompts=self.prompts("invalid_prompt"),
            on_fail=self.target("on_fail", default=on_fail or self.fallback),
        )

    def routing(self) -> Routing:
        skills = self.int_map("skills", 1, 10)
        priority = self.get("priority")
        if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)
                                     or not 0 <= priority <= 100):
            self.problem(f"'priority' must be an integer from 0 to 100, got {priority!r}")
            priority = None
        return Routing(queue=self.text("queue") or "", skills=tuple(sorted(skills.items())), priority=priority)


def _parse_play(node_id: str, f: NodeFields) -> Node:
    return PlayNode(id=node_id, prompts=f.prompts("prompt", required=True), next=f.target("next"))


def _parse_say(node_id: str, f: NodeFields) -> Node:
    text = f.get("text")
    digits = f.template("digits", required=False)
    if (text is None) == (digits is None):
        f.problem("a say node needs exactly one of 'text' or 'digits'")
    texts = f.texts_of("'text'", text) if text is not None else None
    return SayNode(id=node_id, text=texts, digits=digits, next=f.target("next"))


def _parse_collect(node_id: str, f: NodeFields) -> Node:
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
        speech="speech" in f.input_kinds(),
    )


def _parse_menu(node_id: str, f: NodeFields) -> Node:
    speech = "speech" in f.input_kinds()
    options: dict[str, str] = {}
    words: dict[str, dict[str, tuple[str, ...]]] = {language: {} for language in f.languages} if speech else {}
    for key, option in f.mapping("options", required=True).items():
        digit = str(key)
        if digit not in _DTMF or len(digit) != 1:
            f.problem(f"'options': key {key!r} must be one DTMF key (0-9, * or #)")
            continue
        target, said = (option, None) if isinstance(option, str) else _option_fields(f, digit, option)
        if not isinstance(target, str) or not target:
            f.problem(f"'options': '{digit}' must name a node, got {option!r}")
            continue
        f.graph.refer(f"{f.where}: option '{digit}'", target)
        options[digit] = target
        if said is not None and not speech:
            f.problem(f"'options': '{digit}' has 'words' but the menu's 'input' has no 'speech'")
        elif said is not None:
            for language in f.languages:
                phrases = said.get(language)
                if (not isinstance(phrases, list) or not phrases
                        or not all(isinstance(p, str) and p.strip() for p in phrases)):
                    f.problem(f"'options': '{digit}' needs 'words' in '{language}' (a list of phrases), "
                              "as in every language of the flow")
                else:
                    words[language][digit] = tuple(p.strip().lower() for p in phrases)
    if speech and not any(words.values()):
        f.problem("a menu with speech input needs 'words' for its options ({next: node, words: {language: "
                  "[phrase, ...]}})")
    return MenuNode(
        id=node_id, prompts=f.prompts("prompt", required=True), options=options, retry=f.retry_policy(),
        words=words,
    )


def _option_fields(f: NodeFields, digit: str, option: Any) -> tuple[Any, dict[Any, Any] | None]:
    """A menu option written as ``{next: node, words: {language: [phrase, ...]}}``."""
    if not isinstance(option, dict) or set(option) - {"next", "words"}:
        return None, None
    said = option.get("words")
    if said is not None and not isinstance(said, dict):
        f.problem(f"'options': '{digit}': 'words' must map languages to lists of phrases")
        said = {}
    return option.get("next"), said


def _parse_language(node_id: str, f: NodeFields) -> Node:
    options: dict[str, str] = {}
    for key, language in f.mapping("options").items():
        digit = str(key)
        if digit not in _DTMF or len(digit) != 1:
            f.problem(f"'options': key {key!r} must be one DTMF key (0-9, * or #)")
        elif language not in f.languages:
            f.problem(f"'options': '{digit}' must name one of the flow's languages "
                      f"({', '.join(f.languages)}), got {language!r}")
        else:
            options[digit] = language
    from_customer = f.get("from_customer")
    if from_customer is None:
        from_customer = True
    if not isinstance(from_customer, bool):
        f.problem(f"'from_customer' must be true or false, got {from_customer!r}")
    if not options and not from_customer:
        f.problem("a language node needs 'options' to ask, or 'from_customer: true'")
    next_node = f.target("next")
    prompts = f.prompts("prompt", required=bool(options))
    return LanguageNode(
        id=node_id,
        options=options,
        prompts=prompts,
        from_customer=bool(from_customer),
        retry=f.retry_policy(attempts=2, on_fail=next_node),  # no answer: go on in the flow's language
        next=next_node,
    )


def _parse_validate(node_id: str, f: NodeFields) -> Node:
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


def _parse_branch(node_id: str, f: NodeFields) -> Node:
    rules: list[BranchRule] = []
    raw_rules = f.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        f.problem("'rules' must be a non-empty list of {var, equals|in|present, next}")
        raw_rules = []
    for index, raw in enumerate(raw_rules, 1):
        rule = Fields(raw if isinstance(raw, dict) else {}, f"{f.where}: rule {index}", f.problems)
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


def _parse_set(node_id: str, f: NodeFields) -> Node:
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


def _parse_readback(node_id: str, f: NodeFields) -> Node:
    subject = f.text("subject", default="open_ticket")
    if subject != "open_ticket":
        f.problem(f"'subject' must be 'open_ticket' (the only self-service read-back), got {subject!r}")
    labels: dict[str, Texts] = {}
    for status, said in f.mapping("labels").items():
        texts = f.texts_of(f"label '{status}'", said)
        if texts is not None:
            labels[str(status)] = texts
    next_node = f.target("next")
    return ReadbackNode(
        id=node_id,
        text=f.texts("text") or {},
        none_text=f.texts("none_text", required=False),
        labels=labels,
        next=next_node,
        none_next=f.target("none_next", default=next_node or None),
    )


def _parse_queue(node_id: str, f: NodeFields) -> Node:
    return QueueNode(id=node_id, routing=f.routing(), prompts=f.prompts("prompt"))


def _parse_callback(node_id: str, f: NodeFields) -> Node:
    return CallbackNode(
        id=node_id,
        routing=f.routing(),
        number=f.template("number", default="{ani}") or "{ani}",
        prompts=f.prompts("prompt"),
        on_no_number=f.target("on_no_number", default=f.fallback),
    )


def _parse_voicemail(node_id: str, f: NodeFields) -> Node:
    mailbox = f.text("mailbox") or ""
    if mailbox and not re.fullmatch(r"[A-Za-z0-9_.-]+(@[A-Za-z0-9_.-]+)?", mailbox):
        f.problem(f"'mailbox' must look like 'box' or 'box@context', got {mailbox!r}")
    return VoicemailNode(id=node_id, mailbox=mailbox, prompts=f.prompts("prompt"))


def _parse_hangup(node_id: str, f: NodeFields) -> Node:
    return HangupNode(id=node_id, prompts=f.prompts("prompt"))


PARSERS: dict[str, Callable[[str, NodeFields], Node]] = {
    "play": _parse_play,
    "say": _parse_say,
    "collect": _parse_collect,
    "menu": _parse_menu,
    "language": _parse_language,
    "validate": _parse_validate,
    "branch": _parse_branch,
    "set": _parse_set,
    "readback": _parse_readback,
    "queue": _parse_queue,
    "callback": _parse_callback,
    "voicemail": _parse_voicemail,
    "hangup": _parse_hangup,
}
