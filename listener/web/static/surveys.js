// The overview's survey panel: survey NPS (or CSAT/CES when the brand only has those) and social net
// sentiment on one timeline, with Pearson's r from /api/v1/surveys. The panel stays hidden while the
// brand has no survey answers in the period. Text reaches the page through textContent only.
"use strict";

(function () {
  const SURVEY_COLOR = "#9467bd";
  const NET_COLOR = "#1f3b73";
  const NAMES = { nps: "NPS", csat: "CSAT", ces: "CES" };
  const PERIODS = { day: 86400000, week: 604800000, month: "M1" };

  // Surveys are answered a few a day: an hourly NPS from one answer says nothing, so hours become days.
  const surveyBucket = (bucket) => (bucket === "hour" ? "day" : bucket);
  const plotTime = (iso) => iso.replace("Z", "");
  const signed = (value, digits) => (value > 0 ? "+" : "") + value.toFixed(digits);

  function figure(kind, value) {
    if (value === null) return "n/a";
    if (kind === "ces") return value.toFixed(2);
    return kind === "csat" ? value.toFixed(0) + "%" : signed(value, 0);
  }

  async function fetchSurveys(data, kind) {
    const params = new URLSearchParams();
    if (data.brand) params.set("brand", data.brand);
    const series = data.series;
    const since = data.filter.since || (series.length ? series[0].bucket_start : null);
    const until = data.filter.until || (series.length ? series[series.length - 1].bucket_end : null);
    if (since) params.set("since", since);
    if (until) params.set("until", until);
    params.set("bucket", surveyBucket(data.bucket));
    params.set("kind", kind);
    const response = await fetch("/api/v1/surveys?" + params.toString(), {
      credentials: "same-origin", headers: { Accept: "application/json" },
    });
    return response.ok ? response.json() : null;
  }

  function draw(body, kind) {
    const x = body.buckets.map((row) => plotTime(row.bucket_start));
    const period = { xperiod: PERIODS[body.bucket], xperiod0: "2000-01-03", xperiodalignment: "middle" };
    const onSecondAxis = kind === "ces";  // 1-7, not on the -100..100 scale of the others
    const traces = [
      {
        type: "scatter", mode: "lines+markers", name: "survey " + NAMES[kind], x: x, connectgaps: true,
        y: body.buckets.map((row) => row[kind]), yaxis: onSecondAxis ? "y2" : "y",
        customdata: body.buckets.map((row) => row[kind + "_responses"]),
        hovertemplate: NAMES[kind] + " %{y} from %{customdata} answers<extra>%{x}</extra>",
        line: { color: SURVEY_COLOR, width: 2 }, marker: { size: 8 }, ...period,
      },
      {
        type: "scatter", mode: "lines+markers", name: "social net sentiment", x: x, connectgaps: true,
        y: body.buckets.map((row) => row.net_sentiment),
        customdata: body.buckets.map((row) => row.mentions),
        hovertemplate: "net sentiment %{y} from %{customdata} mentions<extra>%{x}</extra>",
        line: { color: NET_COLOR, width: 2, dash: "dot" }, ...period,
      },
    ];
    const layout = {
      margin: { t: 10, r: 60, b: 40, l: 50 }, height: 300, legend: { orientation: "h", y: -0.2 }, hovermode: "closest",
      xaxis: { type: "date" },
      yaxis: { title: { text: onSecondAxis ? "net sentiment" : "points" }, range: [-105, 105], zeroline: true },
    };
    if (onSecondAxis) layout.yaxis2 = { title: { text: "CES (1-7)" }, overlaying: "y", side: "right", range: [1, 7], showgrid: false };
    Plotly.newPlot("surveys-chart", traces, layout, { displaylogo: false, responsive: true });
  }

  function describe(body, kind) {
    const totals = body.totals;
    const parts = [];
    for (const name of ["nps", "csat", "ces"]) {
      if (totals[name + "_responses"]) parts.push(NAMES[name] + " " + figure(name, totals[name]) + " (" + totals[name + "_responses"] + " answers)");
    }
    document.getElementById("surveys-totals").textContent = parts.join(" · ");
    const correlation = body.correlation;
    document.getElementById("surveys-correlation").textContent = correlation.value === null
      ? " · correlation with net sentiment: n/a (" + correlation.reason + ")"
      : " · correlation with net sentiment: r = " + correlation.value.toFixed(2) + " over " + correlation.paired_buckets + " " + body.bucket + "s";
    document.getElementById("surveys-subtitle").textContent = "per " + body.bucket + " (UTC)";
    document.querySelector("#surveys-panel h2").firstChild.textContent = "Survey " + NAMES[kind] + " and social net sentiment ";
  }

  async function surveyPanel() {
    const data = JSON.parse(document.getElementById("page-data").textContent);
    const panel = document.getElementById("surveys-panel");
    let kind = "nps";
    let body = await fetchSurveys(data, kind);
    if (!body) return;
    if (!body.totals.nps_responses) {
      kind = ["csat", "ces"].find((name) => body.totals[name + "_responses"] > 0);
      if (!kind) {
        panel.dataset.ready = "empty";
        return;
      }
      body = await fetchSurveys(data, kind);
      if (!body) return;
    }
    panel.hidden = false;
    describe(body, kind);
    draw(body, kind);
    panel.dataset.correlation = body.correlation.value === null ? "" : String(body.correlation.value);
    panel.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", () => {
    surveyPanel().catch(() => {});  // a failed request leaves the panel hidden; the rest of the page is unaffected
  });
})();
