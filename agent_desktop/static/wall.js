// Supervisor wall: queue tiles and agent grid from wall.snapshot pushes.
"use strict";

(() => {
  const {t, label, language, number, percent, el, clear, serverNow, duration, api, connect, figure, NO_FIGURE} = Live;
  const $ = (id) => document.getElementById(id);
  let agents = [];
  let sortKey = "name", sortDir = 1;  // the grid's order: a column and ascending (1) or descending (-1)

  const pct = (x) => (x === null || x === undefined ? NO_FIGURE : percent(x));
  const two = (n) => String(n).padStart(2, "0");
  const secs = (x) => (x === null || x === undefined ? NO_FIGURE : t("%(seconds)s s", {seconds: number(Math.round(x))}));
  const SPY_BUTTONS = {listen: t("Listen"), whisper: t("Whisper"), barge: t("Barge")};
  // The time of day in the wall's zone: the snapshot's moment already moved by the zone's offset, read as UTC.
  const clock = new Intl.DateTimeFormat(language, {hour: "2-digit", minute: "2-digit", hourCycle: "h23",
                                                   timeZone: "UTC"});

  // A sparkline as inline SVG: one polyline over the points known so far, scaled to the box, with its axes:
  // the scale's top and zero on the left, the window's start and now below.
  const SVG = "http://www.w3.org/2000/svg";
  function svgText(text, x, y, anchor) {
    const node = document.createElementNS(SVG, "text");
    node.setAttribute("x", x);
    node.setAttribute("y", y);
    node.setAttribute("text-anchor", anchor);
    node.setAttribute("class", "axis");
    node.textContent = text;
    return node;
  }
  function sparkline(label, values, fixedMax, minutes) {
    const left = 24, width = 150, plot = width - left, height = 48, bottom = 12, top = height - bottom;
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
    const step = plot / Math.max(1, values.length - 1);
    const points = [];
    values.forEach((v, i) => {
      if (v !== null) points.push([left + i * step, top - 2 - (v / max) * (top - 4)]);
    });
    for (const [x1, y1, x2, y2] of [[left, top - 1, width, top - 1], [left, 0, left, top - 1]]) {
      const axis = document.createElementNS(SVG, "line");
      for (const [k, v] of [["x1", x1], ["y1", y1], ["x2", x2], ["y2", y2]]) axis.setAttribute(k, v);
      axis.setAttribute("class", "baseline");
      svg.appendChild(axis);
    }
    const scale = fixedMax ? percent : number;
    svg.appendChild(svgText(scale(max), left - 3, 8, "end"));
    svg.appendChild(svgText(scale(0), left - 3, top - 1, "end"));
    svg.appendChild(svgText(t("−%(minutes)s min", {minutes: number(minutes)}), left, height - 1, "start"));
    svg.appendChild(svgText(t("now"), width, height - 1, "end"));
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

  // "support: longest wait 75 s, above 60 s" — what crossed which of the admin's thresholds.
  function alertText(q) {
    const parts = q.alerts.map((name) => name === "longest_wait"
      ? t("longest wait %(wait)s, above %(limit)s", {wait: secs(q.longest_wait), limit: secs(q.thresholds.longest_wait)})
      : t("service level %(sl)s, below %(limit)s", {sl: pct(q.last_30_min.service_level),
                                                    limit: pct(q.thresholds.service_level)}));
    return t("Alert: %(what)s", {what: parts.join("; ")});
  }

  // Screen readers hear an alert when it starts (or changes), not on every snapshot.
  let announced = "";
  function announceAlerts(queues) {
    const text = queues.filter((q) => q.alerts.length).map((q) => q.queue + " — " + alertText(q)).join(". ");
    const key = queues.map((q) => q.queue + ":" + q.alerts.join(",")).join("|");
    if (key !== announced) {
      announced = key;
      $("wall-alerts").textContent = text;
    }
  }

  function renderTiles(queues) {
    const tiles = $("tiles");
    clear(tiles);
    for (const q of queues) {
      const tile = el("article", null, "tile");
      tile.dataset.queue = q.queue;
      tile.appendChild(el("h2", q.queue));
      if (q.alerts.length) {  // colour and words, so the alert does not rest on colour alone
        tile.classList.add("alerting");
        tile.appendChild(el("p", alertText(q), "alert-text"));
      }
      tile.appendChild(figure(t("Waiting"), number(q.waiting)));
      tile.appendChild(figure(t("Longest wait"), secs(q.longest_wait), q.colours.longest_wait));
      tile.appendChild(figure(t("SL today"), pct(q.today.service_level), q.colours.sl_today));
      tile.appendChild(figure(t("SL 30 min"), pct(q.last_30_min.service_level), q.colours.sl_30_min));
      tile.appendChild(figure(t("ASA"), secs(q.today.asa)));
      tile.appendChild(figure(t("Abandon"), pct(q.today.abandon_rate), q.colours.abandon_today));
      tile.appendChild(figure(t("Answered"), number(q.today.answered)));
      const a = q.agents;
      tile.appendChild(el("p", t("ready %(ready)s · on call %(on_call)s · wrap-up %(wrap_up)s · not ready %(not_ready)s",
        {ready: a.ready, on_call: a.on_call + a.reserved, wrap_up: a.wrap_up, not_ready: a.not_ready}), "agents"));
      const trends = el("div", null, "trends");
      trends.appendChild(sparkline(t("Waiting, 20 min"), q.trends.waiting, 0, 20));
      trends.appendChild(sparkline(t("SL 30 min, 20 min"), q.trends.sl_30_min, 1, 20));
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

  // The agents the filter lets through, in the chosen order ("since": longest in state first when ascending).
  function shownAgents() {
    const name = $("filter-name").value.trim().toLocaleLowerCase(language);
    const state = $("filter-state").value;
    const value = (a) => sortKey === "since" ? a.since : sortKey === "answered" ? a.answered_today
      : sortKey === "state" ? label("agent state", a.state) : a.name;
    return agents
      .filter((a) => (!state || a.state === state) && (!name || a.name.toLocaleLowerCase(language).includes(name)))
      .sort((x, y) => {
        const a = value(x), b = value(y);
        return sortDir * (typeof a === "number" ? a - b : String(a).localeCompare(String(b), language));
      });
  }

  function sortBy(key) {
    sortDir = key === sortKey ? -sortDir : 1;
    sortKey = key;
    for (const th of $("agent-grid").querySelectorAll("th[data-sort]")) {
      if (th.dataset.sort === key) th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
    renderAgents();
  }

  function renderAgents() {
    const body = $("agents");
    clear(body);
    for (const a of shownAgents()) {
      const row = el("tr", null, "state-" + a.state);
      row.dataset.agentId = a.agent_id;
      row.appendChild(el("td", a.name));
      row.appendChild(el("td", label("agent state", a.state)));
      row.appendChild(el("td", a.reason ? label("pause reason", a.reason) : ""));
      row.appendChild(el("td", duration(serverNow() / 1000 - a.since), "timer"));
      row.appendChild(el("td", number(a.answered_today), "answered"));
      row.appendChild(el("td", a.aht_today === null ? "—" : duration(a.aht_today), "aht"));
      const call = a.call_id ? [a.queue || "—"] : [];  // the queue tells people more than Asterisk's call id
      if (a.call_id && a.held_since) {
        call.push(t("caller on hold %(duration)s", {duration: duration(serverNow() / 1000 - a.held_since)}));
      }
      row.appendChild(el("td", call.join(" · ")));
      const actions = el("td", null, "actions");
      if (a.state === "on_call") {
        for (const [mode, word] of Object.entries(SPY_BUTTONS)) {
          actions.appendChild(button(word, () => act(a.agent_id, "spy", {mode},
            t("%(mode)s: your phone rings for %(agent)s", {mode: label("listening mode", mode), agent: a.name}))));
        }
      }
      if (a.state === "not_ready") {
        actions.appendChild(button(t("Ready"), () => act(a.agent_id, "ready", {},
          t("ready sent for %(agent)s", {agent: a.name}))));
      }
      if (a.state !== "logged_out") {
        actions.appendChild(button(t("Not ready"), () => act(a.agent_id, "not-ready",
          {reason: $("force-reason").value}, t("not ready sent for %(agent)s", {agent: a.name}))));
        actions.appendChild(button(t("Log out"), () =>
          act(a.agent_id, "logout", {}, t("log out sent for %(agent)s", {agent: a.name}))));
      }
      row.appendChild(actions);
      body.appendChild(row);
    }
  }

  // English keeps the ISO day (neither the US nor the UK order); other languages write it their way.
  function formatDay(isoDay) {
    if (language === "en") return isoDay;
    const [year, month, day] = isoDay.split("-").map(Number);
    return new Intl.DateTimeFormat(language, {dateStyle: "long", timeZone: "UTC"})
      .format(new Date(Date.UTC(year, month - 1, day)));
  }

  // The day "today" counts and the time, both in the wall's configured zone, not the browser's.
  function renderDay(snapshot) {
    const local = new Date((snapshot.at + snapshot.utc_offset) * 1000);
    const offset = Math.abs(snapshot.utc_offset) / 60;
    const zone = snapshot.time_zone || t("server time, UTC%(offset)s", {offset: (snapshot.utc_offset < 0 ? "−" : "+") +
      two(Math.floor(offset / 60)) + ":" + two(offset % 60)});
    $("wall-day").textContent = t("Today %(day)s · %(time)s (%(zone)s)",
      {day: formatDay(snapshot.day), time: clock.format(local), zone});
  }

  for (const th of $("agent-grid").querySelectorAll("th[data-sort]")) {
    th.querySelector("button").addEventListener("click", () => sortBy(th.dataset.sort));
  }
  $("filter-name").addEventListener("input", renderAgents);
  $("filter-state").addEventListener("change", renderAgents);
  $("agent-filter").addEventListener("submit", (event) => event.preventDefault());

  const live = connect({
    onOpen() { live.send({type: "wall.subscribe"}); },
    onMessage(message) {
      if (message.type === "wall.snapshot") {
        renderDay(message);
        renderTiles(message.queues);
        announceAlerts(message.queues);
        agents = message.agents;
        renderAgents();
        document.dispatchEvent(new CustomEvent("wall-snapshot", {detail: message}));
      }
    },
  });
})();
