// Agent desktop: state controls with timer, screen pop, wrap-up.
"use strict";

(() => {
  const {el, clear, serverNow, duration, api, connect} = Live;
  const $ = (id) => document.getElementById(id);
  const pops = new Map();  // call_id -> pop message
  let current = null;      // call_id on screen
  let stateSince = null;

  function say(text, isError) {
    $("msg").textContent = text;
    $("msg").className = "msg" + (isError ? " error" : "");
  }

  function showState(message) {
    const state = $("state");
    state.textContent = message.state.replace("_", " ");
    state.className = "state state-" + message.state;
    state.dataset.state = message.state;
    $("state-reason").textContent = message.reason ? "(" + message.reason + ")" : "";
    stateSince = message.since;
    tick();
  }

  function tick() {
    $("state-timer").textContent = stateSince ? duration(serverNow() / 1000 - stateSince) : "";
  }

  function fillList(list, items, render) {
    clear(list);
    if (!items.length) list.appendChild(el("li", "none", "muted"));
    for (const item of items) list.appendChild(el("li", render(item)));
  }

  function showPop(pop) {
    current = pop.call_id;
    const c = pop.customer;
    $("pop").hidden = false;
    $("pop").dataset.callId = pop.call_id;
    $("pop-name").textContent = c ? c.name : "Unknown caller";
    const tier = pop.tier || (c && c.tier) || "";
    $("pop-tier").textContent = tier;
    $("pop-tier").className = "tier" + (tier ? " tier-" + tier.replace(/[^a-z0-9_-]/gi, "") : "");
    $("pop-code").textContent = (c && c.code) || pop.customer_code || "—";
    $("pop-company").textContent = (c && c.company) || "—";
    $("pop-ani").textContent = pop.ani || "—";
    $("pop-queue").textContent = pop.queue;
    $("pop-intent").textContent = pop.intent || "—";
    $("pop-wait").textContent = duration(pop.wait_seconds || 0);
    $("pop-notes").textContent = (c && c.notes) || "—";
    const ivr = $("pop-ivr");
    clear(ivr);
    for (const [key, value] of pop.ivr_data) {
      const row = el("tr");
      row.appendChild(el("th", key));
      row.appendChild(el("td", value));
      ivr.appendChild(row);
    }
    fillList($("pop-history"), c ? c.last_interactions : [], (i) =>
      new Date(i.at * 1000).toLocaleString() + " · " + i.direction + " · " + (i.queue || "") + " · " +
      (i.disposition || i.outcome || "") + (i.notes ? " · " + i.notes : ""));
    fillList($("pop-tickets"), c ? c.open_tickets : [], (t) => "#" + t.ticket_id + " " + t.subject +
      " (" + t.status + ")");
    const select = $("wrapup-disposition");
    clear(select);
    select.appendChild(el("option", "choose…")).value = "";
    for (const code of pop.dispositions) select.appendChild(el("option", code.replace("_", " "))).value = code;
    showStatus(pop.status);
  }

  function showStatus(status) {
    $("pop-status").textContent = status;
    $("pop-status").dataset.status = status;
    $("wrapup").hidden = !(status === "connected" || status === "ended");
  }

  function hidePop(callId) {
    pops.delete(callId);
    if (current !== callId) return;
    current = null;
    $("pop").hidden = true;
    $("wrapup").reset();
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
          live.send({type: "pop.ack", call_id: message.call_id});
          break;
        case "call.update": {
          const pop = pops.get(message.call_id);
          if (!pop) break;
          pop.status = message.status;
          if (message.status === "withdrawn" || message.status === "disposed") hidePop(message.call_id);
          else if (current === message.call_id) showStatus(message.status);
          break;
        }
        case "resync.done": {
          const active = new Map(message.active_calls.map((a) => [a.call_id, a.status]));
          for (const callId of [...pops.keys()]) {
            if (!active.has(callId)) hidePop(callId);
            else pops.get(callId).status = active.get(callId);
          }
          if (current) showStatus(pops.get(current).status);
          break;
        }
        case "error":
          say(message.message, true);
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

  $("btn-ready").addEventListener("click", () => act("/api/agent/ready", {}, "Ready requested"));
  $("btn-not-ready").addEventListener("click", () =>
    act("/api/agent/not-ready", {reason: $("nr-reason").value}, "Not ready requested"));
  $("btn-logout-acd").addEventListener("click", () => act("/api/agent/logout", {}, "Logged out of queues"));
  $("wrapup").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!current) return;
    const disposition = $("wrapup-disposition").value;
    if (!disposition) { say("Choose a disposition first", true); return; }
    act("/api/calls/" + encodeURIComponent(current) + "/disposition",
        {disposition, notes: $("wrapup-notes").value}, "Wrap-up saved");
  });
  setInterval(tick, 1000);
})();
