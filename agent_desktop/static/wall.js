// Supervisor wall: queue tiles and agent grid from wall.snapshot pushes.
"use strict";

(() => {
  const {el, clear, serverNow, duration, api, connect} = Live;
  const $ = (id) => document.getElementById(id);
  let agents = [];

  const pct = (x) => (x === null || x === undefined ? "—" : Math.round(x * 100) + "%");
  const two = (n) => String(n).padStart(2, "0");
  const secs = (x) => (x === null || x === undefined ? "—" : Math.round(x) + " s");

  function figure(label, value, colour) {
    const box = el("div", null, "figure" + (colour ? " level-" + colour : ""));
    box.appendChild(el("span", label, "label"));
    box.appendChild(el("span", value, "value"));
    return box;
  }

  // A sparkline as inline SVG: one polyline over the points known so far, scaled to the box.
  const SVG = "http://www.w3.org/2000/svg";
  function sparkline(label, values, fixedMax) {
    const width = 120, height = 28;
    const box = el("div", null, "trend");
    box.appendChild(el("span", label, "label"));
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    const known = values.filter((v) => v !== null);
    const max = fixedMax || Math.max(1, ...known);
    const step = width / Math.max(1, values.length - 1);
    const points = [];
    values.forEach((v, i) => {
      if (v !== null) points.push([i * step, height - 2 - (v / max) * (height - 4)]);
    });
    const base = document.createElementNS(SVG, "line");
    for (const [k, v] of [["x1", 0], ["y1", height - 1], ["x2", width], ["y2", height - 1]]) base.setAttribute(k, v);
    base.setAttribute("class", "baseline");
    svg.appendChild(base);
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", points.map(([x, y]) => x.toFixed(1) + "," + y.toFixed(1)).join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", "currentColor");
    line.setAttribute("stroke-width", "1.5");
    svg.appendChild(line);
    if (points.length) {  // the latest value as a dot, so a young history still shows
      const [x, y] = points[points.length - 1];
      const dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("cx", x.toFixed(1));
      dot.setAttribute("cy", y.toFixed(1));
      dot.setAttribute("r", "2.5");
      dot.setAttribute("fill", "currentColor");
      svg.appendChild(dot);
    }
    box.appendChild(svg);
    box.dataset.points = String(points.length);
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
      const trends = el("div", null, "trends");
      trends.appendChild(sparkline("Waiting, 20 min", q.trends.waiting));
      trends.appendChild(sparkline("SL 30 min, 20 min", q.trends.sl_30_min, 1));
      tile.appendChild(trends);
      tiles.appendChild(tile);
    }
  }

  function act(agentId, what, body, done) {
    api("/api/agents/" + encodeURIComponent(agentId) + "/" + what, body)
      .then(() => { $("msg").textContent = done; })
      .catch((e) => { $("msg").textContent = e.message; });
  }

  function button(label, onClick) {
    const b = el("button", label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
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
      const hold = a.held_since ? " · caller on hold " + duration(serverNow() / 1000 - a.held_since) : "";
      row.appendChild(el("td", a.call_id ? a.call_id + " (" + (a.queue || "") + ")" + hold : ""));
      const actions = el("td", null, "actions");
      if (a.state === "on_call") {
        for (const mode of ["listen", "whisper", "barge"]) {
          actions.appendChild(button(mode[0].toUpperCase() + mode.slice(1), () =>
            act(a.agent_id, "spy", {mode}, `${mode}: your phone rings for ${a.name}`)));
        }
      }
      if (a.state !== "logged_out") {
        actions.appendChild(button("Not ready", () =>
          act(a.agent_id, "not-ready", {reason: $("force-reason").value}, "not ready sent for " + a.name)));
        actions.appendChild(button("Log out", () => act(a.agent_id, "logout", {}, "log out sent for " + a.name)));
      }
      row.appendChild(actions);
      body.appendChild(row);
    }
  }

  // The day "today" counts and the time, both in the wall's configured zone, not the browser's.
  function renderDay(snapshot) {
    const local = new Date((snapshot.at + snapshot.utc_offset) * 1000);
    const offset = Math.abs(snapshot.utc_offset) / 60;
    const zone = snapshot.time_zone || "server time, UTC" + (snapshot.utc_offset < 0 ? "−" : "+") +
      two(Math.floor(offset / 60)) + ":" + two(offset % 60);
    $("wall-day").textContent = "Today " + snapshot.day + " · " + two(local.getUTCHours()) + ":" +
      two(local.getUTCMinutes()) + " (" + zone + ")";
  }

  const live = connect({
    onOpen() { live.send({type: "wall.subscribe"}); },
    onMessage(message) {
      if (message.type === "wall.snapshot") {
        renderDay(message);
        renderTiles(message.queues);
        agents = message.agents;
        renderAgents();
      }
    },
  });
})();
