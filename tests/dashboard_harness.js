// Runs listener/web/static/dashboard.js against a stub DOM and a stub Plotly, and prints what it
// would have drawn: {"<element id>": {"traces": [...], "layout": {...}}} as JSON.
// Usage: node dashboard_harness.js DASHBOARD_JS PAGE_DATA_JSON_FILE
"use strict";
const fs = require("fs");
const vm = require("vm");

const [scriptPath, dataPath] = process.argv.slice(2);
const elements = {};
function element(id) {
  if (!elements[id]) {
    elements[id] = {
      id: id, dataset: {}, elements: [], textContent: id === "page-data" ? fs.readFileSync(dataPath, "utf8") : "",
      addEventListener() {}, querySelectorAll() { return []; }, on() {},
    };
  }
  return elements[id];
}
const plots = {};
const listeners = [];
const sandbox = {
  document: { getElementById: element, addEventListener: (_name, handler) => listeners.push(handler), body: { dataset: {} } },
  Plotly: { newPlot: (target, traces, layout) => { plots[typeof target === "string" ? target : target.id] = { traces, layout }; } },
  URLSearchParams, Date, Math, JSON, Object, Array, String,
};
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(scriptPath, "utf8"), sandbox);
for (const handler of listeners) handler();
process.stdout.write(JSON.stringify(plots));
