"""The catalogues keep up with the code: every text the extractor finds is in each language's catalogue,
Chinese translates all of them with the same placeholders, and no page or script text escapes the layer."""

from __future__ import annotations

import contextlib
import re
import tomllib
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from acd.agents import SYSTEM_PAUSE_REASONS, AgentState
from acd.config import DEFAULT_PAUSE_REASONS
from agent_desktop.agent_feed import DEFAULT_DISPOSITIONS
from agent_desktop.catalogue import ROLES
from agent_desktop.catalogues import read_catalogue
from agent_desktop.code_words import CODE_WORDS
from agent_desktop.languages import LANGUAGES, SIMPLIFIED_CHINESE, Language
from agent_desktop.supervision import SpyMode
from crm_core import tickets
from crm_core.tiers import TIERS

ROOT = Path(__file__).resolve().parents[2]
UPDATE = "run `make messages` and translate what it reports (README, Languages)"

MessageKey = tuple[str | None, str]


def keys(catalog: Catalog) -> set[MessageKey]:
    return {(m.context, str(m.id)) for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What `pybabel extract` finds in the code today, with the configuration in pyproject.toml."""
    pot = tmp_path_factory.mktemp("extract") / "messages.pot"
    with contextlib.chdir(ROOT):
        CommandLineInterface().run(["pybabel", "-q", "extract", "-o", str(pot)])
    with pot.open("rb") as file:
        return read_po(file)


def test_extraction_finds_the_texts_of_python_templates_and_scripts(extracted: Catalog) -> None:
    paths = {path for m in extracted for path, _ in m.locations}
    for where in ("agent_desktop/guard.py", "agent_desktop/templates/", "agent_desktop/static/"):
        assert any(path.startswith(where) for path in paths), where
    assert ("agent state", "not_ready") in keys(extracted)  # code words, with their context
    assert (None, "Wrap-up saved") in keys(extracted)  # desktop.js
    assert (None, "Reason for forced not ready") in keys(extracted)  # wall.html


@pytest.mark.parametrize("language", LANGUAGES, ids=[language.tag for language in LANGUAGES])
def test_every_extracted_text_is_in_each_catalogue_and_nothing_else(extracted: Catalog, language: Language) -> None:
    catalogue = keys(read_catalogue(language))
    assert sorted(keys(extracted) - catalogue, key=str) == [], UPDATE
    assert sorted(catalogue - keys(extracted), key=str) == [], UPDATE


def test_chinese_translates_every_message_with_the_same_placeholders() -> None:
    catalog = read_catalogue(SIMPLIFIED_CHINESE)
    untranslated = [(m.context, m.id) for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == [], UPDATE
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []  # babel's check: the same %(name)s placeholders as the English


def test_the_codes_the_product_defines_all_have_words() -> None:
    words: dict[str, set[str]] = {}
    for word in CODE_WORDS:
        words.setdefault(word.kind, set()).add(word.code)
    demo = tomllib.loads((ROOT / "callcenter" / "demo.toml").read_text(encoding="utf-8"))
    demo_dispositions = {code for queue in demo["queues"] for code in queue.get("dispositions", ())}
    assert set(AgentState) <= words["agent state"]
    assert set(DEFAULT_PAUSE_REASONS) | SYSTEM_PAUSE_REASONS <= words["pause reason"]
    assert set(DEFAULT_DISPOSITIONS) | demo_dispositions <= words["disposition"]
    assert set(ROLES) <= words["role"]
    assert set(TIERS) <= words["tier"]
    assert set(SpyMode) <= words["listening mode"]
    assert {tickets.OPEN, tickets.IN_PROGRESS, tickets.WAITING, tickets.RESOLVED, tickets.CLOSED} <= (
        words["ticket status"])


class _VisibleText(HTMLParser):
    """The text a template shows by itself, once every Jinja construct is taken out."""

    SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "label")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.texts += [value for name, value in attrs if name in self.SHOWN_ATTRIBUTES and value]

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


PACKAGE = resources.files("agent_desktop")
TEMPLATES = sorted(t.name for t in PACKAGE.joinpath("templates").iterdir() if t.name.endswith(".html"))
SCRIPTS = sorted(s.name for s in PACKAGE.joinpath("static").iterdir() if s.name.endswith(".js"))


def test_the_checks_below_see_every_page_and_script() -> None:
    assert {"base.html", "desktop.html", "wall.html", "login.html"} <= set(TEMPLATES)
    assert {"live.js", "desktop.js", "wall.js"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", TEMPLATES)
def test_templates_show_no_words_outside_the_translation_layer(name: str) -> None:
    source = PACKAGE.joinpath("templates", name).read_text(encoding="utf-8")
    source = re.sub(r"{%-? *trans.*?endtrans *-?%}|{% block body_class %}.*?{% endblock %}", "", source,
                    flags=re.DOTALL)  # translated, and the page's CSS class
    source = re.sub(r"{{.*?}}|{%.*?%}|{#.*?#}", "", source, flags=re.DOTALL)
    parser = _VisibleText()
    parser.feed(source)
    words = {w for text in parser.texts for w in re.findall(r"[^\W\d_]{2,}", text)} - {"callcenter"}
    assert words == set(), f"{name}: put these in _() or {{% trans %}}"


# Strings in the scripts that are not for people: header names, CSS classes, the strict mode directive.
NOT_FOR_PEOPLE = {'"Content-Type"', '"X-CSRF-Token"', '"state state-"', '"use strict"'}


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_show_no_prose_outside_t(name: str) -> None:
    source = PACKAGE.joinpath("static", name).read_text(encoding="utf-8")
    source = re.sub(r"\s//\s.*", "", source)  # comments
    string = r'"(?:[^"\\\n]|\\.)*"'
    source = re.sub(rf"\bt\(\s*{string}(?:\s*\+\s*{string})*", "t(", source)  # translated
    source = re.sub(rf"\blabel\(\s*{string}", "label(", source)  # a code word's kind
    prose = [s for s in re.findall(string, source)
             if s not in NOT_FOR_PEOPLE and re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}|^\"[A-Z][a-z]", s)]
    assert prose == [], f"{name}: wrap user-visible text in t(...)"
