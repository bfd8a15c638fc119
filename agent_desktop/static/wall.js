// Supervisor wall: queue tiles and agent grid from wall.snapshot pushes.
"use strict";

(() => {
  const {el, clear, serverNow, duration, api, connect} = Live;
  const $ = (id) => document.getElementById(id);
  let agents = [];

  const pct = (x) => (x === null || x === undefined ? "—" : Math.round(x * 100) + "%");
  const secs = (x) => (x === null || x === undefined ? "—" : Math.round(x) + " s");

  function figure(label, value, colour) {
    const box = el("div", null, "figure" + (colour ? " level-" + colour : ""));
    box.appendChild(el("span", label, "label"));
    box.appendChild(el("span", value, "value"));
    return box;
  }

  function renderTiles(queues) {
    const tiles = $("tiles");
    clear(tiles);
    for (const q of queues) {
      const tile = el("article", null, "tile");
      tile.dataset.queue = q.queue;
      tile.appendChild(el("h2", q.queue));
      tile.appendChild(figure("Waiting", q.waiting));
      tile.appendChild(figure("Longest wait", secs(q.longest_wait), q.colours.longest_wait));
      tile.appendChild(figure("SL today", pct(q.today.service_level), q.colours.sl_today));
      tile.appendChild(figure("SL 30 min", pct(q.last_30_min.service_level), q.colours.sl_30_min));
      tile.appendChild(figure("ASA", secs(q.today.asa)));
      tile.appendChild(figure("Abandon", pct(q.today.abandon_rate), q.colours.abandon_today));
      tile.appendChild(figure("Answered", q.today.answered));
      const a = q.agents;
      tile.appendChild(el("p", `ready ${a.ready} · on call ${a.on_call + a.reserved} · wrap-up ${a.wrap_up}` +
        ` · not ready ${a.not_ready}`, "agents"));
      tiles.appendChild(tile);
    }
  }

  function force(agentId, what) {
    const path = "/api/agents/" + encodeURIComponent(agentId) + "/" + what;
    api(path, what === "not-ready" ? {reason: "supervisor"} : {})
      .then(() => { $("msg").textContent = what + " sent for " + agentId; })
      .catch((e) => { $("msg").textContent = e.message; });
  }

  function renderAgents() {
    const body = $("agents");
    clear(body);
    for (const a of agents) {
      const row = el("tr", null, "state-" + a.state);
      row.dataset.agentId = a.agent_id;
      row.appendChild(el("td", a.name));
      row.appendChild(el("td", a.state.replace("_", " ")));
      row.appendChild(el("td", a.reason || ""));
      row.appendChild(el("td", duration(serverNow() / 1000 - a.since), "timer"));
      row.appendChild(el("td", a.call_id ? a.call_id + " (" + (a.queue || "") + ")" : ""));
      const actions = el("td");
      for (const [label, what] of [["Not ready", "not-ready"], ["Log out", "logout"]]) {
        const button = el("button", label);
        button.type = "button";
        button.addEventListener("click", () => force(a.agent_id, what));
        actions.appendChild(button);
      }
      row.appendChild(actions);
      body.appendChild(row);
    }
  }

  const live = connect({
    onOpen() { live.send({type: "wall.subscribe"}); },
    onMessage(message) {
      if (message.type === "wall.snapshot") {
        renderTiles(message.queues);
        agents = message.agents;
        renderAgents();
      }
    },
  });
})();
