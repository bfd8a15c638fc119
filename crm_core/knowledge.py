"""The knowledge base: articles admins write and agents search (from the desktop and the screen pop).

Search is word-wise ``LIKE`` over title, tags and body, lower-cased, so it runs the same on SQLite and
PostgreSQL and finds Chinese text (which has no spaces between words: a query word is matched as a
substring, so any run of characters in an article finds it). Title hits rank before body hits.
"""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from bus.clock import Clock
from crm_core import audit
from crm_core.models import TAGS_LENGTH, TITLE_LENGTH, KnowledgeArticle

ENTITY = "article"
BODY_LENGTH = 20_000
MAX_QUERY_WORDS = 8


class InvalidArticle(ValueError):
    """An article field is empty or too long; ``str()`` names the field."""


@dataclasses.dataclass(frozen=True, slots=True)
class ArticleDraft:
    """What an admin types for an article."""

    title: str
    body: str = ""
    tags: str = ""
    language: str = "en"

    def checked(self) -> ArticleDraft:
        """The draft with blanks trimmed, or :class:`InvalidArticle`."""
        title, tags = self.title.strip(), " ".join(self.tags.split())
        if not title:
            raise InvalidArticle("title: required")
        for name, value, limit in (("title", title, TITLE_LENGTH), ("tags", tags, TAGS_LENGTH),
                                   ("body", self.body, BODY_LENGTH)):
            if len(value) > limit:
                raise InvalidArticle(f"{name}: at most {limit} characters")
        return ArticleDraft(title, self.body, tags, self.language.strip() or "en")


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def query_words(text: str) -> list[str]:
    """The distinct lower-cased words of a query, at most :data:`MAX_QUERY_WORDS`."""
    words: list[str] = []
    for word in text.lower().split():
        if word not in words:
            words.append(word)
    return words[:MAX_QUERY_WORDS]


def search(session: Session, text: str, *, limit: int = 20) -> list[KnowledgeArticle]:
    """Articles holding every word of ``text`` in title, tags or body; title matches first, then newest."""
    words = query_words(text)
    if not words:
        return []
    title, tags, body = func.lower(KnowledgeArticle.title), func.lower(KnowledgeArticle.tags), func.lower(
        KnowledgeArticle.body)
    patterns = [f"%{_escaped(w)}%" for w in words]
    every_word = and_(*(or_(title.like(p, escape="\\"), tags.like(p, escape="\\"), body.like(p, escape="\\"))
                        for p in patterns))
    in_title = and_(*(title.like(p, escape="\\") for p in patterns))
    query = (select(KnowledgeArticle).where(every_word)
             .order_by(case((in_title, 0), else_=1), KnowledgeArticle.updated_at.desc(), KnowledgeArticle.id)
             .limit(limit))
    return list(session.scalars(query))


def latest(session: Session, *, limit: int = 50) -> list[KnowledgeArticle]:
    """The most recently changed articles."""
    query = select(KnowledgeArticle).order_by(KnowledgeArticle.updated_at.desc(), KnowledgeArticle.id).limit(limit)
    return list(session.scalars(query))


@dataclasses.dataclass
class KnowledgeService:
    """Writes articles on behalf of ``actor``; every change leaves audit rows (entity ``article``)."""

    session: Session
    actor: str
    clock: Clock = time.time

    def create(self, draft: ArticleDraft) -> KnowledgeArticle:
        """Store a new article."""
        checked = draft.checked()
        now = self.clock()
        article = KnowledgeArticle(**dataclasses.asdict(checked), created_at=now, updated_at=now,
                                   updated_by=self.actor)
        self.session.add(article)
        self.session.flush()
        audit.record(self.session, at=now, actor=self.actor, entity_type=ENTITY, entity_id=article.id,
                     action="create", changes={k: (None, v) for k, v in dataclasses.asdict(checked).items() if v})
        return article

    def update(self, article: KnowledgeArticle, draft: ArticleDraft) -> dict[str, tuple[str, str]]:
        """Replace the article's fields; returns (and audits) those that changed."""
        checked = dataclasses.asdict(draft.checked())
        diff = {k: (getattr(article, k), v) for k, v in checked.items() if getattr(article, k) != v}
        if diff:
            now = self.clock()
            for name, (_old, new) in diff.items():
                setattr(article, name, new)
            article.updated_at, article.updated_by = now, self.actor
            audit.record(self.session, at=now, actor=self.actor, entity_type=ENTITY, entity_id=article.id,
                         action="update", changes=diff)
            self.session.flush()
        return diff

    def delete(self, article: KnowledgeArticle) -> None:
        """Remove the article; the audit keeps its title."""
        audit.record(self.session, at=self.clock(), actor=self.actor, entity_type=ENTITY, entity_id=article.id,
                     action="delete", changes={"title": (article.title, None)})
        self.session.delete(article)
        self.session.flush()
