"""Load IVR flows from YAML and check them: every problem is reported with file and node names.

A flow file names its language (and, with ``languages:``, every language it speaks, its own first); the
prompt set ``ivr/prompt_sets/<language>.yaml`` of each provides the prompts (sound file plus the text TTS
speaks when the file is missing), and the flow's own ``prompts:`` section may add or override entries
(``text`` per language in a flow of several). Every prompt the flow plays must exist in every language,
and the prompt sets of its languages must have the same keys. Each node kind is read by :mod:`ivr.node_kinds`; the
flow as a whole is checked by :mod:`ivr.flow_graph`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ivr.flow import Flow, Node, PromptSpec, QueueNode
from ivr.flow_graph import GraphCheck
from ivr.node_kinds import PARSERS, NodeFields
from ivr.yaml_fields import NAME, Fields

FLOWS_DIR = Path(__file__).parent / "flows"
PROMPT_SETS_DIR = Path(__file__).parent / "prompt_sets"
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")  # en, zh-CN, pt-BR
_TOP_KEYS = frozenset(
    {"name", "language", "languages", "voice", "start", "fallback", "max_steps", "default_priority", "tier_priority",
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
    top = Fields(raw, f"{source}", problems)
    name = top.text("name", default=Path(source).stem)
    language = top.text("language", default="en")
    languages = _languages(top, language)
    prompt_sets = {lang: _load_prompt_set(lang, prompt_sets_dir, source, problems) for lang in languages}
    prompt_set = prompt_sets.get(language or "", {})
    voice = top.text("voice", default=str(prompt_set.get("voice") or language))
    start = top.text("start")
    fallback = top.text("fallback")
    max_steps = top.integer("max_steps", 100, 10, 10_000)
    default_priority = top.integer("default_priority", 5, 0, 100)
    tier_priority = {str(k): v for k, v in top.int_map("tier_priority", 0, 100).items()}
    tables = {lang: _prompt_table(prompt_sets[lang].get("prompts"), f"prompt set '{lang}'", problems, lang)
              for lang in languages}
    _check_same_keys(tables, problems)
    own = top.mapping("prompts")
    for lang in languages:
        tables[lang].update(_prompt_table(own, source, problems, lang, languages))
    raw_nodes = top.mapping("nodes", required=True)
    top.reject_unknown(_TOP_KEYS)

    graph = GraphCheck(source, problems)
    nodes: dict[str, Node] = {}
    for node_id, node_raw in raw_nodes.items():
        where = f"{source}: node '{node_id}'"
        if not isinstance(node_id, str) or not NAME.match(node_id):
            problems.append(f"{where}: node names are lower-case letters, digits and '_'")
            continue
        if not isinstance(node_raw, dict):
            problems.append(f"{where}: must be a mapping with a 'type'")
            continue
        fields = NodeFields(node_raw, where, problems, tables, graph, fallback or "", languages)
        kind = fields.text("type")
        parser = PARSERS.get(kind or "")
        if parser is None:
            if kind is not None:
                problems.append(f"{where}: unknown type '{kind}' (one of {', '.join(sorted(PARSERS))})")
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
        languages=languages,
        voices={**{lang: str(prompt_sets[lang].get("voice") or lang) for lang in languages},
                language: voice or language},
        prompt_sets=tables,
    )


def _languages(top: Fields, language: str | None) -> tuple[str, ...]:
    """The flow's languages, its own first."""
    listed = top.get("languages")
    if listed is None:
        return (language,) if language else ()
    if not isinstance(listed, list) or not all(isinstance(x, str) and x for x in listed) or not listed:
        top.problem(f"'languages' must be a list of language tags like [en, zh-CN], got {listed!r}")
        return (language,) if language else ()
    if language not in listed:
        top.problem(f"'languages' {listed} must include the flow's 'language' ({language!r})")
    ordered = [language] if language else []
    return tuple(ordered + [x for x in dict.fromkeys(listed) if x != language])


def _check_same_keys(tables: dict[str, dict[str, PromptSpec]], problems: list[str]) -> None:
    every = set().union(*tables.values()) if tables else set()
    for lang, table in tables.items():
        lacking = sorted(every - set(table))
        if lacking and table:
            problems.append(f"prompt set '{lang}': no prompt {', '.join(map(repr, lacking))} (other languages "
                            "of the flow have them)")


def _load_prompt_set(language: str | None, directory: Path, source: str, problems: list[str]) -> dict[str, Any]:
    if language is None or not _LANGUAGE_TAG.fullmatch(language):
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


def _prompt_table(raw: Any, where: str, problems: list[str], language: str,
                  languages: tuple[str, ...] = ()) -> dict[str, PromptSpec]:
    """Prompts in ``language``; in a flow's own section (``languages`` given) a ``text`` may be a mapping
    from language to text (plain text is the flow's own language's), and problems are reported for the
    first language only."""
    table: dict[str, PromptSpec] = {}
    if raw is None:
        return table
    report = problems if not languages or language == languages[0] else []
    if not isinstance(raw, dict):
        report.append(f"{where}: 'prompts' must map prompt names to {{file, text}}")
        return table
    for key, spec in raw.items():
        here = f"{where}: prompt '{key}'"
        if isinstance(spec, dict) and isinstance(spec.get("text"), dict):
            texts = spec["text"]
            if not set(texts) <= set(languages):
                report.append(f"{here}: 'text' names languages the flow does not speak: {sorted(texts)}")
            if language not in texts:
                continue  # this language takes the prompt from its prompt set
            spec = {**spec, "text": texts[language]}
        elif len(languages) > 1 and language != languages[0]:
            continue  # plain text is in the flow's own language; others take the prompt from their set
        if not isinstance(spec, dict) or not isinstance(spec.get("text"), str) or not spec["text"].strip():
            report.append(f"{here}: needs a non-empty 'text' (spoken by TTS when no sound file exists)")
            continue
        file = spec.get("file")
        if file is not None and (not isinstance(file, str) or not re.fullmatch(r"[A-Za-z0-9_/-]+", file)):
            report.append(f"{here}: 'file' must be a sound name without extension, like 'hello'")
            continue
        unknown = set(spec) - {"text", "file"}
        if unknown:
            report.append(f"{here}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
        table[str(key)] = PromptSpec(key=str(key), text=spec["text"].strip(), file=file, language=language)
    return table
