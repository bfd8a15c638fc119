// The do-not-call page: put a number on a list or take it off (with a reason), then see its story.
"use strict";

(() => {
  const {t, dateTime, el, api} = Live;
  const $ = (id) => document.getElementById(id);
  const msg = $("msg");

  function entry() {
    const list = $("dnc-list").value;
    return {number: $("dnc-number").value, reason: $("dnc-reason").value, campaign_id: list ? Number(list) : null};
  }

  function storyLink(e164) {
    const link = el("a", t("See its story"));
    link.id = "dnc-story-link";
    link.href = "/numbers?number=" + encodeURIComponent(e164);
    return link;
  }

  function said(text, e164) {
    msg.textContent = text + " ";
    msg.appendChild(storyLink(e164));
  }

  $("dnc-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const change = await api("/api/dnc", entry());
      said(t("%(number)s is on the list now: it will not be dialled.", {number: change.e164}), change.e164);
      const row = el("tr");
      const listName = $("dnc-list").selectedOptions[0].textContent;
      for (const text of [change.e164, listName, dateTime(change.at), change.actor, change.reason]) {
        row.appendChild(el("td", text));
      }
      $("dnc-entries").tBodies[0].prepend(row);
    } catch (error) {
      msg.textContent = error.message;
    }
  });

  $("dnc-remove").addEventListener("click", async () => {
    if (!$("dnc-form").reportValidity()) return;
    try {
      const change = await api("/api/dnc/remove", entry());
      said(t("%(number)s is off the list.", {number: change.e164}), change.e164);
    } catch (error) {
      msg.textContent = error.message;
    }
  });
})();
