// The admin console's queues (service level, alerts, wrap-up, dispositions, escalation, hours), the lists of
// skills and pause reasons, and the users with their roles. Each change goes to the running ACD at once.
"use strict";

(() => {
  const {t, label, el, clear, api, apiGet} = Live;
  const $ = (id) => document.getElementById(id);
  let queues = {};

  const words = (text) => text.split(",").map((w) => w.trim()).filter((w) => w);
  const numberOrNull = (input) => (input.value === "" ? null : Number(input.value));

  function showQueue(name) {
    const q = queues[name];
    if (!q) return;
    $("queue-sl-percent").value = q.service_level.percent;
    $("queue-sl-seconds").value = q.service_level.seconds;
    $("queue-alert-wait").value = q.alerts.longest_wait ?? "";
    $("queue-alert-sl").value = q.alerts.service_level ?? "";
    $("queue-wrap-up").value = q.wrap_up_seconds;
    $("queue-wrap-up-limit").value = q.wrap_up_limit_seconds;
    $("queue-dispositions").value = q.dispositions.join(", ");
    $("queue-max-length").value = q.max_length ?? "";
    $("queue-escalation").value = q.escalation.length ? JSON.stringify(q.escalation) : "";
    $("queue-timezone").value = q.timezone;
    $("queue-hours").value = q.hours.map((h) => h.days + " " + h.open + " " + h.close).join("\n");
  }

  // "mon-fri 08:00 18:00" a line; a line that is not three words goes to the server as it is, to be refused there.
  function hours(text) {
    return text.split("\n").map((line) => line.trim()).filter((line) => line).map((line) => {
      const [days, open, close] = line.split(/\s+/);
      return {days: days || "", open: open || "", close: close || ""};
    });
  }

  async function load() {
    const listing = await apiGet("/api/admin/queues");
    queues = Object.fromEntries(listing.queues.map((q) => [q.name, q]));
    showQueue($("queue-name").value);
    $("skill-names").value = listing.skills.join(", ");
    $("pause-names").value = listing.pause_reasons.join(", ");
  }

  async function showAccounts() {
    const listing = await apiGet("/api/admin/accounts");
    const body = $("admin-accounts").tBodies[0];
    clear(body);
    for (const a of listing.accounts) {
      const tr = el("tr");
      tr.dataset.accountId = a.id;
      for (const text of [a.id, a.name]) tr.appendChild(el("td", text));
      tr.appendChild(a.agent_id ? el("td", label("role", a.role)) : roleCell(a));
      for (const text of [a.agent_id || "", a.phone || ""]) tr.appendChild(el("td", text));
      body.appendChild(tr);
    }
  }

  // A user's role, changed in place (an agent's login keeps the agent role: it is changed as an agent).
  function roleCell(account) {
    const cell = el("td", null, "role");
    const choice = el("select");
    choice.setAttribute("aria-label", t("Role of %(id)s", {id: account.id}));
    for (const option of $("user-role").options) {
      const copy = el("option", option.textContent);
      copy.value = option.value;
      copy.selected = option.value === account.role;
      choice.appendChild(copy);
    }
    const save = el("button", t("Save the role"));
    save.type = "button";
    save.addEventListener("click", async () => {
      const change = {name: account.name, role: choice.value};
      if (account.phone) change.phone = account.phone;
      try {
        await api("/api/admin/accounts/" + encodeURIComponent(account.id), change, "PUT");
        $("user-msg").textContent = t("The role of %(id)s is now %(role)s.", {id: account.id,
                                                                              role: label("role", choice.value)});
        await showAccounts();
        refreshAudit();
      } catch (error) {
        $("user-msg").textContent = error.message;
      }
    });
    cell.append(choice, " ", save);
    return cell;
  }

  function refreshAudit() {
    document.dispatchEvent(new CustomEvent("admin-changed"));
  }

  $("queue-name").addEventListener("change", () => showQueue($("queue-name").value));

  $("queue-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("queue-name").value;
    let escalation = [];
    try {
      escalation = $("queue-escalation").value.trim() ? JSON.parse($("queue-escalation").value) : [];
    } catch (error) {
      $("queue-msg").textContent = t("escalation: not valid JSON");
      return;
    }
    const change = {
      service_level: {percent: Number($("queue-sl-percent").value), seconds: Number($("queue-sl-seconds").value)},
      alerts: {longest_wait: numberOrNull($("queue-alert-wait")), service_level: numberOrNull($("queue-alert-sl"))},
      wrap_up_seconds: Number($("queue-wrap-up").value),
      wrap_up_limit_seconds: Number($("queue-wrap-up-limit").value),
      dispositions: words($("queue-dispositions").value),
      max_length: numberOrNull($("queue-max-length")),
      escalation,
      timezone: $("queue-timezone").value.trim(),
      hours: hours($("queue-hours").value),
    };
    try {
      queues[name] = await api("/api/admin/queues/" + encodeURIComponent(name), change, "PUT");
      showQueue(name);
      $("queue-msg").textContent = t("Queue %(queue)s saved: the ACD, the desktops and the wall use it now.",
                                     {queue: name});
      refreshAudit();
    } catch (error) {
      $("queue-msg").textContent = error.message;
    }
  });

  $("names-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("/api/admin/skills", {names: words($("skill-names").value)}, "PUT");
      await api("/api/admin/pause-reasons", {names: words($("pause-names").value)}, "PUT");
      $("names-msg").textContent = t("Skills and pause reasons saved.");
      refreshAudit();
    } catch (error) {
      $("names-msg").textContent = error.message;
    }
  });

  $("user-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const user = {id: $("user-id").value, name: $("user-name").value, role: $("user-role").value,
                  password: $("user-password").value};
    if ($("user-phone").value.trim()) user.phone = $("user-phone").value;
    try {
      await api("/api/admin/accounts", user);
      $("user-msg").textContent = t("User %(id)s added: they can sign in now.", {id: user.id});
      $("user-form").reset();
      await showAccounts();
      refreshAudit();
    } catch (error) {
      $("user-msg").textContent = error.message;
    }
  });

  load();
  showAccounts();
})();
