"""The knowledge base as the desktop serves it: agents search and read articles, admins write them (audited
with the admin as actor). Runs off the event loop on the CRM database; answers are JSON-ready dicts."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.crm_desk import on_record
from bus.clock import Clock
from crm_core import knowledge
from crm_core.db import session_scope
from crm_core.knowledge import ArticleDraft, InvalidArticle, KnowledgeService
from crm_core.models import KnowledgeArticle

EXCERPT_LENGTH = 200
SEARCH_LIMIT = 20


class ArticleRefused(ValueError):
    """An article an admin typed cannot be stored; ``str()`` names the field (in English)."""


def article_json(article: KnowledgeArticle, *, whole: bool = True) -> dict[str, Any]:
    """An article; a search result carries an excerpt of the body instead of all of it."""
    body = article.body if whole else article.body[:EXCERPT_LENGTH]
    return {"article_id": str(article.id), "title": article.title, "body": body, "tags": article.tags,
            "language": article.language, "updated_at": article.updated_at, "updated_by": article.updated_by}


class KnowledgeBase:
    """Articles in the CRM database ``sessions``."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock = time.time) -> None:
        self._sessions = sessions
        self._clock = clock

    async def search(self, text: str) -> list[dict[str, Any]]:
        """Articles matching every word of ``text`` (the latest ones for an empty text), excerpts only."""
        def run() -> list[dict[str, Any]]:
            with self._sessions() as session:
                found = (knowledge.search(session, text, limit=SEARCH_LIMIT) if text.strip()
                         else knowledge.latest(session, limit=SEARCH_LIMIT))
                return [article_json(a, whole=False) for a in found]
        return await asyncio.to_thread(run)

    async def article(self, article_id: str) -> dict[str, Any] | None:
        return await on_record(self._sessions, KnowledgeArticle, article_id,
                               lambda _session, found: article_json(found))

    async def create(self, draft: ArticleDraft, actor: str) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            with session_scope(self._sessions) as session:
                try:
                    return article_json(KnowledgeService(session, actor, self._clock).create(draft))
                except InvalidArticle as exc:
                    raise ArticleRefused(str(exc)) from None
        return await asyncio.to_thread(run)

    async def update(self, article_id: str, draft: ArticleDraft, actor: str) -> dict[str, Any] | None:
        def change(session: Session, found: KnowledgeArticle) -> dict[str, Any]:
            try:
                KnowledgeService(session, actor, self._clock).update(found, draft)
            except InvalidArticle as exc:
                raise ArticleRefused(str(exc)) from None
            return article_json(found)
        return await on_record(self._sessions, KnowledgeArticle, article_id, change)

    async def delete(self, article_id: str, actor: str) -> bool:
        """Remove the article; False when there is no such article."""
        def remove(session: Session, found: KnowledgeArticle) -> bool:
            KnowledgeService(session, actor, self._clock).delete(found)
            return True
        return await on_record(self._sessions, KnowledgeArticle, article_id, remove) is not None
