// A campaign's page: the editor, the status buttons, list uploads with a progress bar that follows the
// server's import, the imports with their error reports, and the campaign's changes.
"use strict";

(() => {
  const {t, label, number, dateTime, el, clear, api, apiGet, csrf} = Live;
  const data = JSON.parse(document.getElementById("campaign-data").textContent);
  const campaignId = data.id || null;
  const msg = document.getElementById("msg");
  const $ = (id) => document.getElementById(id);

  // --- the editor: settings shown as text a person edits, read back into the API's JSON ---------------

  const rangeText = (r) => r.days + " " + r.open + "-" + r.close;

  function parseRanges(text) {
    return text.split(/[\n;]/).map((part) => part.trim()).filter(Boolean).map((part) => {
      const found = part.match(/^(\S+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/);
      if (!found) throw new Error(t("Calling hours: write each range as mon-fri 08:00-21:00, not %(text)s", {text: part}));
      return {days: found[1], open: found[2], close: found[3]};
    });
  }

  function fill() {
    $("f-name").value = data.name || "";
    $("f-mode").value = data.mode;
    $("f-caller-id").value = data.caller_id || "";
    $("f-queue").value = data.queue || "";
    $("f-skills").value = (data.skills || []).join(", ");
    $("f-region").value = data.default_region;
    const hours = data.calling_hours;
    $("f-hours").value = hours.hours.map(rangeText).join("\n");
    $("f-holidays").checked = hours.on_holidays;
    $("f-overrides").value = Object.entries(hours.overrides || {})
      .map(([key, window]) => key + ": " + window.hours.map(rangeText).join("; ")).join("\n");
    for (const row of document.querySelectorAll("tr.retry-rule")) {
      const rule = data.retry[row.dataset.outcome];
      row.querySelector(".retry-on").checked = rule.retry;
      row.querySelector(".retry-delay").value = Math.round(rule.delay / 60);
    }
    $("f-attempts").value = data.max_attempts;
    $("f-attempts-day").value = data.max_attempts_per_day;
    $("f-gap").value = data.other_campaign_gap / 3600;
    $("f-dispositions").value = data.dispositions.map((d) => d.name + ": " + d.kind).join("\n");
    $("f-abandon").value = Math.round(data.abandon_target * 1000) / 10;
    $("f-formula").value = data.abandon_formula;
    $("f-false-positive").value = Math.round(data.amd_false_positive * 1000) / 10;
    $("f-machine-rule").value = data.machine_rule;
    $("f-machine-message").value = data.machine_message;
    $("f-abandon-message").value = data.abandon_message;
    $("f-preview-dial").value = data.preview_dial_seconds ?? "";
  }

  function settings() {
    const onHolidays = $("f-holidays").checked;
    const overrides = {};
    for (const line of $("f-overrides").value.split("\n").map((l) => l.trim()).filter(Boolean)) {
      const colon = line.indexOf(":");
      if (colon < 1) throw new Error(t("Overrides: write each as US-FL: mon-sun 08:00-20:00, not %(text)s", {text: line}));
      overrides[line.slice(0, colon).trim()] = {hours: parseRanges(line.slice(colon + 1)), on_holidays: onHolidays};
    }
    const retry = {};
    for (const row of document.querySelectorAll("tr.retry-rule")) {
      retry[row.dataset.outcome] = {retry: row.querySelector(".retry-on").checked,
        delay: Number(row.querySelector(".retry-delay").value || 0) * 60};
    }
    const dispositions = $("f-dispositions").value.split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
      const colon = line.lastIndexOf(":");
      return colon < 1 ? {name: line, kind: ""} : {name: line.slice(0, colon).trim(), kind: line.slice(colon + 1).trim()};
    });
    return {
      name: $("f-name").value, mode: $("f-mode").value, caller_id: $("f-caller-id").value, queue: $("f-queue").value,
      skills: $("f-skills").value.split(",").map((s) => s.trim()).filter(Boolean),
      default_region: $("f-region").value.trim().toUpperCase(),
      calling_hours: {hours: parseRanges($("f-hours").value), on_holidays: onHolidays, overrides},
      retry, max_attempts: Number($("f-attempts").value), max_attempts_per_day: Number($("f-attempts-day").value),
      other_campaign_gap: Number($("f-gap").value) * 3600, dispositions,
      abandon_target: Number($("f-abandon").value) / 100, abandon_formula: $("f-formula").value,
      amd_false_positive: Number($("f-false-positive").value) / 100, machine_rule: $("f-machine-rule").value,
      machine_message: $("f-machine-message").value.trim(), abandon_message: $("f-abandon-message").value.trim(),
      preview_dial_seconds: $("f-preview-dial").value === "" ? null : Number($("f-preview-dial").value),
    };
  }

  $("campaign-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const body = settings();
      if (campaignId === null) {
        const created = await api("/api/campaigns", body);
        location.assign("/campaigns/" + created.id);
        return;
      }
      const saved = await api("/api/campaigns/" + campaignId, body, "PUT");
      $("rules-version").textContent = String(saved.rules_version);
      $("campaign-title").textContent = saved.name;
      msg.textContent = t("Saved");
      refreshHistory();
    } catch (error) {
      msg.textContent = error.message;
    }
  });

  fill();
  if (campaignId === null) return;  // a new campaign has no status, lists or changes yet

  for (const button of document.querySelectorAll("button[data-status]")) {
    button.addEventListener("click", async () => {
      try {
        const moved = await api("/api/campaigns/" + campaignId + "/status", {status: button.dataset.status});
        $("campaign-status").textContent = label("campaign status", moved.status);
        msg.textContent = t("The campaign is %(status)s now", {status: label("campaign status", moved.status)});
        refreshHistory();
      } catch (error) {
        msg.textContent = error.message;
      }
    });
  }

  // --- list uploads -----------------------------------------------------------------------------------

  const bar = $("upload-progress");
  const state = $("upload-state");
  const report = $("upload-report");

  function reportLink(job) {
    return "/imports/" + job.id + "/report.csv";
  }

  function problems(job) {
    return job.rejected + job.duplicate_in_file + job.duplicate_in_campaign;
  }

  function summary(job) {
    if (job.status === "failed") return t("Nothing was imported: %(error)s", {error: job.error});
    return t("%(added)s added, %(rejected)s rejected, %(repeated)s repeated in the file, %(present)s already in the campaign, %(listed)s on a do-not-call list, %(linked)s linked to customers", {
      added: number(job.added), rejected: number(job.rejected), repeated: number(job.duplicate_in_file),
      present: number(job.duplicate_in_campaign), listed: number(job.on_dnc), linked: number(job.linked_customers)});
  }

  async function follow(job) {
    while (job.status === "queued" || job.status === "running") {
      bar.value = Math.round(job.progress * 100);
      state.textContent = t("Importing: %(share)s of the file, %(rows)s rows", {
        share: Math.round(job.progress * 100) + "%", rows: number(job.rows_read)});
      await new Promise((resolve) => setTimeout(resolve, 250));
      job = await apiGet("/api/imports/" + job.id);
    }
    bar.value = 100;
    state.textContent = label("import status", job.status);
    $("upload-summary").textContent = summary(job);
    if (problems(job) > 0) {
      report.href = reportLink(job);
      report.hidden = false;
    }
    refreshJobs();
  }

  function upload(form) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("POST", "/api/campaigns/" + campaignId + "/lists");
      request.setRequestHeader("X-CSRF-Token", csrf);
      request.responseType = "json";
      request.upload.onprogress = (event) => {
        if (!event.lengthComputable) return;
        bar.value = Math.round(event.loaded / event.total * 100);
        state.textContent = t("Uploading: %(share)s", {share: bar.value + "%"});
      };
      request.onload = () => {
        const body = request.response || {};
        if (request.status === 202) resolve(body);
        else reject(new Error(body.error || t("HTTP %(status)s", {status: request.status})));
      };
      request.onerror = () => reject(new Error(t("The upload failed; try again")));
      request.send(form);
    });
  }

  $("upload-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("upload-file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    form.append("encoding", $("upload-encoding").value);
    form.append("phone_column", $("upload-phone-column").value);
    form.append("name_column", $("upload-name-column").value);
    $("upload").hidden = false;
    report.hidden = true;
    $("upload-summary").textContent = "";
    $("upload-submit").disabled = true;
    try {
      await follow(await upload(form));
    } catch (error) {
      state.textContent = error.message;
    } finally {
      $("upload-submit").disabled = false;
    }
  });

  async function refreshJobs() {
    const rows = $("job-rows");
    const data = await apiGet("/api/campaigns/" + campaignId + "/lists");
    clear(rows);
    for (const job of data.jobs) {
      const tr = rows.appendChild(el("tr"));
      tr.dataset.job = String(job.id);
      tr.appendChild(el("td", job.file_name));
      tr.appendChild(el("td", job.status === "failed" ? summary(job) : label("import status", job.status)));
      for (const count of [job.added, job.rejected, job.duplicate_in_file, job.duplicate_in_campaign, job.on_dnc,
        job.linked_customers]) {
        tr.appendChild(el("td", number(count)));
      }
      const link = el("td");
      if (problems(job) > 0) {
        const a = link.appendChild(el("a", t("Download")));
        a.href = reportLink(job);
      }
      tr.appendChild(link);
    }
  }

  async function refreshHistory() {
    const rows = $("history-rows");
    const data = await apiGet("/api/campaigns/" + campaignId + "/history");
    clear(rows);
    for (const change of data.changes.slice().reverse()) {
      const tr = rows.appendChild(el("tr"));
      for (const text of [dateTime(change.at), change.actor, label("campaign change", change.action),
        change.field || "", change.old || "", change.new || ""]) {
        tr.appendChild(el("td", text));
      }
    }
  }

  refreshJobs();
  refreshHistory();
})();
