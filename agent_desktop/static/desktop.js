// Agent desktop: state controls with timer, screen pop (with finding or adding its customer), hold,
// transfer and consultation during the call, wrap-up.
"use strict";

(() => {
  const {t, label, historyLine, el, clear, serverNow, duration, api, apiGet, connect} = Live;
  const $ = (id) => document.getElementById(id);
  const MESSAGE_SECONDS = 8;
  const DIALER_KEYS = new Set(["campaign_id", "lead_id"]);  // ivr.caller's CAMPAIGN_ID_KEY and LEAD_ID_KEY
  const pops = new Map();  // call_id -> pop message
  // call_id -> {disposition, notes, saved}: a wrap-up typed (during the call or after) lives here, not only in
  // the form, so another call's pop never loses it.
  const drafts = new Map();
  let current = null;      // call_id on screen
  let wrapUpUntil = null;  // when the wrap-up ends by itself (server time, s)
  let pausedForCall = false;  // paused for a call placed by hand (ready again after its wrap-up)
  let stateSince = null;
  let heldSince = null;    // of the call on screen
  let consultSince = null;
  // Which pop field each talk update carries.
  const TALK_FIELDS = {"call.hold": "held_since", "call.consult": "consult", "call.consultation": "consultation"};
  const CONSULT_OUTCOMES = {
    completed: t("Transfer completed"),
    cancelled: t("Consultation cancelled: you are back with the caller"),
    failed: t("The consultation did not go through: you are back with the caller"),
  };
  // What a refused WebSocket message means to the agent (the server's own text is for developers).
  const SOCKET_ERRORS = {
    forbidden: t("Your role may not do this."),
    bad_request: t("The page sent something the server did not understand; reload the page."),
    unknown_type: t("The page sent something the server did not understand; reload the page."),
  };

  let sayTimer = null;
  // A status line: news clears itself after a while, an error stays until the next message.
  function say(text, isError) {
    $("msg").textContent = text;
    $("msg").className = "msg" + (isError ? " error" : "");
    clearTimeout(sayTimer);
    if (!isError) sayTimer = setTimeout(() => { $("msg").textContent = ""; }, MESSAGE_SECONDS * 1000);
  }

  function showState(message) {
    const state = $("state");
    state.textContent = label("agent state", message.state);
    state.className = "state state-" + message.state;
    state.dataset.state = message.state;
    $("state-reason").textContent = message.reason ? "(" + label("pause reason", message.reason) + ")" : "";
    stateSince = message.since;
    const wasWrappingUp = wrapUpUntil !== null;
    wrapUpUntil = message.state === "wrap_up" ? message.until || null : null;
    pausedForCall = message.state === "not_ready" && message.reason === "manual_call";
    // Ready makes no sense while a call rings or talks; leaving the queues not while talking.
    $("btn-ready").disabled = ["reserved", "on_call"].includes(message.state);
    $("btn-logout-acd").disabled = message.state === "on_call";
    if (wasWrappingUp && wrapUpUntil === null && unsavedEnded().length) {
      say(t("The wrap-up time is over, but a wrap-up is not saved yet: save it below."), true);
    }
    renderPending();
    tick();
  }

  // Calls that ended with a wrap-up still to save.
  function unsavedEnded() {
    return [...pops.values()].filter((p) => p.status === "ended" && !(drafts.get(p.call_id) || {}).saved);
  }

  function callerName(pop) {
    return pop.customer ? pop.customer.name : pop.ani || t("Unknown caller");
  }

  function renderPending() {
    const waiting = unsavedEnded().filter((p) => p.call_id !== current);
    const list = $("pending-list");
    clear(list);
    for (const pop of waiting) {
      const item = el("li", callerName(pop) + " ");
      item.appendChild(button(t("Finish this wrap-up"), () => { keepDraft(); showPop(pop); renderPending(); }));
      list.appendChild(item);
    }
    $("pending-wrapups").hidden = !waiting.length;
  }

  function keepDraft() {
    if (!current) return;
    const draft = drafts.get(current) || {saved: false};
    const disposition = $("wrapup-disposition").value, notes = $("wrapup-notes").value;
    if (draft.disposition !== disposition || draft.notes !== notes) draft.saved = false;
    Object.assign(draft, {disposition, notes});
    drafts.set(current, draft);
  }

  async function saveWrapUp(callId, quiet) {
    const draft = drafts.get(callId);
    if (!draft || !draft.disposition) {
      if (!quiet) say(t("Choose a disposition first"), true);
      return;
    }
    const pop = pops.get(callId);
    try {
      await api("/api/calls/" + encodeURIComponent(callId) + "/disposition",
                {disposition: draft.disposition, notes: draft.notes});
      draft.saved = true;
      say(pop && pop.status === "connected" ? t("Wrap-up saved; it is recorded when the call ends")
        : t("Wrap-up saved"), false);
    } catch (error) {
      say(t("The wrap-up was not saved: %(reason)s", {reason: error.message}), true);
    }
    renderPending();
  }

  function since(epoch) {
    return epoch ? duration(serverNow() / 1000 - epoch) : "";
  }

  function tick() {
    $("state-timer").textContent = since(stateSince);
    $("hold-timer").textContent = since(heldSince);
    $("consult-timer").textContent = since(consultSince);
    const until = wrapUpEnd();
    // The ACD's wrap-up may be stretched ("More time"); that of a call placed by hand may not.
    $("btn-more-time").hidden = wrapUpUntil === null;
    const left = until === null ? 0 : until - serverNow() / 1000;
    $("wrapup-clock").hidden = until === null || (wrapUpUntil === null && left <= 0);
    if (until !== null) {
      $("wrapup-countdown").textContent = t("Wrap-up time left: %(duration)s", {duration: duration(Math.max(0, left))});
    }
  }

  // When the wrap-up ends by itself: the ACD's (the agent's state), else that of the call on screen placed by
  // hand while the agent is still paused for it (they are ready again then).
  function wrapUpEnd() {
    if (wrapUpUntil !== null) return wrapUpUntil;
    const pop = current === null ? null : pops.get(current);
    return pausedForCall && pop && pop.manual && pop.status === "ended" && pop.wrap_up_until ? pop.wrap_up_until
      : null;
  }

  // Live regions announce each change of their text: only touch them when it really changes.
  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  function fillList(list, items, render) {
    clear(list);
    if (!items.length) list.appendChild(el("li", t("none"), "muted"));
    for (const item of items) list.appendChild(el("li", render(item)));
  }

  function button(label, onClick) {
    const b = el("button", label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function callPath(suffix) {
    return "/api/calls/" + encodeURIComponent(current) + suffix;
  }

  function customerLine(c) {
    return c.code + " " + c.name + (c.company ? " · " + c.company : "") +
      (c.phones.length ? " · " + c.phones.join(", ") : "");
  }

  // The finder opens by itself for an unknown caller; for a known one it is the "wrong customer" way out.
  function resetFinder(pop) {
    $("finder").open = !pop.customer;
    $("finder-toggle").textContent = pop.customer ? t("Not this customer? Find or add the right one")
      : t("Find or add the customer");
    $("finder-search").reset();
    $("finder-new").reset();
    clear($("finder-results"));
    $("new-phone").value = pop.ani || "";
    $("new-duplicates").hidden = true;
  }

  async function matchCustomer(customerId) {
    if (!current) return;
    try {
      await api(callPath("/customer"), {customer_id: customerId});
      say(t("Customer matched"), false);
    } catch (error) {
      say(error.message, true);
    }
  }

  function showDuplicates(duplicates) {
    const list = $("new-duplicates-list");
    clear(list);
    for (const d of duplicates) {
      const item = el("li", t("Looks like %(code)s %(name)s (%(reason)s) — use that one?",
        {code: d.customer.code, name: d.customer.name, reason: d.reason}) + " ");
      item.appendChild(button(t("Use %(code)s", {code: d.customer.code}), () => matchCustomer(d.customer.customer_id)));
      list.appendChild(item);
    }
    $("new-duplicates").hidden = false;
  }

  async function createCustomer(allowDuplicates) {
    if (!current) return;
    const body = {name: $("new-name").value, company: $("new-company").value, phone: $("new-phone").value,
                  email: $("new-email").value, allow_duplicates: allowDuplicates};
    try {
      const data = await api(callPath("/customer/new"), body);
      say(t("Customer %(code)s created", {code: data.customer.code}), false);
    } catch (error) {
      if (error.status === 409 && error.data.duplicates) {
        showDuplicates(error.data.duplicates);
        say(t("Check the look-alikes before creating"), true);
      } else {
        say(error.message, true);
      }
    }
  }

  async function searchCustomers() {
    if (!current) return;
    const list = $("finder-results");
    try {
      const data = await apiGet(callPath("/customer-search?q=" + encodeURIComponent($("finder-query").value)));
      clear(list);
      if (!data.customers.length) list.appendChild(el("li", t("no customer found"), "muted"));
      for (const c of data.customers) {
        const item = el("li", customerLine(c) + " ");
        item.dataset.customerId = c.customer_id;
        item.appendChild(button(t("Use"), () => matchCustomer(c.customer_id)));
        list.appendChild(item);
      }
    } catch (error) {
      say(error.message, true);
    }
  }

  function showPop(pop) {
    if (current !== pop.call_id) keepDraft();
    current = pop.call_id;
    const c = pop.customer;
    $("pop").hidden = false;
    $("pop").dataset.callId = pop.call_id;
    $("pop-name").textContent = c ? c.name : t("Unknown caller");
    const tier = pop.tier || (c && c.tier) || "";
    $("pop-tier").textContent = tier ? label("tier", tier) : "";
    $("pop-tier").className = "tier" + (tier ? " tier-" + tier.replace(/[^a-z0-9_-]/gi, "") : "");
    $("pop-code").textContent = (c && c.code) || pop.customer_code || "—";
    $("pop-company").textContent = (c && c.company) || "—";
    $("pop-ani").textContent = pop.ani || "—";
    $("pop-queue").textContent = pop.queue;
    $("pop-intent").textContent = pop.intent || "—";
    $("pop-wait").textContent = duration(pop.wait_seconds || 0);
    for (const id of ["pop-queue", "pop-intent", "pop-wait"]) {  // a call placed by hand waited in no queue
      $(id).hidden = Boolean(pop.manual);
      $(id).previousElementSibling.hidden = Boolean(pop.manual);
    }
    $("pop-notes").textContent = (c && c.notes) || "—";
    const ivr = $("pop-ivr");
    clear(ivr);
    // A campaign call's campaign and lead ids are the dialer's, not what the caller told the IVR: the
    // campaign panel shows the lead itself.
    const told = pop.ivr_data.filter(([key]) => !DIALER_KEYS.has(key));
    for (const [key, value] of told) {
      const row = el("tr");
      row.appendChild(el("th", key));
      row.appendChild(el("td", value));
      ivr.appendChild(row);
    }
    $("pop-ivr-section").hidden = told.length === 0;
    fillList($("pop-history"), c ? c.last_interactions : [], historyLine);
    fillList($("pop-tickets"), c ? c.open_tickets : [], (ticket) => "#" + ticket.ticket_id + " " + ticket.subject +
      " (" + label("ticket status", ticket.status) + ")");
    const select = $("wrapup-disposition");
    clear(select);
    select.appendChild(el("option", t("choose…"))).value = "";
    for (const code of pop.dispositions) select.appendChild(el("option", label("disposition", code))).value = code;
    const draft = drafts.get(pop.call_id) || {disposition: "", notes: ""};
    select.value = draft.disposition;
    $("wrapup-notes").value = draft.notes;
    resetFinder(pop);
    showTalk(pop);
  }

  function consultTarget(consult) {
    const colleague = consult.colleague_name;
    return colleague && colleague !== consult.target_name ? consult.target_name + " (" + colleague + ")"
      : consult.target_name;
  }

  // Everything about the call on screen that moves while it lasts: status, hold, consultation.
  function showTalk(pop) {
    const consultation = pop.consultation;
    const status = pop.status;
    $("pop-status").textContent = label("call status", status);
    $("pop-status").dataset.status = status;
    $("pop-title").textContent = consultation ? t("Consultation") : pop.manual ? t("Called by hand") : t("Caller");
    $("pop-consultation").hidden = !consultation;
    setText($("pop-consultation"), consultation ? t("Consultation from %(colleague)s, about their caller (shown " +
      "below), who is on hold and does not hear you.", {colleague: consultation.agent_name || t("a colleague")}) : "");
    const wasHidden = $("talk").hidden;
    // Hold, transfer and consultation are the ACD's: a call placed by hand has none of them.
    $("talk").hidden = Boolean(consultation) || status !== "connected" || Boolean(pop.manual);
    // A campaign's call is wrapped up with the campaign's dispositions (outbound_desk.js).
    const campaignCall = pop.ivr_data.some(([key]) => key === "lead_id");
    $("wrapup").hidden = Boolean(consultation) || campaignCall || !(status === "connected" || status === "ended");
    const consult = $("talk").hidden ? null : pop.consult;
    const held = !$("talk").hidden && Boolean(pop.held_since);
    heldSince = held ? pop.held_since : null;
    $("btn-hold").hidden = held || Boolean(consult);
    $("btn-resume").hidden = !held || Boolean(consult);
    setText($("hold-state"), held ? t("On hold") : "");
    $("transfer").hidden = Boolean(consult);
    $("consulting").hidden = !consult;
    consultSince = consult ? consult.since : null;
    setText($("consult-state"), consult ? t("Consulting %(target)s: %(state)s",
      {target: consultTarget(consult), state: label("consultation state", consult.state)}) : "");
    $("consult-complete").disabled = !consult || consult.state !== "talking";
    if (wasHidden && !$("talk").hidden) loadTargets();
    tick();
    document.dispatchEvent(new CustomEvent("pop-shown", {detail: pop}));
  }

  // The transfer picker: queues come with the page, agents ready right now from the server.
  async function loadTargets() {
    try {
      const data = await apiGet("/api/transfer-targets");
      const group = $("transfer-agents");
      const chosen = $("transfer-target").value;
      clear(group);
      if (!data.agents.length) {
        const none = el("option", t("nobody is ready"));
        none.disabled = true;
        group.appendChild(none);
      }
      for (const a of data.agents) group.appendChild(el("option", a.name)).value = "agent:" + a.agent_id;
      $("transfer-target").value = chosen;  // kept if still offered...
      if ($("transfer-target").selectedIndex < 0) $("transfer-target").value = "";  // ...else "choose…"
    } catch (error) {
      say(error.message, true);
    }
  }

  // {body, label} of the chosen target, or null when none is chosen.
  function chosenTarget() {
    const select = $("transfer-target");
    const value = select.value;
    const colon = value.indexOf(":");
    if (colon < 0) return null;
    const kind = value.slice(0, colon), id = value.slice(colon + 1);
    return {body: kind === "agent" ? {agent: id} : {queue: id}, label: select.selectedOptions[0].textContent};
  }

  function hidePop(callId) {
    OfferAlert.stop(callId);
    pops.delete(callId);
    drafts.delete(callId);
    renderPending();
    if (current !== callId) return;
    current = null;
    $("pop").hidden = true;
    document.dispatchEvent(new CustomEvent("pop-hidden", {detail: callId}));
    $("wrapup").reset();
    tick();
    const next = [...pops.values()].pop();
    if (next) showPop(next);
  }

  const live = connect({
    onMessage(message) {
      switch (message.type) {
        case "agent.state":
          showState(message);
          break;
        case "call.offered":
          pops.set(message.call_id, message);
          showPop(message);
          if (message.status === "offered" && !message.consultation) OfferAlert.start(message.call_id, callerName(message));
          renderPending();
          live.send({type: "pop.ack", call_id: message.call_id});
          break;
        case "call.update": {
          const pop = pops.get(message.call_id);
          if (!pop) break;
          pop.status = message.status;
          if (message.wrap_up_until) pop.wrap_up_until = message.wrap_up_until;
          if (message.status !== "offered") OfferAlert.stop(message.call_id);
          if (message.status !== "connected") Object.assign(pop, {held_since: null, consult: null});
          if (message.status === "withdrawn" && pop.consultation) say(t("The consultation was called off"), false);
          if (message.status === "withdrawn" && pop.manual) {
            say(t("Your call to %(number)s: %(outcome)s", {number: pop.ani, outcome: label("outcome", message.outcome)}),
                false);
          }
          if (message.status === "withdrawn" || message.status === "disposed") hidePop(message.call_id);
          else if (current === message.call_id) showTalk(pop);
          if (message.status === "ended") {
            if (current === message.call_id) keepDraft();
            const draft = drafts.get(message.call_id);
            // What was typed during the call is saved at hang-up (a save during the call is kept by the ACD).
            if (draft && draft.disposition && !draft.saved) saveWrapUp(message.call_id, true);
            renderPending();
          }
          break;
        }
        case "call.hold":
        case "call.consult":
        case "call.consultation": {
          const pop = pops.get(message.call_id);
          if (!pop) break;
          const from = pop.consultation;
          const field = TALK_FIELDS[message.type];
          pop[field] = message[field];
          if (current === message.call_id) showTalk(pop);
          if (message.held_seconds) {
            say(t("The caller is back after %(duration)s", {duration: duration(message.held_seconds)}), false);
          }
          if (message.type === "call.consult" && message.outcome) say(CONSULT_OUTCOMES[message.outcome] ||
            t("Consultation %(outcome)s", {outcome: label("consultation state", message.outcome)}),
            message.outcome === "failed");
          if (message.type === "call.consultation" && from) {
            say(from.agent_name ? t("%(colleague)s handed you the caller", {colleague: from.agent_name})
              : t("Your colleague handed you the caller"), false);
          }
          break;
        }
        case "call.customer": {
          const pop = pops.get(message.call_id);
          if (!pop) break;
          Object.assign(pop, {customer: message.customer, customer_code: message.customer_code, tier: message.tier});
          if (current === message.call_id) showPop(pop);
          break;
        }
        case "resync.done": {
          const active = new Map(message.active_calls.map((a) => [a.call_id, a.status]));
          for (const callId of [...pops.keys()]) {
            if (!active.has(callId)) hidePop(callId);
            else pops.get(callId).status = active.get(callId);
          }
          if (current) showTalk(pops.get(current));
          break;
        }
        case "error":
          say(SOCKET_ERRORS[message.code] || message.message, true);
          break;
      }
    },
  });

  async function act(path, body, done) {
    try {
      await api(path, body);
      say(done, false);
    } catch (error) {
      say(error.message, true);
    }
  }

  $("btn-ready").addEventListener("click", () => act("/api/agent/ready", {}, t("Ready requested")));
  $("btn-not-ready").addEventListener("click", () =>
    act("/api/agent/not-ready", {reason: $("nr-reason").value}, t("Not ready requested")));
  $("btn-logout-acd").addEventListener("click", () => act("/api/agent/logout", {}, t("Logged out of queues")));
  $("wrapup").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!current) return;
    keepDraft();
    saveWrapUp(current, false);
  });
  $("wrapup").addEventListener("input", keepDraft);
  function showAlertsButton() {
    const permission = OfferAlert.permission();
    $("btn-alerts").hidden = permission === "granted" || permission === "unsupported";
  }
  $("btn-alerts").addEventListener("click", async () => {
    const permission = await OfferAlert.enable();
    say(permission === "granted" ? t("Call alerts are on") : t("The browser does not allow notifications; the tab title and a tone still tell you"), permission !== "granted");
    showAlertsButton();
  });
  showAlertsButton();
  $("btn-more-time").addEventListener("click", () => act("/api/agent/wrap-up/extend", {}, t("More wrap-up time asked for")));
  $("btn-hold").addEventListener("click", () => current && act(callPath("/hold"), {}, t("Hold requested")));
  $("btn-resume").addEventListener("click", () => current && act(callPath("/resume"), {}, t("Resume requested")));
  $("transfer-refresh").addEventListener("click", loadTargets);
  $("transfer").addEventListener("submit", (event) => {
    event.preventDefault();
    const target = chosenTarget();
    if (!current || !target) { say(t("Choose where to transfer first"), true); return; }
    act(callPath("/transfer"), target.body, t("Transferred to %(target)s", {target: target.label}));
  });
  $("consult-start").addEventListener("click", () => {
    const target = chosenTarget();
    if (!current || !target) { say(t("Choose whom to consult first"), true); return; }
    act(callPath("/consult"), target.body, t("Calling %(target)s…", {target: target.label}));
  });
  $("consult-complete").addEventListener("click", () =>
    current && act(callPath("/consult/complete"), {}, t("Handing the caller over…")));
  $("consult-cancel").addEventListener("click", () =>
    current && act(callPath("/consult/cancel"), {}, t("Going back to the caller…")));
  $("finder-search").addEventListener("submit", (event) => {
    event.preventDefault();
    searchCustomers();
  });
  $("finder-new").addEventListener("submit", (event) => {
    event.preventDefault();
    createCustomer(false);
  });
  $("new-create-anyway").addEventListener("click", () => createCustomer(true));
  setInterval(tick, 1000);
})();
