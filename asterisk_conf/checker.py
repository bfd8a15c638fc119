"""A strict reader of Asterisk config files, for checking what we render (and what admins edit).

It reads a file the way Asterisk's config parser does (``[section]`` lines, ``key = value`` and
``key => value`` lines, ``;`` comments with ``\\;`` as an escaped semicolon, ``#include``) and refuses
everything else, including forms Asterisk would accept but we never write (block comments ``;-- --;``,
section templates, ``#exec``). On top of that it knows the shape of the three files whose content
matters to us: extensions (``exten =>`` / ``same =>`` lines with ``App(data)``), manager (privilege
classes, ACLs) and modules.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from pathlib import PurePath


class ConfigSyntaxError(ValueError):
    """A line Asterisk would read differently from what we meant, or not at all."""

    def __init__(self, filename: str, line: int, message: str) -> None:
        super().__init__(f"{filename}:{line}: {message}")
        self.filename = filename
        self.line = line


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One ``key = value`` (or ``key => value``) line."""

    key: str
    value: str
    line: int


@dataclasses.dataclass(slots=True)
class Section:
    name: str
    line: int
    entries: list[Entry] = dataclasses.field(default_factory=list)

    def values(self, key: str) -> list[str]:
        """Values of every ``key`` line, in file order."""
        return [e.value for e in self.entries if e.key == key]


@dataclasses.dataclass(slots=True)
class ConfigFile:
    filename: str
    sections: list[Section] = dataclasses.field(default_factory=list)
    includes: list[str] = dataclasses.field(default_factory=list)

    def section(self, name: str) -> Section:
        """The first section called ``name``; ``KeyError`` if there is none."""
        for section in self.sections:
            if section.name == name:
                return section
        raise KeyError(name)


_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_SECTION = re.compile(r"\[([^\[\]\s](?:[^\[\]]*[^\[\]\s])?)\]\Z")
_INCLUDE = re.compile(r"#(include|tryinclude)\s+(\"[^\"]+\"|[^\s\"]+)\Z")


def _strip_comment(raw: str, filename: str, number: int) -> str:
    """The line without its comment; ``\\;`` is a literal semicolon and does not start one."""
    index = 0
    while True:
        index = raw.find(";", index)
        if index < 0:
            return raw
        if index > 0 and raw[index - 1] == "\\":
            index += 1
            continue
        if raw.startswith(";--", index):
            raise ConfigSyntaxError(filename, number, "block comment ';--' would hide the lines after it")
        return raw[:index]


def parse_config(text: str, filename: str = "<text>") -> ConfigFile:
    """Read ``text`` as Asterisk's config parser does; raise :class:`ConfigSyntaxError` on anything else."""
    config = ConfigFile(filename)
    current: Section | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        bad = sorted({c for c in raw if (c < " " and c != "\t") or c == "\x7f"})
        if bad:
            raise ConfigSyntaxError(filename, number, f"control character(s) {bad!r} in line")
        line = _strip_comment(raw, filename, number).strip()
        if not line:
            continue
        if line.startswith("["):
            match = _SECTION.match(line)
            if not match:
                raise ConfigSyntaxError(filename, number, f"malformed section header {line!r}")
            current = Section(match.group(1), number)
            config.sections.append(current)
        elif line.startswith("#"):
            match = _INCLUDE.match(line)
            if not match:
                raise ConfigSyntaxError(filename, number, f"unsupported directive {line!r}")
            config.includes.append(match.group(2).strip('"'))
        else:
            key, equals, value = line.partition("=")
            key = key.strip()
            if not equals:
                raise ConfigSyntaxError(filename, number, f"no '=' in {line!r}")
            if not _KEY.match(key):
                raise ConfigSyntaxError(filename, number, f"malformed key {key!r}")
            if current is None:
                raise ConfigSyntaxError(filename, number, f"{key!r} before any [section]")
            current.entries.append(Entry(key, value.removeprefix(">").strip(), number))
    return config


# ---------------------------------------------------------------------------------------------- dialplan

@dataclasses.dataclass(frozen=True, slots=True)
class Step:
    """One priority of an extension: ``priority`` is a number or ``n``; ``label`` may be empty."""

    priority: str
    label: str
    application: str
    data: str
    line: int


@dataclasses.dataclass(slots=True)
class Extension:
    name: str
    steps: list[Step] = dataclasses.field(default_factory=list)

    def matches(self, exten: str) -> bool:
        """Whether a call to ``exten`` runs this extension (exact name, or ``_`` pattern)."""
        return pattern_matches(self.name, exten) if self.name.startswith("_") else self.name == exten


