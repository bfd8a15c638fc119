// Running campaigns' tiles: on the wall from each wall.snapshot (the "wall-snapshot" event wall.js sends), and
// on a campaign's page from its API every few seconds. The same figures in both places.
"use strict";

const CampaignTiles = (() => {
  const {t, label, number, percent, el, clear, apiGet, figure, NO_FIGURE} = Live;
  const pct = (x) => (x === null || x === undefined ? NO_FIGURE : percent(x));
  const decimal = (x) => (x === null || x === undefined ? NO_FIGURE : number(Math.round(x * 10) / 10));

  // Why a predictive campaign dials no more lines than agents are free.
  const PACING_NOTES = {
    learning: () => t("One line per free agent until its model has seen enough calls."),
    at_limit: () => t("One line per free agent: the abandon target leaves no room for one more."),
  };

  function tile(c, heading) {
    const box = el("article", null, ["tile", "campaign-tile"].join(" "));
    box.dataset.campaignId = String(c.campaign_id);
    if (heading) box.appendChild(el("h2", c.name));
    box.appendChild(figure(t("Dial level"), decimal(c.dial_level)));
    if (c.pacing) box.appendChild(figure(t("Pacing"), label("pacing state", c.pacing)));
    // the colour marks the rule the campaign keeps; the other rate is shown for reference
    box.appendChild(figure(t("Abandon (US, 30 days)"), pct(c.abandon_rate_us),
                           c.abandon_formula === "us" ? c.colour : undefined));
    box.appendChild(figure(t("Abandon (Ofcom, 24 h)"), pct(c.abandon_rate_ofcom),
                           c.abandon_formula === "ofcom" ? c.colour : undefined));
    box.appendChild(figure(t("Answer rate, last hour"), pct(c.answer_rate)));
    box.appendChild(figure(t("Talk min per agent-hour"), decimal(c.talk_min_per_agent_hour)));
    box.appendChild(figure(t("Penetration"), pct(c.penetration)));
    box.appendChild(el("p", t("abandon target %(target)s", {target: pct(c.abandon_target)}), "agents"));
    if (PACING_NOTES[c.pacing]) box.appendChild(el("p", PACING_NOTES[c.pacing](), "agents"));
    return box;
  }

  function render(container, tiles, heading) {
    clear(container);
    for (const c of tiles) container.appendChild(tile(c, heading));
  }

  const wall = document.getElementById("campaign-tiles");
  if (wall) {
    document.addEventListener("wall-snapshot", (event) => {
      const tiles = event.detail.campaigns || [];
      wall.hidden = tiles.length === 0;
      render(wall.querySelector(".tiles"), tiles, true);
    });
  }
  const page = document.getElementById("campaign-live");
  if (page) {
    const refresh = async () => {
      try {
        const campaign = await apiGet("/api/campaigns/" + page.dataset.campaignId);
        page.hidden = !campaign.live;
        render(page.querySelector(".tiles"), campaign.live ? [campaign.live] : [], false);
      } catch (e) { /* the next round tries again; the page's other parts say when the server is gone */ }
    };
    refresh();
    setInterval(refresh, 5000);
  }
  return {render};
})();
