// The churn-intent panel (templates/_churn.html): churn mentions per bucket beside all mentions,
// and the churn mentions most people saw. Text, authors and patterns come from strangers' posts
// and the API: they reach the page through textContent only, links only when http(s).
"use strict";

(function () {
  const CHURN_COLOR = "#8c564b";

  // cell(), mentionCells() and linkCell() come from dashboard.js, which the page loads first: one
  // way to put attacker-controlled text and links on the page.

  function renderTop(tbody, mentions) {
    tbody.replaceChildren();
    if (mentions.length === 0) {
      const row = document.createElement("tr");
      cell(row, "No churn-intent mentions in this period.", "muted").colSpan = 8;
      tbody.appendChild(row);
      return;
    }
    for (const mention of mentions) {
      const row = document.createElement("tr");
      row.className = "mention churn";
      mentionCells(row, mention);
      cell(row, mention.pattern, "pattern");
      cell(row, mention.text, "text");
      linkCell(row, mention.url);
      tbody.appendChild(row);
    }
  }

  function renderChart(element, body) {
    const times = body.series.map((row) => row.bucket_start.replace("Z", ""));
    const rate = body.series.map((row) => (row.mentions ? (100 * row.churn_intent) / row.mentions : null));
    Plotly.newPlot(element, [
      {
        type: "bar", name: "churn intent", x: times, y: body.series.map((row) => row.churn_intent),
        marker: { color: CHURN_COLOR }, hovertemplate: "%{y} churn-intent mentions<extra></extra>",
      },
      {
        type: "scatter", mode: "lines", name: "% of mentions", x: times, y: rate, yaxis: "y2", connectgaps: false,
        line: { color: "#1f3b73", width: 1 }, hovertemplate: "%{y:.1f}% of mentions<extra></extra>",
      },
    ], {
      margin: { t: 10, r: 50, b: 40, l: 40 }, height: 260, showlegend: true, legend: { orientation: "h" },
      yaxis: { title: { text: "mentions" }, rangemode: "tozero" },
      yaxis2: { title: { text: "%" }, overlaying: "y", side: "right", rangemode: "tozero", showgrid: false },
    }, { displaylogo: false, responsive: true });
    element.dataset.points = String(body.series.length);
    element.dataset.total = String(body.churn_intent);
  }

  async function load() {
    const page = JSON.parse(document.getElementById("page-data").textContent);
    const params = new URLSearchParams({ bucket: page.bucket, top: "10" });
    for (const key of ["brand", "since", "until"]) if (page.filter[key]) params.set(key, page.filter[key]);
    const summary = document.getElementById("churn-summary");
    const response = await fetch("/api/v1/churn?" + params.toString(), {
      credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (!response.ok) {
      summary.textContent = "Could not load churn intent (" + response.status + ")";
      return;
    }
    const body = await response.json();
    const total = body.series.reduce((sum, row) => sum + row.mentions, 0);
    summary.textContent = body.churn_intent.toLocaleString("en") + " churn-intent mentions of " +
      total.toLocaleString("en") + (total ? " (" + ((100 * body.churn_intent) / total).toFixed(1) + "%)" : "");
    renderChart(document.getElementById("churn-chart"), body);
    renderTop(document.getElementById("churn-mentions"), body.top_mentions);
    document.getElementById("churn").dataset.loaded = "true";
  }

  document.addEventListener("DOMContentLoaded", load);
})();
