// The agent's outbound work on the desktop: a campaign call's lead and wrap-up with the campaign's dispositions
// (a call-back asks when and for whom), a Call button by each of the customer's phones, and the preview card of
// preview campaigns (Dial, Skip with a reason, and the dial by itself when the campaign counts down).
"use strict";

(() => {
  const {t, el, clear, api, apiGet, dateTime} = Live;
  const $ = (id) => document.getElementById(id);
  const PREVIEW_POLL_SECONDS = 5;
  const campaignCalls = new Map();  // call_id -> the campaign call's lead and dispositions
  let popOnScreen = null;           // the pop message shown
  let preview = null;               // the lead held for this agent
  let countdown = null;             // {lead_id, until (ms)} of the preview's dial by itself

  function say(text, isError) {
    $("msg").textContent = text;
    $("msg").className = "msg" + (isError ? " error" : "");
  }

  function fillPairs(body, pairs) {
    clear(body);
    for (const [key, value] of pairs) {
      const row = el("tr");
      row.appendChild(el("th", key));
      row.appendChild(el("td", value));
      body.appendChild(row);
    }
  }

  function button(text, onClick) {
    const b = el("button", text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  // --- click-to-dial ------------------------------------------------------------------------------------

  async function dial(number, customerId) {
    try {
      const placed = await api("/api/agent/dial", customerId ? {number, customer_id: customerId} : {number});
      say(t("Calling %(number)s: your phone rings first", {number: placed.e164}), false);
    } catch (error) {
      say(error.message, true);  // the server's reason: a do-not-call list or the calling window
    }
  }

  // A Call button by each of a customer's phones in ``box``: on the pop and on the card opened outside a call.
  function callButtons(box, phones, customerId) {
    clear(box);
    if (!phones.length) box.textContent = "—";
    for (const phone of phones) {
      const item = el("span", phone + " ", "phone");
      item.appendChild(button(t("Call"), () => dial(phone, customerId)));
      box.appendChild(item);
    }
  }
  window.ClickToDial = {callButtons};

  function showPhones(pop) {
    const customer = pop.customer;
    callButtons($("pop-phones"), customer ? customer.phones : [], customer && customer.customer_id);
  }

  // --- a campaign's call --------------------------------------------------------------------------------

  const isCampaignCall = (pop) => pop.ivr_data.some(([key]) => key === "lead_id");

  function showCampaign(data) {
    $("campaign-call-name").textContent = data.campaign_name;
    const lead = data.lead;
    fillPairs($("campaign-call-lead"), [[t("Lead"), lead.name || "—"], [t("Number"), lead.number],
      ...lead.fields, [t("Attempts"), String(lead.attempts)]]);
    const select = $("campaign-disposition");
    const chosen = select.value;
    clear(select);
    select.appendChild(el("option", t("choose…"))).value = "";
    for (const d of data.dispositions) {
      const option = el("option", d.name);
      option.value = d.name;
      option.dataset.kind = d.kind;
      select.appendChild(option);
    }
    select.value = chosen;
    if (select.selectedIndex < 0) select.value = "";
    showCallback();
  }

  function showCallback() {
    const option = $("campaign-disposition").selectedOptions[0];
    const callback = Boolean(option && option.dataset.kind === "callback");
    $("campaign-callback").hidden = !callback;
    $("callback-at").required = callback;
  }

  async function showCampaignCall(pop) {
    const section = $("campaign-call");
    const shown = isCampaignCall(pop) && !pop.consultation;
    section.hidden = !shown;
    $("campaign-wrapup").hidden = !(pop.status === "connected" || pop.status === "ended");
    if (!shown) return;
    let data = campaignCalls.get(pop.call_id);
    if (!data) {
      try {
        data = await apiGet("/api/calls/" + encodeURIComponent(pop.call_id) + "/campaign");
      } catch (error) {
        say(error.message, true);
        return;
      }
      campaignCalls.set(pop.call_id, data);
      $("campaign-wrapup").reset();
    }
    if (popOnScreen && popOnScreen.call_id === pop.call_id) showCampaign(data);
  }

  async function saveCampaignWrapUp(event) {
    event.preventDefault();
    if (!popOnScreen) return;
    const select = $("campaign-disposition");
    if (!select.value) { say(t("Choose a disposition first"), true); return; }
    const body = {disposition: select.value, notes: $("campaign-notes").value};
    if (select.selectedOptions[0].dataset.kind === "callback") {
      const when = $("callback-at").value;
      if (!when) { say(t("Choose when to call back"), true); return; }
      body.callback_at = new Date(when).getTime() / 1000;  // the browser's local time
      body.callback_to = document.querySelector("input[name=callback-to]:checked").value;
    }
    try {
      await api("/api/calls/" + encodeURIComponent(popOnScreen.call_id) + "/campaign-disposition", body);
      say(body.callback_at ? t("Wrap-up saved; call-back on %(when)s", {when: dateTime(body.callback_at)})
        : t("Wrap-up saved"), false);
    } catch (error) {
      say(t("The wrap-up was not saved: %(reason)s", {reason: error.message}), true);
    }
  }

  document.addEventListener("pop-shown", (event) => {
    popOnScreen = event.detail;
    showPhones(event.detail);
    showCampaignCall(event.detail);
    if (talking()) $("preview").hidden = true;  // a call ringing or talking comes first
  });
  document.addEventListener("pop-hidden", (event) => {
    campaignCalls.delete(event.detail);
    if (popOnScreen && popOnScreen.call_id === event.detail) popOnScreen = null;
    $("campaign-call").hidden = true;
  });
  $("campaign-disposition").addEventListener("change", showCallback);
  $("campaign-wrapup").addEventListener("submit", saveCampaignWrapUp);

  // --- the preview card ---------------------------------------------------------------------------------

  // A call rings or talks on screen: no preview meanwhile (a call ended and not wrapped up does not stop one).
  const talking = () => Boolean(popOnScreen) && ["offered", "connected"].includes(popOnScreen.status);

  function showPreview(data) {
    const lead = data.lead;
    preview = lead;
    $("preview").hidden = !lead || talking();
    if (!lead) { countdown = null; return; }
    $("preview-campaign").textContent = lead.campaign_name;
    $("preview-name").textContent = lead.name || t("Unknown caller");
    $("preview-number").textContent = lead.number;
    fillPairs($("preview-fields"), [...lead.fields, [t("Attempts"), String(lead.attempts)]]);
    const c = data.customer;
    $("preview-customer").textContent = c ? [c.code, c.name, c.company, c.notes].filter(Boolean).join(" · ") : "";
    if (lead.auto_dial_seconds && (!countdown || countdown.lead_id !== lead.lead_id)) {
      countdown = {lead_id: lead.lead_id, until: Date.now() + lead.auto_dial_seconds * 1000};
    }
    if (!lead.auto_dial_seconds) countdown = null;
    tickCountdown();
  }

  function tickCountdown() {
    if (!countdown || !preview || countdown.lead_id !== preview.lead_id) {
      $("preview-countdown").textContent = "";
      return;
    }
    const left = Math.max(0, Math.ceil((countdown.until - Date.now()) / 1000));
    $("preview-countdown").textContent = t("Dialled by itself in %(seconds)s s", {seconds: left});
    if (left === 0) {
      countdown = null;
      dialPreview();
    }
  }

  async function loadPreview() {
    const state = $("state").dataset.state;
    if (state !== "ready" || talking()) return;
    try {
      showPreview(await apiGet("/api/agent/preview"));
    } catch (error) {
      say(error.message, true);
    }
  }

  async function dialPreview() {
    if (!preview) return;
    const lead = preview;
    try {
      const placed = await api("/api/agent/preview/" + lead.lead_id + "/dial", {});
      say(t("Calling %(number)s: your phone rings first", {number: placed.e164}), false);
      preview = null;
      countdown = null;
      $("preview").hidden = true;
    } catch (error) {
      say(error.message, true);
      loadPreview();
    }
  }

  async function skipPreview() {
    if (!preview) return;
    const reason = $("preview-skip-reason").value.trim();
    if (!reason) { say(t("Say why you skip this lead"), true); return; }
    try {
      await api("/api/agent/preview/" + preview.lead_id + "/skip", {reason});
      $("preview-skip-reason").value = "";
      say(t("Lead skipped"), false);
      preview = null;
      countdown = null;
      loadPreview();
    } catch (error) {
      say(error.message, true);
    }
  }

  $("preview-dial").addEventListener("click", dialPreview);
  $("preview-skip").addEventListener("click", skipPreview);
  setInterval(tickCountdown, 1000);
  setInterval(loadPreview, PREVIEW_POLL_SECONDS * 1000);
  // Asked for at once when the agent becomes ready, and hidden when it no longer is.
  new MutationObserver(() => {
    if ($("state").dataset.state === "ready") loadPreview();
    else $("preview").hidden = true;
  }).observe($("state"), {attributes: true, attributeFilter: ["data-state"]});
  loadPreview();
})();
