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

  // The form adds an agent, or (after "Change" on a row) changes that agent: same fields, no id or password.
  let editing = null;
  const addTitle = $("agent-form-title").textContent;
  const addLabel = $("agent-add").textContent;

  function editMode(agent) {
    editing = agent ? agent.id : null;
    $("agent-form").reset();
    $("agent-id").disabled = $("agent-password").disabled = Boolean(agent);
    $("agent-password-label").hidden = Boolean(agent);
    $("agent-edit-cancel").hidden = !agent;
    $("agent-form-title").textContent = agent ? t("Change agent %(id)s", {id: agent.id}) : addTitle;
    $("agent-add").textContent = agent ? t("Save the changes") : addLabel;
    if (!agent) return;
    $("agent-id").value = agent.id;
    $("agent-name").value = agent.name;
    $("agent-phone").value = agent.phone;
    for (const input of document.querySelectorAll(".skill-level")) input.value = agent.skills[input.dataset.skill] || "";
    for (const box of document.querySelectorAll(".agent-queue")) box.checked = agent.queues.includes(box.value);
    $("agent-name").focus();
  }

  // A skill added on this page since it loaded gets its level field too (the typed levels stay).
  function showSkillInputs(skills) {
    const box = $("agent-skills");
    const shown = [...box.querySelectorAll(".skill-level")].map((input) => input.dataset.skill);
    for (const skill of skills.filter((s) => !shown.includes(s))) {
      const input = el("input", null, "skill-level");
      Object.assign(input, {id: "skill-" + skill, type: "number", min: 1, max: 10});
      input.dataset.skill = skill;
      const field = el("label", skill + " ");
      field.appendChild(input);
      box.appendChild(field);
    }
  }

  async function showAgents() {
    const listing = await apiGet("/api/admin/agents");
    showSkillInputs(listing.skills);
    const body = $("admin-agents").tBodies[0];
    clear(body);
    for (const agent of listing.agents) {
      const skills = Object.entries(agent.skills).map(([skill, level]) => skill + " " + level).join(", ");
      const tr = row([agent.id, agent.name, agent.phone, skills, agent.queues.join(", ")]);
      tr.dataset.agentId = agent.id;
      const change = el("button", t("Change"));
      change.type = "button";
      change.addEventListener("click", () => editMode(agent));
      tr.appendChild(el("td")).appendChild(change);
      body.appendChild(tr);
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
      if (editing) {
        const agent = await api("/api/admin/agents/" + encodeURIComponent(editing), newAgent(), "PUT");
        $("agent-msg").textContent = t("Agent %(id)s changed: their next sign-in routes with it.", {id: agent.id});
      } else {
        const agent = await api("/api/admin/agents", newAgent());
        $("agent-msg").textContent = t("Agent %(id)s added: they can sign in now.", {id: agent.id});
      }
      editMode(null);
      await Promise.all([showAgents(), showAudit()]);
    } catch (error) {
      $("agent-msg").textContent = error.message;
    }
  });

  $("agent-edit-cancel").addEventListener("click", () => editMode(null));

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

  // A queue, list or user saved by admin_settings.js: the trail (and a new skill's field) show it.
  document.addEventListener("admin-changed", () => Promise.all([showAgents(), showAudit()]));
  showAgents();
  showAudit();
})();
