// The wall's card to dial for an agent: a supervisor places a call for a logged-in agent; refused on a do-not-call
// list or outside the calling window unless a reason is given, which the audit trail keeps.
"use strict";

(() => {
  const {t, el, clear, api} = Live;
  const $ = (id) => document.getElementById(id);

  function say(text, isError) {
    $("dial-for-msg").textContent = text;
    $("dial-for-msg").className = "msg" + (isError ? " error" : "");
  }

  document.addEventListener("wall-snapshot", (event) => {
    const select = $("dial-for-agent");
    const chosen = select.value;
    const agents = event.detail.agents.filter((a) => a.state !== "logged_out");
    const names = agents.map((a) => a.agent_id + ":" + a.name).join("|");
    if (select.dataset.names === names) return;  // the list is unchanged: leave the choice alone
    select.dataset.names = names;
    clear(select);
    for (const a of agents) select.appendChild(el("option", a.name)).value = a.agent_id;
    select.value = chosen;
    if (select.selectedIndex < 0 && agents.length) select.selectedIndex = 0;
  });

  $("dial-for-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = $("dial-for-reason").value.trim();
    const body = {number: $("dial-for-number").value, agent: $("dial-for-agent").value};
    if (reason) body.override_reason = reason;
    try {
      const placed = await api("/api/agent/dial", body);
      say(placed.overridden ? t("Dialled %(number)s past the refusal; the audit trail keeps your reason",
        {number: placed.e164}) : t("Dialled %(number)s", {number: placed.e164}), false);
    } catch (error) {
      say(error.status === 409 ? t("%(reason)s. Give a reason to dial anyway.", {reason: error.message})
        : error.message, true);
    }
  });
})();
