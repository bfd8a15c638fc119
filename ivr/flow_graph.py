"""Checks of a flow as a graph, once every node is read: references, variables, templates, reachability
and loops that never ask the caller anything.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from ivr.flow import (
    BranchNode,
    CallbackNode,
    CollectNode,
    HangupNode,
    LanguageNode,
    MenuNode,
    Node,
    PlayNode,
    QueueNode,
    ReadbackNode,
    SayNode,
    SetNode,
    ValidateNode,
    VoicemailNode,
)
from ivr.yaml_fields import NAME

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
READ_ONLY_VARS = BUILTIN_VARS - {"intent"}


class GraphCheck:
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
            if not NAME.match(field) or spec or conversion:
                self.problems.append(f"{where}: template field {{{field}}} must be a plain variable name")
            elif field not in self.defined_vars:
                self.problems.append(f"{where}: unknown variable '{field}' in template {template!r}")


def successors(node: Node) -> tuple[str, ...]:
    """Every node a node can lead to."""
    match node:
        case PlayNode() | SayNode() | SetNode():
            return (node.next,)
        case CollectNode() | LanguageNode():
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
    """A cycle through nodes that never wait for the caller (branch, set, a language node that only reads
    the customer's record), if any."""
    silent = {k: n for k, n in nodes.items()
              if isinstance(n, BranchNode | SetNode) or (isinstance(n, LanguageNode) and not n.options)}
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
