// The campaigns page: every campaign with its counts, refreshed every few seconds.
"use strict";

(() => {
  const {t, label, number, percent, dateTime, el, clear, apiGet} = Live;
  const rows = document.getElementById("campaign-rows");
  const msg = document.getElementById("msg");

  function cell(content, className) {
    const td = el("td", null, className);
    if (content instanceof Node) td.appendChild(content); else td.textContent = String(content);
    return td;
  }

  // "dnc 3 · attempts 1": how many leads each rule holds back.
  function byRule(counts) {
    return Object.entries(counts || {}).map(([rule, count]) => label("eligibility rule", rule) + " " + number(count))
      .join(" · ");
  }

  function row(campaign) {
    const progress = campaign.progress;
    const tr = el("tr");
    tr.dataset.campaign = String(campaign.id);
    const link = el("a", campaign.name);
    link.href = "/campaigns/" + campaign.id;
    tr.appendChild(cell(link));
    tr.appendChild(cell(label("campaign status", campaign.status), "status"));
    tr.appendChild(cell(label("dialling mode", campaign.mode)));
    tr.appendChild(cell(number(progress.total), "figure-total"));
    tr.appendChild(cell(number(progress.dialable_now), "figure-now"));
    tr.appendChild(cell(number(progress.later_today), "figure-today"));
    tr.appendChild(cell(number(progress.later), "figure-later"));
    const never = cell(number(progress.never), "figure-never");
    const reasons = byRule(progress.never_by_reason);
    if (reasons) never.appendChild(el("div", reasons, "muted"));
    tr.appendChild(never);
    tr.appendChild(cell(percent(progress.penetration)));
    tr.appendChild(cell(progress.expected_completion === null ? t("not dialling yet")
      : dateTime(progress.expected_completion)));
    return tr;
  }

  async function refresh() {
    try {
      const data = await apiGet("/api/campaigns");
      clear(rows);
      for (const campaign of data.campaigns) rows.appendChild(row(campaign));
      if (!data.campaigns.length) {
        const empty = el("td", t("No campaign yet."));
        empty.colSpan = 10;
        rows.appendChild(el("tr")).appendChild(empty);
      }
      msg.textContent = "";
    } catch (error) {
      msg.textContent = error.message;
    }
  }

  refresh();
  setInterval(refresh, 5000);
})();
