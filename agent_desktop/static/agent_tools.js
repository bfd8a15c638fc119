// The agent's tools beside the calls: customer search and the customer card with its tickets, the agent's
// own day, and the knowledge base (searched here and from the screen pop).
"use strict";

(() => {
  const {t, label, dateTime, historyLine, el, clear, duration, api, apiGet} = Live;
  const $ = (id) => document.getElementById(id);
  const STATUSES = {
    open: t("Open"), in_progress: t("In progress"), waiting_customer: t("Waiting for the customer"),
    resolved: t("Resolved"), closed: t("Closed"),
  };
  const PRIORITIES = {low: t("Low"), normal: t("Normal"), high: t("High"), urgent: t("Urgent")};
  const FIELDS = {status: t("Status"), subject: t("Subject"), priority: t("Priority"),
    description: t("Description")};
  const status = (code) => STATUSES[code] || code;
  // One step of a ticket's trail in words: a note as typed, a field with its new value, else the action.
  function stepText(step) {
    if (step.action === "note") return step.new;
    if (!step.field) return step.action;
    const value = step.field === "status" ? status(step.new) : step.field === "priority"
      ? PRIORITIES[step.new] || step.new : step.new ?? "";
    return (FIELDS[step.field] || step.field) + ": " + value;
  }
  let query = "";
  let page = 0;
  let cardId = null;

  function tell(text, isError) {
    $("cust-msg").textContent = text;
    $("cust-msg").className = "msg" + (isError ? " error" : "");
  }

  // ---- customers -------------------------------------------------------------------------------------------
  async function search(more) {
    page = more ? page + 1 : 0;
    if (!more) clear($("cust-results"));
    try {
      const found = await apiGet("/api/crm/customers?q=" + encodeURIComponent(query) + "&page=" + page);
      for (const c of found.customers) {
        const item = el("li");
        const open = el("button", c.name);
        open.type = "button";
        open.dataset.customerId = c.customer_id;
        open.addEventListener("click", () => showCard(c.customer_id));
        item.append(open, el("span", " " + [c.code, c.company, c.phones.join(", "), c.email].filter(Boolean)
          .join(" · "), "muted"));
        $("cust-results").appendChild(item);
      }
      $("cust-more").hidden = !found.more;
      tell(found.customers.length || more ? "" : t("No customer found."));
    } catch (error) {
      tell(error.message, true);
    }
  }

  function ticketItem(ticket) {
    const item = el("li", null, "ticket");
    item.dataset.ticketId = ticket.ticket_id;
    item.append(el("strong", ticket.subject), el("span", " · " + status(ticket.status) + " · "
      + (PRIORITIES[ticket.priority] || ticket.priority), "ticket-status"));
    if (ticket.description) item.appendChild(el("p", ticket.description, "kb-body"));
    const trail = el("ul", null, "list");
    trail.classList.add("muted");
    for (const step of ticket.trail) {
      trail.appendChild(el("li", dateTime(step.at) + " · " + step.actor + " · " + stepText(step)));
    }
    item.appendChild(trail);
    // The change form: a status it may move to, a new subject, a note.
    const form = el("form", null, "finder-row");
    form.classList.add("ticket-change");
    const move = el("select");
    move.setAttribute("aria-label", t("New status"));
    move.appendChild(new Option(t("keep the status"), ""));
    for (const next of ticket.next_statuses) move.appendChild(new Option(status(next), next));
    const subject = el("input");
    subject.value = ticket.subject;
    subject.maxLength = 200;
    subject.setAttribute("aria-label", t("Subject"));
    const note = el("input");
    note.placeholder = t("Note");
    note.maxLength = 4000;
    note.setAttribute("aria-label", t("Note"));
    const save = el("button", t("Update ticket"));
    save.type = "submit";
    form.append(move, subject, note, save);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("/api/crm/tickets/" + ticket.ticket_id, {
          subject: subject.value, status: move.value || null, note: note.value,
        });
        tell(t("Ticket updated."));
        await showCard(cardId);
      } catch (error) {
        tell(error.message, true);
      }
    });
    item.appendChild(form);
    return item;
  }

  async function showCard(customerId) {
    try {
      const card = await apiGet("/api/crm/customers/" + encodeURIComponent(customerId));
      cardId = customerId;
      $("cust-card").hidden = false;
      $("cust-card").dataset.customerId = customerId;
      $("card-name").textContent = card.name;
      $("card-tier").textContent = card.tier ? label("tier", card.tier) : "";
      $("card-code").textContent = card.code;
      $("card-company").textContent = card.company;
      $("card-phones").textContent = card.phones.join(", ");
      $("card-email").textContent = card.email;
      $("card-notes").textContent = card.notes;
      window.ClickToDial.callButtons($("card-call"), card.phones, customerId);
      clear($("card-history"));
      for (const i of card.interactions) {
        $("card-history").appendChild(el("li", historyLine(i)));
      }
      if (!card.interactions.length) $("card-history").appendChild(el("li", t("No interactions yet."), "muted"));
      clear($("card-tickets"));
      for (const ticket of card.tickets) $("card-tickets").appendChild(ticketItem(ticket));
      if (!card.tickets.length) $("card-tickets").appendChild(el("li", t("No tickets."), "muted"));
      const priority = $("ticket-priority");
      if (!priority.options.length) {
        for (const p of card.priorities) priority.appendChild(new Option(PRIORITIES[p] || p, p, p === "normal", p === "normal"));
      }
    } catch (error) {
      tell(error.message, true);
    }
  }

  $("cust-search").addEventListener("submit", (event) => {
    event.preventDefault();
    query = $("cust-query").value.trim();
    search(false);
  });
  $("cust-more").addEventListener("click", () => search(true));
  $("ticket-new").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("/api/crm/customers/" + encodeURIComponent(cardId) + "/tickets", {
        subject: $("ticket-subject").value, description: $("ticket-description").value,
        priority: $("ticket-priority").value,
      });
      $("ticket-new").reset();
      tell(t("Ticket opened."));
      await showCard(cardId);
    } catch (error) {
      tell(error.message, true);
    }
  });

  // ---- my day ----------------------------------------------------------------------------------------------
  async function showDay() {
    try {
      const day = await apiGet("/api/agent/my-day");
      $("day-calls").textContent = String(day.calls);
      $("day-manual").textContent = day.manual_calls + " (" + day.manual_answered + ")";
      $("day-aht").textContent = day.aht === null ? "–" : duration(day.aht);
      clear($("day-states"));
      for (const [state, seconds] of Object.entries(day.seconds_by_state)) {
        $("day-states").appendChild(el("li", label("agent state", state) + ": " + duration(seconds)));
      }
      const body = $("day-history").tBodies[0];
      clear(body);
      for (const call of day.history) {
        const tr = el("tr");
        // a call with no queue (one dialled by hand) says what it was instead
        for (const cell of [dateTime(call.at), call.queue || label("direction", call.direction),
          call.customer_name || call.ani || "",
          call.talk_seconds === null ? "" : duration(call.talk_seconds),
          call.disposition ? label("disposition", call.disposition) : "", call.notes]) {
          tr.appendChild(el("td", cell));
        }
        body.appendChild(tr);
      }
    } catch (error) {
      tell(error.message, true);
    }
  }
  $("my-day-refresh").addEventListener("click", showDay);

  // ---- knowledge base --------------------------------------------------------------------------------------
  async function showArticle(articleId) {
    const {article} = await apiGet("/api/knowledge/" + encodeURIComponent(articleId));
    $("kb-article").hidden = false;
    $("kb-article-title").textContent = article.title;
    $("kb-article-body").textContent = article.body;
    $("kb-article").scrollIntoView({block: "nearest"});
  }

  for (const form of document.querySelectorAll(".kb-search")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const list = $(form.dataset.results);
      clear(list);
      try {
        const {articles} = await apiGet("/api/knowledge?q=" + encodeURIComponent(form.elements.q.value));
        for (const a of articles) {
          const item = el("li", null, "kb-hit");
          const open = el("button", a.title);
          open.type = "button";
          // On the pop the article opens in place, under its title; on the panel in the reader below.
          open.addEventListener("click", async () => {
            if (!form.closest("#pop")) return showArticle(a.article_id);
            const {article} = await apiGet("/api/knowledge/" + encodeURIComponent(a.article_id));
            item.querySelector(".kb-body")?.remove();
            item.appendChild(el("p", article.body, "kb-body"));
          });
          item.append(open, el("span", " " + a.tags, "muted"));
          list.appendChild(item);
        }
        if (!articles.length) list.appendChild(el("li", t("No article found."), "muted"));
      } catch (error) {
        list.appendChild(el("li", error.message, "error"));
      }
    });
  }

  // Opened on a pop with nothing typed yet, the knowledge base looks up what the caller came for (the IVR's intent).
  $("pop-kb").addEventListener("toggle", () => {
    const intent = $("pop-intent").textContent.trim();
    if (!$("pop-kb").open || $("pop-kb-query").value || !intent || intent === "—") return;
    $("pop-kb-query").value = intent;
    $("pop-kb-query").form.requestSubmit();
  });

  // ---- auto-answer ---------------------------------------------------------------------------------------
  async function showAutoAnswer() {
    const choice = await apiGet("/api/agent/auto-answer");
    const select = $("auto-answer");
    for (const seconds of choice.choices) {
      select.appendChild(new Option(t("after %(seconds)s s", {seconds}), String(seconds)));
    }
    select.value = choice.seconds === null ? "" : String(choice.seconds);
  }
  $("auto-answer").addEventListener("change", async (event) => {
    const value = event.target.value;
    try {
      await api("/api/agent/auto-answer", {seconds: value === "" ? null : Number(value)}, "PUT");
      $("msg").textContent = value === "" ? t("Auto-answer is off: answer your phone.")
        : t("Your phone now answers calls by itself after %(seconds)s s.", {seconds: value});
    } catch (error) {
      $("msg").textContent = error.message;
    }
  });

  const DAY_REFRESH_SECONDS = 60;
  showDay();
  setInterval(showDay, DAY_REFRESH_SECONDS * 1000);  // the figures move on with the day without a click
  showAutoAnswer();
})();
