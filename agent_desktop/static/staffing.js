// Staffing advice on the wall: per queue, the traffic of the last minutes (and a week ago), the agents the
// service-level target needs now and next hour (Erlang C, Erlang A), and the what-if with those logged in.
"use strict";

(() => {
  const {t, number, percent, el, clear} = Live;
  const box = document.getElementById("staffing");
  if (!box) return;
  const dash = "—";
  const rate = (traffic) => number(Math.round(traffic.calls_per_hour));
  const secs = (x) => (x === null || x === undefined ? dash : t("%(seconds)s s", {seconds: number(Math.round(x))}));
  const agents = (advice) => (advice.erlang_a_agents === null
    ? t("%(c)s (Erlang C)", {c: number(advice.erlang_c_agents)})
    : t("%(c)s (Erlang C) · %(a)s (Erlang A)", {c: number(advice.erlang_c_agents), a: number(advice.erlang_a_agents)}));

  function whatIf(panel) {
    const w = panel.with_logged_in;
    if (!w) return dash;
    return t("with %(k)s agents: SL %(sl)s, ASA %(asa)s",
      {k: number(w.agents), sl: percent(w.service_level), asa: secs(w.asa)});
  }

  function render(panels) {
    const body = box.querySelector("tbody");
    clear(body);
    for (const panel of panels) {
      const row = el("tr");
      row.appendChild(el("td", panel.queue));
      row.appendChild(el("td", t("%(now)s /h (a week ago %(before)s /h)", {now: rate(panel.now), before: rate(panel.week_ago)})));
      row.appendChild(el("td", secs(panel.now.handle_seconds)));
      row.appendChild(el("td", secs(panel.now.patience_seconds)));
      row.appendChild(el("td", agents(panel.advice_now)));
      row.appendChild(el("td", agents(panel.advice_next_hour)));
      row.appendChild(el("td", number(panel.logged_in)));
      row.appendChild(el("td", whatIf(panel)));
      body.appendChild(row);
    }
  }

  document.addEventListener("wall-snapshot", (event) => {
    if (event.detail.staffing) render(event.detail.staffing);
  });
})();
