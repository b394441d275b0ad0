// The overview's charts and drill-down. Mention text and author names come from strangers: they
// only ever reach the page through textContent (never innerHTML), and links only when http(s).
"use strict";

const COLORS = { negative: "#d62728", neutral: "#9e9e9e", positive: "#2ca02c", net: "#1f3b73", alert: "#ff7f0e", model: "#616161" };
const LABELS = ["negative", "neutral", "positive"];

function pageData() {
  return JSON.parse(document.getElementById("page-data").textContent);
}

function apiQuery(filter, overrides) {
  const params = new URLSearchParams();
  const merged = Object.assign({}, filter, overrides);
  for (const [key, value] of Object.entries(merged)) {
    if (value === null || value === undefined || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
  }
  return params.toString();
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function safeLink(url) {
  if (typeof url !== "string") return null;
  const lower = url.trim().toLowerCase();
  return lower.startsWith("https://") || lower.startsWith("http://") ? url.trim() : null;
}

// A cell with an "open" link to `url`, or empty when it is not http(s): mention links are attacker-controlled.
function linkCell(row, url) {
  const td = cell(row, "");
  const href = safeLink(url);
  if (href) {
    const link = document.createElement("a");
    link.href = href;
    link.textContent = "open";
    link.rel = "noopener noreferrer nofollow";
    link.target = "_blank";
    td.appendChild(link);
  }
  return td;
}

// The cells every table of mentions starts with: when, who, their reach, where, in which language.
function mentionCells(row, mention) {
  cell(row, mention.created_at.replace("T", " ").replace("Z", "").slice(0, 16));
  cell(row, mention.author ? "@" + mention.author : "", "author");
  cell(row, mention.author_reach === null ? "" : mention.author_reach.toLocaleString("en"));
  cell(row, mention.source);
  cell(row, mention.language);
}

function renderMentions(tbody, mentions) {
  for (const mention of mentions) {
    const row = document.createElement("tr");
    row.className = "mention " + (mention.sentiment || "unscored");
    mentionCells(row, mention);
    cell(row, mention.sentiment, "sentiment");
    cell(row, mention.score === null ? "" : mention.score.toFixed(2));
    cell(row, mention.text, "text");
    linkCell(row, mention.url);
    tbody.appendChild(row);
  }
}

function drillDown(data, overrides, title, stories = "", volume = "") {
  const section = document.getElementById("drilldown");
  const storiesLine = document.getElementById("drilldown-stories");
  storiesLine.textContent = stories;  // words of mentions: text only
  storiesLine.hidden = !stories;
  const volumeLine = document.getElementById("drilldown-volume");
  volumeLine.textContent = volume;
  volumeLine.hidden = !volume;
  const tbody = document.getElementById("drilldown-rows");
  const more = document.getElementById("drilldown-more");
  const query = apiQuery(data.filter, overrides);
  section.hidden = false;
  document.getElementById("drilldown-title").textContent = title;
  document.getElementById("drilldown-csv").href = "/api/v1/mentions.csv?" + query;
  document.getElementById("drilldown-xlsx").href = "/api/v1/mentions.xlsx?" + query;
  tbody.replaceChildren();
  let cursor = null;
  async function load() {
    more.hidden = true;
    const url = "/api/v1/mentions?" + query + "&limit=50" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) {
      const error = document.createElement("tr");
      cell(error, "Could not load mentions (" + response.status + ")", "error");
      tbody.appendChild(error);
      return;
    }
    const page = await response.json();
    renderMentions(tbody, page.mentions);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    section.dataset.loaded = String(tbody.children.length);
  }
  more.onclick = load;
  load().then(() => section.scrollIntoView({ behavior: "smooth", block: "start" }));
}

// plotly.js has no time zones: give it UTC wall-clock times without the "Z".
const plotTime = (iso) => iso.replace("Z", "");
const midpoint = (startIso, endIso) => plotTime(new Date((Date.parse(startIso) + Date.parse(endIso)) / 2).toISOString());
// Each bar spans its whole bucket (10:00 covers 10:00-11:00), so an alert window lines up with it.
const PERIODS = { hour: 3600000, day: 86400000, week: 604800000, month: "M1" };
function periodOf(bucket) {
  return { xperiod: PERIODS[bucket], xperiod0: "2000-01-03", xperiodalignment: "middle" };  // 2000-01-03: a Monday
}

// What a bar's hover says about its bucket's net sentiment, and why the line has a gap there.
function netText(row, minimum) {
  if (row.net_sentiment === null) return "n/a (" + row.mentions + " mentions)";
  const value = (row.net_sentiment > 0 ? "+" : "") + row.net_sentiment.toFixed(0);
  if (row.net_sentiment_charted === null) return value + " from " + row.mentions + " mentions: too few for the line (under " + minimum + ")";
  return value + " (" + row.mentions + " mentions)";
}

function volumeChart(data) {
  const x = data.series.map((row) => plotTime(row.bucket_start));
  // Explicit widths: plotly guesses a bar's width from its neighbours, and a lone bar (a one-day
  // range by day) has none, so it was drawn 1 px wide.
  const widths = data.series.map((row) => 0.8 * (Date.parse(row.bucket_end) - Date.parse(row.bucket_start)));
  const hover = data.series.map((row) => [netText(row, data.min_net_mentions), row.mentions]);
  const traces = LABELS.map((label) => ({
    type: "bar", name: label, x: x, y: data.series.map((row) => row[label]), width: widths, customdata: hover,
    marker: { color: COLORS[label] }, meta: label, ...periodOf(data.bucket),
    hovertemplate: "%{y} " + label + " of %{customdata[1]}<br>net %{customdata[0]}<extra>%{x}</extra>",
  }));
  // The net sentiment traces only show: "skip" keeps them out of hover and click picking, so a
  // click near the line still lands on the bar under it. Their values are in the bars' hover.
  traces.push({
    type: "scatter", mode: "lines", name: "net sentiment", yaxis: "y2", x: x,
    y: data.series.map((row) => row.net_sentiment_charted), connectgaps: false, hoverinfo: "skip",
    line: { color: COLORS.net, width: 2 }, meta: "net", ...periodOf(data.bucket),
  });
  traces.push({
    type: "scatter", mode: "markers", name: "net sentiment (under " + data.min_net_mentions + " mentions)", yaxis: "y2", x: x,
    y: data.series.map((row) => (row.net_sentiment_charted === null ? row.net_sentiment : null)), hoverinfo: "skip",
    marker: { symbol: "circle-open", size: 6, color: COLORS.net, opacity: 0.5 }, meta: "net-few", ...periodOf(data.bucket),
  });
  const maxTotal = Math.max(1, ...data.series.map((row) => row.mentions));
  // Only a window that opened or escalated an incident is a spike; the page leaves repeats out.
  if (data.spikes.length) {
    traces.push({
      type: "scatter", mode: "markers", name: "alerts", x: data.spikes.map((alert) => midpoint(alert.window_start, alert.window_end)),
      y: data.spikes.map(() => maxTotal * 1.08), meta: "alert",
      marker: { symbol: "triangle-down", size: 14, color: COLORS.alert },
      text: data.spikes.map((alert) => (alert.kind === "escalation" ? "escalated to " : "") + alert.severity + ": "
        + alert.observed + " negative vs " + alert.expected.toFixed(1) + " expected"),
      hovertemplate: "%{text}<extra>alert</extra>",
    });
  }
  const shapes = data.spikes.map((alert) => ({
    type: "rect", xref: "x", yref: "paper", x0: plotTime(alert.window_start), x1: plotTime(alert.window_end), y0: 0, y1: 1,
    fillcolor: COLORS.alert, opacity: 0.25, line: { width: 0 },
  }));
  // A resolution is where an incident ended, not a spike: a dashed line, no marker and no y value.
  // The page only sends those inside the charted buckets, so they never widen the time axis.
  for (const resolution of data.resolutions) {
    shapes.push({
      type: "line", xref: "x", yref: "paper", x0: plotTime(resolution.window_start), x1: plotTime(resolution.window_start),
      y0: 0, y1: 1, line: { color: COLORS.positive, width: 2, dash: "dash" },
    });
  }
  // Where the sentiment model changed: a step there is the model's, not the brand's.
  const annotations = [];
  for (const change of data.model_changes) {
    shapes.push({
      type: "line", xref: "x", yref: "paper", x0: plotTime(change.since), x1: plotTime(change.since),
      y0: 0, y1: 1, line: { color: COLORS.model, width: 1, dash: "dot" },
    });
    annotations.push({
      xref: "x", yref: "paper", x: plotTime(change.since), y: 1, yanchor: "bottom", showarrow: false,
      text: "model: " + change.model, font: { size: 10, color: COLORS.model },
    });
  }
  const layout = {
    barmode: "stack", margin: { t: 10, r: 60, b: 40, l: 50 }, height: 360, shapes: shapes, annotations: annotations,
    legend: { orientation: "h", y: -0.15 }, hovermode: "closest",
    xaxis: { type: "date" },
    yaxis: { title: { text: "mentions" }, rangemode: "tozero" },
    yaxis2: {
      title: { text: "net sentiment" }, overlaying: "y", side: "right", range: [-105, 105], zeroline: false,
      tickmode: "array", tickvals: [-100, -50, 0, 50, 100], showgrid: false,
    },
  };
  const element = document.getElementById("volume-chart");
  Plotly.newPlot(element, traces, layout, { displaylogo: false, responsive: true });
  element.on("plotly_click", (event) => {
    const point = event.points[0];
    if (!point) return;
    const kind = point.data.meta;
    if (kind === "net" || kind === "net-few") return;
    if (kind === "alert") {
      const alert = data.spikes[point.pointIndex];
      drillDown(data, { since: alert.window_start, until: alert.window_end, sentiment: ["negative"] },
        "Negative mentions of the alert window " + alert.window_start, alert.stories, alert.volume);
      return;
    }
    const bucket = data.series[point.pointIndex];
    const overrides = { since: bucket.bucket_start, until: bucket.bucket_end };
    if (LABELS.includes(kind)) overrides.sentiment = [kind];
    drillDown(data, overrides, (LABELS.includes(kind) ? kind + " mentions" : "Mentions") + " from " + bucket.bucket_start);
  });
  element.dataset.points = String(data.series.length);
  element.dataset.total = String(data.series.reduce((sum, row) => sum + row.mentions, 0));
}

// A slice's label, or none for an empty slice: several "0%" labels on one spot overlap.
function onlyFilled(values, template) {
  return values.map((value) => (value > 0 ? template : ""));
}

function splitChart(data) {
  const totals = LABELS.map((label) => data.series.reduce((sum, row) => sum + row[label], 0));
  Plotly.newPlot("split-chart", [{
    type: "pie", hole: 0.5, labels: LABELS, values: totals, sort: false,
    marker: { colors: LABELS.map((label) => COLORS[label]) }, texttemplate: onlyFilled(totals, "%{percent}"),
  }], { margin: { t: 10, r: 10, b: 10, l: 10 }, height: 260, showlegend: true }, { displaylogo: false, responsive: true });
}

function shareOfVoiceChart(data) {
  const brands = Object.keys(data.share_of_voice);
  Plotly.newPlot("sov-chart", [{
    type: "pie", labels: brands, values: brands.map((brand) => data.share_of_voice[brand]), sort: false,
    pull: brands.map((brand) => (brand === data.brand ? 0.08 : 0)),
    texttemplate: onlyFilled(brands.map((brand) => data.share_of_voice[brand]), "%{label}<br>%{percent}"),
  }], { margin: { t: 10, r: 10, b: 10, l: 10 }, height: 260, showlegend: false }, { displaylogo: false, responsive: true });
}

function tidyFilterForm() {
  // Blank fields mean "any": leave them out of the URL instead of sending empty values.
  const form = document.getElementById("filters");
  form.addEventListener("submit", () => {
    for (const field of form.elements) if (field.name && field.value === "") field.disabled = true;
  });
  for (const select of form.querySelectorAll("select")) select.addEventListener("change", () => form.requestSubmit());
}

document.addEventListener("DOMContentLoaded", () => {
  const data = pageData();
  tidyFilterForm();
  volumeChart(data);
  splitChart(data);
  shareOfVoiceChart(data);
  document.body.dataset.ready = "true";
});
