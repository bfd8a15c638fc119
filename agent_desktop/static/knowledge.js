// The knowledge base editor (admins): list, write, change and remove articles.
"use strict";

(() => {
  const {t, dateTime, el, clear, api, apiGet} = Live;
  const $ = (id) => document.getElementById(id);
  const newTitle = $("kb-form-title").textContent;
  let editing = null;  // the article being changed, or null for a new one

  function editMode(article) {
    editing = article ? article.article_id : null;
    $("kb-form").reset();
    $("kb-cancel").hidden = !article;
    $("kb-form-title").textContent = article ? t("Change the article") : newTitle;
    if (!article) return;
    $("kb-title").value = article.title;
    $("kb-tags").value = article.tags;
    $("kb-language").value = article.language;
    $("kb-body").value = article.body;
    $("kb-title").focus();
  }

  function button(text, action) {
    const node = el("button", text);
    node.type = "button";
    node.addEventListener("click", action);
    return node;
  }

  async function showArticles() {
    const {articles} = await apiGet("/api/knowledge");
    const body = $("kb-articles").tBodies[0];
    clear(body);
    for (const a of articles) {
      const tr = el("tr");
      tr.dataset.articleId = a.article_id;
      for (const text of [a.title, a.tags, a.language, dateTime(a.updated_at) + " · " + a.updated_by]) {
        tr.appendChild(el("td", text));
      }
      const actions = el("td", null, "controls");
      actions.append(
        button(t("Change"), async () => editMode((await apiGet("/api/knowledge/" + a.article_id)).article)),
        button(t("Remove"), async () => {
          if (!confirm(t("Remove the article %(title)s?", {title: a.title}))) return;
          await api("/api/admin/knowledge/" + a.article_id, {}, "DELETE");
          $("kb-msg").textContent = t("Article removed.");
          await showArticles();
        }),
      );
      tr.appendChild(actions);
      body.appendChild(tr);
    }
  }

  $("kb-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const draft = {title: $("kb-title").value, tags: $("kb-tags").value, language: $("kb-language").value,
                   body: $("kb-body").value};
    try {
      if (editing) await api("/api/admin/knowledge/" + editing, draft, "PUT");
      else await api("/api/admin/knowledge", draft);
      $("kb-msg").textContent = t("Article saved.");
      editMode(null);
      await showArticles();
    } catch (error) {
      $("kb-msg").textContent = error.message;
    }
  });
  $("kb-cancel").addEventListener("click", () => editMode(null));

  showArticles();
})();
