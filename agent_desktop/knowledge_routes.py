"""The knowledge base's routes: agents (and floor managers) search and read articles, from the desktop and
the screen pop; admins write them on their page, every change audited with the admin as actor."""

from __future__ import annotations

from aiohttp import web

from agent_desktop.handling import BadRequest, Handler, NotFound, account_of, json_body, path_segment, render
from agent_desktop.knowledge_base import ArticleRefused, KnowledgeBase
from agent_desktop.text_input import (
    ARTICLE_BODY,
    ARTICLE_ID,
    ARTICLE_LANGUAGE,
    ARTICLE_QUERY,
    ARTICLE_TAGS,
    ARTICLE_TITLE,
)
from agent_desktop.ui_text import UiText
from crm_core.knowledge import ArticleDraft

KNOWLEDGE = web.AppKey("knowledge", KnowledgeBase)
NO_SUCH_ARTICLE = UiText("no such article")


async def knowledge_page(request: web.Request) -> web.StreamResponse:
    return render(request, "knowledge.html", {})


async def knowledge_search(request: web.Request) -> web.StreamResponse:
    return web.json_response({"articles": await request.app[KNOWLEDGE].search(ARTICLE_QUERY.read(request.query, ""))})


async def knowledge_article(request: web.Request) -> web.StreamResponse:
    article = await request.app[KNOWLEDGE].article(path_segment(request, ARTICLE_ID, NO_SUCH_ARTICLE))
    if article is None:
        raise NotFound(NO_SUCH_ARTICLE)
    return web.json_response({"article": article})


async def _draft(request: web.Request) -> ArticleDraft:
    body = await json_body(request)
    return ArticleDraft(title=ARTICLE_TITLE.read(body), body=ARTICLE_BODY.read(body, ""),
                        tags=ARTICLE_TAGS.read(body, ""), language=ARTICLE_LANGUAGE.read(body, "en"))


async def knowledge_create(request: web.Request) -> web.StreamResponse:
    draft = await _draft(request)
    try:
        article = await request.app[KNOWLEDGE].create(draft, account_of(request).id)
    except ArticleRefused as exc:
        raise BadRequest(UiText.as_is(str(exc))) from None
    return web.json_response({"article": article}, status=201)


async def knowledge_update(request: web.Request) -> web.StreamResponse:
    article_id = path_segment(request, ARTICLE_ID, NO_SUCH_ARTICLE)
    draft = await _draft(request)
    try:
        article = await request.app[KNOWLEDGE].update(article_id, draft, account_of(request).id)
    except ArticleRefused as exc:
        raise BadRequest(UiText.as_is(str(exc))) from None
    if article is None:
        raise NotFound(NO_SUCH_ARTICLE)
    return web.json_response({"article": article})


async def knowledge_delete(request: web.Request) -> web.StreamResponse:
    if not await request.app[KNOWLEDGE].delete(path_segment(request, ARTICLE_ID, NO_SUCH_ARTICLE),
                                               account_of(request).id):
        raise NotFound(NO_SUCH_ARTICLE)
    return web.json_response({"ok": True})


HANDLERS: dict[str, Handler] = {
    "knowledge_page": knowledge_page, "knowledge_search": knowledge_search, "knowledge_article": knowledge_article,
    "knowledge_create": knowledge_create, "knowledge_update": knowledge_update, "knowledge_delete": knowledge_delete,
}
