// The admin console: list and add agents of the running ACD, reset passwords, read the audit trail.
"use strict";

(() => {
  const {t, dateTime, el, clear, api, apiGet} = Live;
  const $ = (id) => document.getElementById(id);

  function row(cells) {
    const tr = el("tr");
    for (const text of cells) tr.appendChild(el("td", text));
    return tr;
  }

  async function showAgents() {
    const listing = await apiGet("/api/admin/agents");
    const body = $("admin-agents").tBodies[0];
    clear(body);
    for (const agent of listing.agents) {
      const skills = Object.entries(agent.skills).map(([skill, level]) => skill + " " + level).join(", ");
      body.appendChild(row([agent.id, agent.name, agent.phone, skills, agent.queues.join(", ")]));
    }
  }

  async function showAudit() {
    const trail = await apiGet("/api/admin/audit");
    const body = $("admin-audit").tBodies[0];
    clear(body);
    for (const change of trail.changes) {
      body.appendChild(row([dateTime(change.at), change.actor, change.entity_type + " " + change.entity_key,
        change.action, change.field || "", change.old_value || "", change.new_value || ""]));
    }
  }

  function newAgent() {
    const skills = {};
    for (const input of document.querySelectorAll(".skill-level")) {
      if (input.value !== "") skills[input.dataset.skill] = Number(input.value);
    }
    const queues = [...document.querySelectorAll(".agent-queue:checked")].map((box) => box.value);
    return {id: $("agent-id").value, name: $("agent-name").value, phone: $("agent-phone").value,
            password: $("agent-password").value, skills, queues};
  }

  $("agent-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const agent = await api("/api/admin/agents", newAgent());
      $("agent-msg").textContent = t("Agent %(id)s added: they can sign in now.", {id: agent.id});
      $("agent-form").reset();
      await Promise.all([showAgents(), showAudit()]);
    } catch (error) {
      $("agent-msg").textContent = error.message;
    }
  });

  $("reset-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const account = $("reset-account").value;
    try {
      await api("/api/admin/accounts/" + encodeURIComponent(account) + "/password",
                {password: $("reset-password").value});
      $("reset-msg").textContent = t("The password of %(account)s is reset.", {account});
      $("reset-form").reset();
      await showAudit();
    } catch (error) {
      $("reset-msg").textContent = error.message;
    }
  });

  showAgents();
  showAudit();
})();
