// The report page: pick a report, its period, zone and filters; draw its table and chart (Chart.js, served
// from our own static files) and offer the very same table as CSV or XLSX.
"use strict";

(() => {
  const {t, el, apiGet, number, percent} = Live;
  const $ = (id) => document.getElementById(id);
  const form = $("report-form");
  const picker = $("report-name");
  const msg = $("report-msg");
  const COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
    "#475569", "#ea580c"];
  const UNITS = {calls: t("Calls"), seconds: t("Hours"), share: t("Share")};
  let chart = null;
  let quick = "today";

  function showFilters() {
    const name = picker.value;
    for (const label of form.querySelectorAll("[data-for]")) {
      label.hidden = !label.dataset.for.split(" ").includes(name);
    }
  }

  function parameters() {
    const params = new URLSearchParams();
    if (quick) {
      params.set("quick", quick);
    } else {
      params.set("from", $("report-from").value);
      params.set("to", $("report-to").value);
    }
    params.set("tz", $("report-tz").value.trim());
    for (const field of form.querySelectorAll("[data-for] select, [data-for] input")) {
      if (!field.closest("label").hidden && field.value.trim()) params.set(field.name, field.value.trim());
    }
    return params;
  }

  // The campaign and disposition reports are where campaign managers may read them too.
  function base(prefix) {
    const option = picker.selectedOptions[0];
    return prefix + (option.dataset.outbound === "yes" ? "/outbound-reports/" : "/reports/") + picker.value;
  }

  function cellText(value) {
    if (value === null || value === undefined) return "";
    return String(value);
  }

  function drawTable(report) {
    const table = $("report-table");
    const head = table.tHead;
    const body = table.tBodies[0];
    head.replaceChildren();
    body.replaceChildren();
    const header = document.createElement("tr");
    for (const label of report.labels) header.appendChild(el("th", label));
    head.appendChild(header);
    for (const row of report.rows) {
      const line = document.createElement("tr");
      for (const value of row) {
        const cell = el("td", cellText(value));
        if (typeof value === "number") cell.className = "num";
        line.appendChild(cell);
      }
      body.appendChild(line);
    }
    if (!report.rows.length) {
      const line = document.createElement("tr");
      const cell = el("td", t("Nothing in this period."));
      cell.colSpan = report.labels.length;
      line.appendChild(cell);
      body.appendChild(line);
    }
  }

  // An interval's ISO start reads as its local time (and day, over several days).
  function axisLabel(report, value) {
    if (report.chart.labels !== "interval_start" || typeof value !== "string") return cellText(value);
    const oneDay = report.period.from === report.period.to;
    return oneDay ? value.slice(11, 16) : value.slice(5, 10) + " " + value.slice(11, 16);
  }

  function datasets(report) {
    const spec = report.chart;
    const rows = report.rows.filter((row) => row[report.columns.indexOf(spec.labels)] !== "*");
    const at = (name) => report.columns.indexOf(name);
    const scale = spec.unit === "seconds" ? 1 / 3600 : 1;
    if (spec.pivot) {
      const categories = [...new Set(rows.map((row) => row[at(spec.labels)]))];
      const keys = [...new Set(rows.map((row) => row[at(spec.pivot)]))];
      const sets = keys.map((key, i) => ({
        label: cellText(key) || t("(none)"),
        backgroundColor: COLOURS[i % COLOURS.length],
        data: categories.map((category) => rows
          .filter((row) => row[at(spec.labels)] === category && row[at(spec.pivot)] === key)
          .reduce((sum, row) => sum + (row[at(spec.value)] || 0), 0) * scale),
      }));
      return {labels: categories.map((c) => axisLabel(report, c)), sets};
    }
    const sets = spec.series.map((name, i) => ({
      label: report.labels[at(name)],
      borderColor: COLOURS[i % COLOURS.length],
      backgroundColor: COLOURS[i % COLOURS.length],
      data: rows.map((row) => (row[at(name)] || 0) * scale),
    }));
    return {labels: rows.map((row) => axisLabel(report, row[at(spec.labels)])), sets};
  }

  function drawChart(report) {
    const spec = report.chart;
    const {labels, sets} = datasets(report);
    const valueAxis = {beginAtZero: true, stacked: spec.stacked, title: {display: true, text: UNITS[spec.unit]},
      ticks: {callback: (value) => number(value)}};
    const categoryAxis = {stacked: spec.stacked,
      title: {display: true, text: report.labels[report.columns.indexOf(spec.labels)]}};
    if (chart) chart.destroy();
    const canvas = $("report-chart");
    canvas.setAttribute("aria-label", $("report-title").textContent);
    chart = new Chart(canvas, {
      type: spec.kind,
      data: {labels, datasets: sets},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        scales: spec.horizontal ? {x: valueAxis, y: categoryAxis} : {x: categoryAxis, y: valueAxis},
        plugins: {legend: {position: "bottom"},
          tooltip: {callbacks: {label: (item) => item.dataset.label + ": " + number(item.parsed[spec.horizontal ? "x" : "y"])}}},
      },
    });
    document.body.dataset.chart = sets.length ? "drawn" : "empty";
  }

  function drawSummary(report) {
    const list = $("report-summary");
    list.replaceChildren();
    const names = {calls: t("Calls"), containment: t("Containment"), abandon_rate: t("Abandoned in the IVR")};
    for (const [key, value] of Object.entries(report.summary)) {
      const item = document.createElement("div");
      item.appendChild(el("dt", names[key] || key));
      item.appendChild(el("dd", value === null ? "–" : key === "calls" ? number(value) : percent(value)));
      list.appendChild(item);
    }
  }

  async function run() {
    const params = parameters();
    msg.textContent = t("Loading…");
    try {
      const report = await apiGet(base("/api") + "?" + params.toString());
      quick = "";
      $("report-from").value = report.period.from;
      $("report-to").value = report.period.to;
      $("report-title").textContent = picker.selectedOptions[0].textContent;
      $("report-period").textContent = t("%(from)s to %(to)s, %(tz)s",
        {from: report.period.from, to: report.period.to, tz: report.period.tz});
      const exportParams = new URLSearchParams(params);
      exportParams.delete("quick");
      exportParams.set("from", report.period.from);
      exportParams.set("to", report.period.to);
      for (const kind of ["csv", "xlsx"]) {
        exportParams.set("format", kind);
        $("export-" + kind).href = base("") + "/export?" + exportParams.toString();
      }
      $("report-result").hidden = false;
      drawSummary(report);
      drawTable(report);
      drawChart(report);
      msg.textContent = "";
    } catch (error) {
      msg.textContent = error.message;
    }
  }

  picker.addEventListener("change", () => { showFilters(); run(); });
  for (const button of form.querySelectorAll("[data-quick]")) {
    button.addEventListener("click", () => { quick = button.dataset.quick; run(); });
  }
  for (const id of ["report-from", "report-to"]) $(id).addEventListener("change", () => { quick = ""; });
  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  // A link may name the report and its filters: /reports?report=disposition&by=campaign&campaign=spring
  const asked = new URLSearchParams(location.search);
  if ([...picker.options].some((option) => option.value === asked.get("report"))) picker.value = asked.get("report");
  for (const field of form.querySelectorAll("[data-for] select, [data-for] input, #report-tz")) {
    if (asked.get(field.name)) field.value = asked.get(field.name);
  }
  showFilters();
  run();
})();
