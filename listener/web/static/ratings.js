// The ratings panel (templates/_ratings.html): review stars for the page's filters, from
// GET /api/v1/ratings. Shown only when the filtered mentions include rated ones. Numbers only
// reach the page, and through textContent.
"use strict";

(function () {
  const STAR_COLORS = ["#d62728", "#ff7f0e", "#bcbd22", "#98c379", "#2ca02c"];  // 1 to 5 stars

  function query(filter, bucket) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) {
      for (const item of Array.isArray(value) ? value : [value]) if (item !== null && item !== "") params.append(key, item);
    }
    params.set("bucket", bucket);
    return params.toString();
  }

  function draw(ratings) {
    const stars = ["1", "2", "3", "4", "5"];
    const counts = stars.map((star) => ratings.distribution[star] || 0);
    document.getElementById("ratings-summary").textContent =
      ratings.average.toFixed(2) + " ★ average from " + ratings.reviews.toLocaleString("en") + " reviews";
    Plotly.newPlot("ratings-distribution", [{
      type: "bar", orientation: "h", y: stars.map((star) => star + " ★"), x: counts,
      marker: { color: STAR_COLORS }, hovertemplate: "%{y}: %{x} reviews<extra></extra>",
    }], { margin: { t: 10, r: 10, b: 30, l: 40 }, height: 240, xaxis: { rangemode: "tozero" } },
    { displaylogo: false, responsive: true });
    const trend = ratings.trend;
    Plotly.newPlot("ratings-trend", [{
      type: "scatter", mode: "lines+markers", connectgaps: true, name: "average stars",
      x: trend.map((point) => point.bucket_start.replace("Z", "")), y: trend.map((point) => point.average),
      customdata: trend.map((point) => point.reviews), hovertemplate: "%{y:.2f} ★ from %{customdata} reviews<extra></extra>",
      line: { color: "#1f3b73" },
    }], { margin: { t: 10, r: 10, b: 40, l: 40 }, height: 240, xaxis: { type: "date" }, yaxis: { range: [0.8, 5.2], dtick: 1 } },
    { displaylogo: false, responsive: true });
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const panel = document.getElementById("ratings");
    const data = JSON.parse(document.getElementById("page-data").textContent);
    // Reviews come a few a day: an hourly average is one review's stars, so hours become days.
    const bucket = data.bucket === "hour" ? "day" : data.bucket;
    document.getElementById("ratings-bucket").textContent = bucket;
    const response = await fetch("/api/v1/ratings?" + query(data.filter, bucket),
      { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const ratings = await response.json();
    panel.dataset.reviews = String(ratings.reviews);
    if (ratings.reviews === 0) return;
    panel.hidden = false;
    draw(ratings);
  });
})();