@dataclasses.dataclass(slots=True)
class Dialplan:
    contexts: dict[str, list[Extension]] = dataclasses.field(default_factory=dict)

    def matching(self, context: str, exten: str) -> list[Extension]:
        """Extensions of ``context`` that a call to ``exten`` matches."""
        return [e for e in self.contexts.get(context, []) if e.matches(exten)]


_GENERAL_DIALPLAN_KEYS = frozenset(
    {"static", "writeprotect", "autofallthrough", "extenpatternmatchnew", "clearglobalvars", "userscontext"}
)
_PRIORITY = re.compile(r"(?P<priority>[1-9][0-9]*|n)(?:\((?P<label>[A-Za-z0-9_-]+)\))?\Z")
_APPLICATION = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9_]*)\((?P<data>.*)\)\Z")
_PATTERN_CLASS = {"X": "0123456789", "Z": "123456789", "N": "23456789"}


def _balanced(data: str) -> bool:
    """Parentheses, ``${...}`` and ``$[...]`` nest properly in application data."""
    closers = {"(": ")", "{": "}", "[": "]"}
    stack: list[str] = []
    for index, char in enumerate(data):
        if char == "(" or (char in "{[" and index > 0 and data[index - 1] == "$"):
            stack.append(closers[char])
        elif char in ")}]" and stack and stack[-1] == char:
            stack.pop()
        elif char == ")":
            return False
    return not stack


def _pattern_tokens(pattern: str) -> list[str]:
    """Tokens of an extension pattern (without its ``_``): a set of characters, ``.`` or ``!``.

    Follows Asterisk: ``X``/``Z``/``N`` are digit classes in either case, ``[...]`` is a set with
    ``a-z`` ranges, ``-`` outside brackets is ignored, ``.`` is one or more and ``!`` zero or more.
    """
    tokens: list[str] = []
    body = pattern[1:]
    index = 0
    while index < len(body):
        char = body[index]
        if char == "[":
            end = body.find("]", index)
            if end < 0:
                raise ValueError(f"unclosed '[' in pattern {pattern!r}")
            inner = body[index + 1 : end]
            chars: list[str] = []
            position = 0
            while position < len(inner):
                if position + 2 < len(inner) and inner[position + 1] == "-":
                    chars.extend(chr(c) for c in range(ord(inner[position]), ord(inner[position + 2]) + 1))
                    position += 3
                else:
                    chars.append(inner[position])
                    position += 1
            if not chars:
                raise ValueError(f"empty '[]' in pattern {pattern!r}")
            tokens.append("".join(chars))
            index = end + 1
            continue
        if char.upper() in _PATTERN_CLASS:
            tokens.append(_PATTERN_CLASS[char.upper()])
        elif char in ".!":
            tokens.append(char)
        elif char == "]":
            raise ValueError(f"unopened ']' in pattern {pattern!r}")
        elif char != "-":
            tokens.append(char)
        index += 1
    return tokens


def pattern_matches(pattern: str, exten: str) -> bool:
    """Whether the ``_`` extension ``pattern`` matches the whole of ``exten``.

    Asterisk skips ``-`` in the dialled extension as in the pattern (a separator), so this does too.
    """
    tokens = _pattern_tokens(pattern)
    exten = exten.replace("-", "")
    for index, token in enumerate(tokens):
        if token in (".", "!"):
            rest = len(exten) - index
            return rest >= (1 if token == "." else 0)
        if index >= len(exten) or exten[index] not in token:
            return False
    return len(exten) == len(tokens)


def check_dialplan(config: ConfigFile) -> Dialplan:
    """Check an extensions.conf: contexts of ``exten =>`` / ``same =>`` / ``include =>`` lines only."""
    dialplan = Dialplan()

    def fail(entry: Entry, message: str) -> ConfigSyntaxError:
        return ConfigSyntaxError(config.filename, entry.line, message)

    for section in config.sections:
        if section.name == "globals":
            continue
        if section.name == "general":
            for entry in section.entries:
                if entry.key not in _GENERAL_DIALPLAN_KEYS:
                    raise fail(entry, f"unknown [general] option {entry.key!r}")
            continue
        extensions = dialplan.contexts.setdefault(section.name, [])
        current: Extension | None = None
        for entry in section.entries:
            if entry.key == "include":
                continue
            if entry.key == "exten":
                name, comma, rest = entry.value.partition(",")
                if not comma or not name.strip():
                    raise fail(entry, f"exten needs 'name,priority,Application(data)': {entry.value!r}")
                if name.startswith("_"):
                    try:
                        _pattern_tokens(name)
                    except ValueError as exc:
                        raise fail(entry, str(exc)) from None
                found = [e for e in extensions if e.name == name]
                current = found[0] if found else Extension(name)
                if not found:
                    extensions.append(current)
            elif entry.key == "same":
                if current is None:
                    raise fail(entry, "'same =>' with no 'exten =>' before it in this context")
                rest = entry.value
            else:
                raise fail(entry, f"unexpected {entry.key!r} in dialplan context [{section.name}]")
            priority_text, comma, application_text = rest.partition(",")
            priority = _PRIORITY.match(priority_text.strip())
            if not comma or not priority:
                raise fail(entry, f"malformed priority in {entry.value!r}")
            # Each step is one more than the last, so a number must say exactly where the step lands.
            expected = str(len(current.steps) + 1)
            given = priority["priority"]
            if given not in ("n", expected) or (given == "n" and not current.steps):
                raise fail(entry, f"priority of {current.name!r} should be {expected}: {entry.value!r}")
            application = _APPLICATION.match(application_text.strip())
            if not application or not _balanced(application["data"]):
                raise fail(entry, f"expected Application(data) with balanced brackets: {application_text!r}")
            label = priority["label"] or ""
            current.steps.append(
                Step(priority["priority"], label, application["name"], application["data"], entry.line)
            )
    return dialplan


