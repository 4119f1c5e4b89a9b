// The page of `seq2seq-keras serve`: translation as you type (debounced), the n best
// translations and an attention heat map, from the server's JSON routes only.
"use strict";

const DEBOUNCE_MS = 300;
const byId = (id) => document.getElementById(id);
let models = {};
let limits = {};
let timer = null;
let current = 0; // the latest request; older answers are dropped
let controller = null;
let record = null; // the last :explain answer

function setStatus(text, isError = false) {
  const status = byId("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

async function getJSON(url, options = {}) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body.error || `${response.status} ${response.statusText}`);
  }
  return body;
}

function postJSON(url, body, signal) {
  return getJSON(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

function describeModel() {
  const model = models[byId("model").value];
  if (!model) return;
  const strategy = model.strategy.name === "beam_search"
    ? `beam search of width ${model.strategy.beam_width}`
    : model.strategy.name.replace("_", " ");
  byId("model-info").textContent =
    `${model.network}; ${model.level} level; ${strategy}.` +
    (model.summary ? ` ${model.summary.replace(/`/g, "")}` : ""); // Markdown code marks
}

async function loadModels() {
  const found = await getJSON("/v1/models");
  limits = found.limits || {};
  const select = byId("model");
  for (const model of found.models) {
    models[model.name] = model;
    const option = document.createElement("option");
    option.value = model.name;
    option.textContent = model.name + (model.name === found.default ? " (default)" : "");
    select.append(option);
  }
  select.value = found.default;
  describeModel();
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(translateNow, DEBOUNCE_MS);
}

function clearOutputs() {
  byId("translation").textContent = "";
  byId("nbest").replaceChildren();
  byId("heatmap").replaceChildren();
  byId("sentence-row").hidden = true;
  record = null;
}

async function translateNow() {
  clearTimeout(timer);
  const text = byId("source").value;
  const name = byId("model").value;
  const mine = ++current;
  if (controller) controller.abort();
  controller = new AbortController();
  if (!text.trim()) {
    clearOutputs();
    setStatus("");
    return;
  }
  setStatus("Translating…");
  const base = `/v1/models/${encodeURIComponent(name)}`;
  try {
    const predicted = await postJSON(`${base}:predict`, { instances: [text] },
      controller.signal);
    if (mine !== current) return;
    byId("translation").textContent = predicted.predictions[0];
    const maxExplain = limits.max_explain_characters || Infinity;
    if (text.length > maxExplain) {
      byId("nbest").replaceChildren();
      byId("heatmap").replaceChildren();
      setStatus(`Details (n best, attention) are shown for texts of up to ` +
        `${maxExplain.toLocaleString()} characters.`);
      return;
    }
    const explained = await postJSON(`${base}:explain`, { text }, controller.signal);
    if (mine !== current) return;
    record = explained;
    showNBest(explained);
    showSentences(explained);
    setStatus("");
  } catch (error) {
    if (error.name === "AbortError" || mine !== current) return;
    setStatus(error.message, true);
  }
}

function showNBest(found) {
  const box = byId("nbest");
  box.replaceChildren();
  for (const sentence of found.sentences) {
    if (found.sentences.length > 1) {
      const source = document.createElement("p");
      source.className = "nbest-source";
      source.textContent = sentence.source;
      box.append(source);
    }
    const list = document.createElement("ol");
    list.className = "nbest";
    list.lang = "fr";
    for (const hypothesis of sentence.n_best) {
      const item = document.createElement("li");
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = hypothesis.score.toFixed(3);
      score.setAttribute("aria-label", `score ${hypothesis.score.toFixed(3)}`);
      item.append(score, " ", hypothesis.translation);
      list.append(item);
    }
    box.append(list);
  }
}

function showSentences(found) {
  const row = byId("sentence-row");
  const select = byId("sentence");
  select.replaceChildren();
  found.sentences.forEach((sentence, k) => {
    const option = document.createElement("option");
    option.value = String(k);
    option.textContent = sentence.source;
    select.append(option);
  });
  row.hidden = found.sentences.length < 2;
  showHeatmap(0);
}

function showHeatmap(index) {
  const box = byId("heatmap");
  box.replaceChildren();
  const sentence = record && record.sentences[index];
  if (!sentence) return;
  if (!sentence.attention) {
    const note = document.createElement("p");
    note.className = "hint";
    note.textContent = "This model has no attention (an LSTM encoder-decoder that passes " +
      "only its final state): no heat map to draw.";
    box.append(note);
    return;
  }
  const { source_tokens: sources, target_tokens: targets, weights } = sentence.attention;
  const table = document.createElement("table");
  table.className = "heatmap";
  const caption = document.createElement("caption");
  caption.textContent = `Attention weights: “${sentence.source}” → “${sentence.translation}”`;
  table.append(caption);
  const head = table.createTHead().insertRow();
  const corner = document.createElement("td");
  head.append(corner);
  for (const token of sources) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = token;
    head.append(th);
  }
  const body = table.createTBody();
  targets.forEach((token, i) => {
    const tr = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = token;
    tr.append(th);
    weights[i].forEach((weight) => {
      const td = tr.insertCell();
      td.textContent = weight.toFixed(2);
      td.style.backgroundColor = `rgba(31, 95, 191, ${weight})`;
      td.style.color = weight > 0.5 ? "#fff" : "#1d2330";
    });
  });
  box.append(table);
}

function start() {
  const source = byId("source");
  source.addEventListener("input", schedule);
  source.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      translateNow();
    }
  });
  byId("form").addEventListener("submit", (event) => {
    event.preventDefault();
    translateNow();
  });
  byId("model").addEventListener("change", () => {
    describeModel();
    translateNow();
  });
  byId("sentence").addEventListener("change", (event) => {
    showHeatmap(Number(event.target.value));
  });
  loadModels().then(() => {
    if (source.value.trim()) translateNow();
  }).catch((error) => setStatus(`Could not list the models: ${error.message}`, true));
}

document.addEventListener("DOMContentLoaded", start);
