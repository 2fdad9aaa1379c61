// Polls the daemon's JSON API and fills the page; no framework, no build step.
"use strict";

const $ = (id) => document.getElementById(id);

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function fixed(v, digits) {
  return typeof v === "number" && isFinite(v) ? v.toFixed(digits) : "–";
}

async function getJson(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

function fillRows(tbody, rows, toCells) {
  tbody.replaceChildren(...rows.map((row) => {
    const tr = document.createElement("tr");
    tr.append(...toCells(row));
    return tr;
  }));
}

async function refresh() {
  try {
    const s = await getJson("/api/v1/status");
    $("received").textContent = s.exposures.received;
    $("processed").textContent = s.exposures.processed;
    $("rejected").textContent = s.exposures.rejected;
    $("queue").textContent = s.queue_depth;
    $("c-alert").textContent = s.candidates.alert;
    $("c-review").textContent = s.candidates.review;
    $("c-rejected").textContent = s.candidates.rejected;
    $("health").textContent = s.ready ? "ready · v" + s.version : "not ready: " + (s.not_ready_reason || "?");
    $("health").className = "pill " + (s.ready ? "ok" : "bad");

    const review = await getJson("/api/v1/candidates?route=review&limit=50");
    fillRows($("review").tBodies[0], review.candidates, (c) => [
      cell(c.candidate_id), cell(c.field + " / " + c.band),
      cell(fixed(c.ra, 5) + ", " + fixed(c.dec, 5), "num"), cell(fixed(c.mag, 2), "num"),
      cell(fixed(c.snr, 1), "num"), cell(fixed(c.real_bogus, 2), "num"), cell(c.route_reason || ""),
    ]);

    const ex = await getJson("/api/v1/exposures?limit=20");
    fillRows($("exposures").tBodies[0], ex.exposures, (e) => [
      cell(e.exposure_id), cell(e.kind), cell(e.state), cell(e.method || "–"),
      cell(String(e.n_candidates), "num"), cell(fixed(e.noise_ratio, 3), "num"), cell(e.error || e.reject_reason || ""),
    ]);
  } catch (err) {
    $("health").textContent = "cannot reach blinkd (" + err.message + ")";
    $("health").className = "pill bad";
  }
}

refresh();
setInterval(refresh, 5000);