# ------------------------------------------------------------------------------------------------ manager

MANAGER_CLASSES = frozenset(
    {"system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf", "reporting", "cdr",
     "dialplan", "originate", "agi", "cc", "aoc", "test", "security", "message", "all"}
)
_MANAGER_GENERAL_KEYS = frozenset(
    {"enabled", "webenabled", "port", "bindaddr", "displayconnects", "timestampevents", "authtimeout",
     "authlimit", "channelvars", "debug", "httptimeout", "tlsenable", "tlsbindaddr", "tlscertfile",
     "tlsprivatekey", "allowmultiplelogin", "block-sockets"}
)
_MANAGER_USER_KEYS = frozenset(
    {"secret", "read", "write", "permit", "deny", "acl", "writetimeout", "displayconnects", "eventfilter",
     "allowmultiplelogin", "setvar", "channelvars"}
)


def _check_network(config: ConfigFile, entry: Entry) -> None:
    address, slash, mask = entry.value.partition("/")
    try:
        ip = ipaddress.ip_address(address)
        if slash and not mask.isdigit():
            ipaddress.ip_network(f"{ip}/{mask}", strict=False)
        elif slash and not 0 <= int(mask) <= ip.max_prefixlen:
            raise ValueError(mask)
    except ValueError:
        message = f"{entry.key}: bad network {entry.value!r}"
        raise ConfigSyntaxError(config.filename, entry.line, message) from None


def check_manager(config: ConfigFile) -> None:
    """Check a manager.conf: known [general] options, and per user a secret, ACLs and known classes."""
    for section in config.sections:
        allowed = _MANAGER_GENERAL_KEYS if section.name == "general" else _MANAGER_USER_KEYS
        for entry in section.entries:
            if entry.key not in allowed:
                raise ConfigSyntaxError(config.filename, entry.line, f"unknown option {entry.key!r}")
            if entry.key in ("read", "write"):
                unknown = [c for c in entry.value.split(",") if c.strip() not in MANAGER_CLASSES]
                if unknown:
                    raise ConfigSyntaxError(config.filename, entry.line, f"unknown class(es) {unknown!r}")
            elif entry.key in ("permit", "deny"):
                _check_network(config, entry)
        if section.name != "general" and len(section.values("secret")) != 1:
            raise ConfigSyntaxError(config.filename, section.line, f"user [{section.name}] needs one secret")


_MODULE_KEYS = frozenset({"autoload", "load", "noload", "require", "preload", "preload-require"})


def check_modules(config: ConfigFile) -> None:
    """Check a modules.conf: one [modules] section of load directives naming ``.so`` files."""
    for section in config.sections:
        if section.name != "modules":
            raise ConfigSyntaxError(config.filename, section.line, f"unexpected section [{section.name}]")
        for entry in section.entries:
            if entry.key not in _MODULE_KEYS:
                raise ConfigSyntaxError(config.filename, entry.line, f"unknown option {entry.key!r}")
            if entry.key != "autoload" and not re.fullmatch(r"[a-z0-9_]+\.so", entry.value):
                message = f"not a module file name: {entry.value!r}"
                raise ConfigSyntaxError(config.filename, entry.line, message)


def check_file(filename: str, text: str) -> ConfigFile:
    """Parse ``text`` strictly, plus the checks its name calls for (extensions*, manager*, modules*)."""
    config = parse_config(text, filename)
    base = PurePath(filename).name
    if base.startswith("extensions"):
        check_dialplan(config)
    elif base.startswith("manager"):
        check_manager(config)
    elif base.startswith("modules"):
        check_modules(config)
    return config
