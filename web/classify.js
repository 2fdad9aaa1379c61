// The volunteers' page: sign up (or sign in with a token), classify candidates
// one at a time, see feedback on practice candidates, and "My page".
// Plain JS, no build step, no inline handlers (the daemon's Content-Security-
// Policy is default-src 'self'). Talks only to blinkd's /api/v1 (the contract
// is in daemon/volunteer_api.h); the sign-in token lives in localStorage.
// Skipping sends GET /api/v1/next?exclude=<ids skipped this visit>; a server
// that refuses the parameter (400) is asked again without it.
"use strict";

const TOKEN_KEY = "blink.volunteer.token";
const NAME_KEY = "blink.volunteer.name";
const SKIPPED_KEY = "blink.volunteer.skipped";  // sessionStorage: ids skipped this visit
const MAX_SKIPPED = 100;
const BLINK_PERIOD_MS = 500;
const EMPTY_RECHECK_MS = 60000;  // a quiet look for new candidates while nothing is waiting
const MAX_HISTORY_ROWS = 300;
const MAX_COMMENT_BYTES = 1000;  // the server's limit is in UTF-8 bytes (textarea maxlength counts characters)

const $ = (id) => document.getElementById(id);

const state = {
  token: null,
  name: null,
  view: null,
  subject: null,           // the candidate on screen, as GET /api/v1/next gave it
  busy: false,             // a request for the current subject is in flight
  feedbackShown: false,    // waiting for "next" after practice feedback
  showingReference: false, // the blink panel shows the reference
  autoBlinkTimer: null,
  emptyTimer: null,
  loading: null,           // the GET /api/v1/next in flight, if any
  excludeSupported: true,  // cleared if the server refuses ?exclude= on /next
};

// ---- storage (private browsing may refuse it: the page still works for the visit) ----

function load(storage, key) {
  try { return storage.getItem(key); } catch (e) { return null; }
}
function save(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key); else storage.setItem(key, value);
  } catch (e) { /* kept in memory only */ }
}

function setAccount(token, name) {
  state.token = token;
  state.name = name;
  save(localStorage, TOKEN_KEY, token);
  save(localStorage, NAME_KEY, name);
}

function skippedIds() {
  try { return JSON.parse(load(sessionStorage, SKIPPED_KEY) || "[]"); } catch (e) { return []; }
}
function rememberSkipped(id) {
  const ids = skippedIds().filter((x) => x !== id);
  ids.push(id);
  save(sessionStorage, SKIPPED_KEY, JSON.stringify(ids.slice(-MAX_SKIPPED)));
}
function forgetSkipped(id) {
  save(sessionStorage, SKIPPED_KEY, JSON.stringify(skippedIds().filter((x) => x !== id)));
}

// ---- the API ----

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.token) headers.Authorization = "Bearer " + state.token;
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, "cannot reach Blink (" + e.message + ")");
  }
  let data = null;
  try { data = await response.json(); } catch (e) { /* not JSON */ }
  if (!response.ok) {
    throw new ApiError(response.status, (data && data.error) || "HTTP " + response.status);
  }
  return data;
}

// ---- small helpers ----

function fixed(v, digits) {
  return typeof v === "number" && isFinite(v) ? v.toFixed(digits) : "–";
}

function when(unix) {
  return typeof unix === "number" ? new Date(unix * 1000).toLocaleString() : "–";
}

function mjdToUtc(mjd) {
  if (typeof mjd !== "number" || !isFinite(mjd)) return "–";
  const d = new Date((mjd - 40587) * 86400000);
  return d.toISOString().slice(0, 16).replace("T", " ") + " UTC (MJD " + mjd.toFixed(4) + ")";
}

// The longest prefix of `text` that is at most `bytes` long in UTF-8, whole characters only.
function clipUtf8(text, bytes) {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= bytes) return text;
  let out = "";
  let used = 0;
  for (const ch of text) {
    used += encoder.encode(ch).length;
    if (used > bytes) break;
    out += ch;
  }
  return out;
}

function percent(p) {
  return Math.round(p * 100) + "%";
}

function inTen(p) {
  return Math.round(p * 10) + " in 10";
}

const ANSWER_WORDS = { real: "real", bogus: "artefact", odd: "something odd" };
const TRUTH_WORDS = { real: "real", bogus: "an artefact" };

function statusWords(status) {
  if (!status) return "–";
  if (status === "open") return "still open (waiting for more votes)";
  if (status === "escalated") return "passed to the astronomers";
  if (status === "training") return "practice candidate";
  const m = /^retired: (\w+)$/.exec(status);
  if (m) return "decided: " + (m[1] === "bogus" ? "artefact" : m[1]);
  return status;
}

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (className) e.className = className;
  return e;
}

// One line of news at the top (role=status, so screen readers hear it).
function notice(text, isError) {
  const n = $("notice");
  n.textContent = text || "";
  n.classList.toggle("error", !!isError);
  n.hidden = !text;
}

function showFormError(id, text) {
  const e = $(id);
  e.textContent = text || "";
  e.hidden = !text;
}

// Network trouble and lost sign-ins, the same way everywhere.
function handleError(err, what) {
  if (err.status === 401) {
    setAccount(null, null);
    state.subject = null;
    showView("welcome");
    notice("This device is no longer signed in (the token was not recognised — was the account " +
           "deleted?). Sign up again, or sign in with your token.", true);
    return;
  }
  notice((what ? what + ": " : "") + err.message + ". Please try again.", true);
}

// ---- views ----

const VIEWS = ["welcome", "token", "classify", "me"];

function showView(name) {
  if (state.view !== name) notice("");
  state.view = name;
  for (const v of VIEWS) $("view-" + v).hidden = v !== name;
  const signedIn = !!state.token;
  $("nav-classify").hidden = !signedIn;
  $("nav-me").hidden = !signedIn;
  $("nav").hidden = false;
  $("nav-classify").toggleAttribute("aria-current", false);
  $("nav-me").toggleAttribute("aria-current", false);
  if (name === "classify") $("nav-classify").setAttribute("aria-current", "page");
  if (name === "me") $("nav-me").setAttribute("aria-current", "page");
  if (name !== "classify") {
    setAutoBlink(false);
    stopEmptyRecheck();
  }
}

// Shows `hash`'s view at once (pushState fires no hashchange, so no second route()).
function go(hash) {
  if (location.hash !== hash) history.pushState(null, "", hash);
  route();
}

function route() {
  if (!state.token) {
    showView("welcome");
    return;
  }
  if (location.hash === "#/me") {
    showView("me");
    loadMe();
    return;
  }
  showView("classify");
  if (!state.subject || state.feedbackShown) loadNext();
}

// ---- signing up and in ----

async function signUp(ev) {
  ev.preventDefault();
  const name = $("signup-name").value.trim();
  if (!name) {
    showFormError("signup-error", "Please choose a display name.");
    $("signup-name").focus();
    return;
  }
  showFormError("signup-error", "");
  const button = ev.target.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const r = await api("POST", "/api/v1/volunteers", { display_name: name });
    setAccount(r.token, r.display_name || name);
    $("token-name").textContent = state.name;
    $("token-value").value = r.token;
    $("token-copied").textContent = "";
    showView("token");
    $("token-title").focus();
  } catch (err) {
    showFormError("signup-error", "Could not sign you up: " + err.message + ".");
  } finally {
    button.disabled = false;
  }
}

async function signIn(ev) {
  ev.preventDefault();
  const token = $("signin-token").value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(token)) {
    showFormError("signin-error", "A token is 64 characters, digits 0–9 and letters a–f.");
    $("signin-token").focus();
    return;
  }
  showFormError("signin-error", "");
  const previous = state.token;
  state.token = token;
  try {
    const me = await api("GET", "/api/v1/me");
    setAccount(token, me.display_name || "");
    $("signin-token").value = "";
    go("#/classify");
    notice("Welcome back, " + state.name + ".");
  } catch (err) {
    state.token = previous;
    showFormError("signin-error", err.status === 401 ? "That token was not recognised."
                                                     : "Could not sign in: " + err.message + ".");
  }
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    return false;
  }
}

async function copyToken() {
  const input = $("token-value");
  input.focus();
  input.select();
  const ok = await copyText(input.value);
  $("token-copied").textContent = ok ? "Copied." : "Selected — copy it with your device's copy command.";
}

// ---- classifying ----

function nextPath() {
  const ids = skippedIds();
  if (!state.excludeSupported || ids.length === 0) return "/api/v1/next";
  return "/api/v1/next?exclude=" + ids.map(encodeURIComponent).join(",");
}

// One fetch at a time: a second call while one is in flight waits for it.
function loadNext() {
  if (!state.loading) state.loading = fetchNext().finally(() => { state.loading = null; });
  return state.loading;
}

async function fetchNext() {
  stopEmptyRecheck();
  state.busy = true;
  setAnswerButtons(false);
  try {
    let data;
    try {
      data = await api("GET", nextPath());
    } catch (err) {
      if (err.status !== 400 || !state.excludeSupported || nextPath() === "/api/v1/next") throw err;
      state.excludeSupported = false;  // an older server: skipping just shows what is next
      data = await api("GET", "/api/v1/next");
    }
    if (state.view !== "classify") return;
    if (data && data.subject) showSubject(data.subject); else showEmpty(data && data.message);
  } catch (err) {
    handleError(err, "Could not fetch the next candidate");
  } finally {
    state.busy = false;
    setAnswerButtons(!!state.subject && !state.feedbackShown);
  }
}

function setAnswerButtons(enabled) {
  for (const b of document.querySelectorAll("#answer-area button")) b.disabled = !enabled;
}

function showSubject(s) {
  state.subject = s;
  state.feedbackShown = false;
  $("empty").hidden = true;
  $("subject").hidden = false;
  $("feedback").hidden = true;
  $("answer-area").hidden = false;
  $("comment").value = "";

  const cut = s.cutouts || {};
  const id = s.candidate_id;
  setImage("img-blink-science", cut.science, "Tonight's image around candidate " + id +
           " (the change is in the centre)");
  setImage("img-blink-reference", cut.reference, "The reference image of the same patch, taken before");
  setImage("img-reference", cut.reference, "The reference image around candidate " + id +
           ", taken before");
  setImage("img-difference", cut.difference, "Difference image: tonight minus before. Grey is no " +
           "change, bright is brighter tonight, dark is fainter");
  setBlink(false);

  $("fact-id").textContent = id;
  $("fact-field").textContent = (s.field || "–") + " / " + (s.band || "–") +
                                (typeof s.ccd === "number" ? " (ccd " + s.ccd + ")" : "");
  $("fact-mag").textContent = "magnitude " + fixed(s.mag, 2) +
                              " (bigger numbers are fainter)";
  $("fact-snr").textContent = fixed(s.snr, 1);
  $("fact-score").textContent = typeof s.real_bogus === "number"
      ? percent(s.real_bogus) + " likely real — the machine is unsure, that is why it asks you"
      : "–";
  $("fact-pos").textContent = fixed(s.ra, 5) + "°, " + fixed(s.dec, 5) + "°";
  $("fact-time").textContent = mjdToUtc(s.mjd_obs);
  $("subject-title").focus();
}

function setImage(id, src, alt) {
  const img = $(id);
  img.alt = alt;
  img.closest(".frame").classList.remove("broken");
  if (src) img.src = src; else img.removeAttribute("src");
}

function showEmpty(message) {
  state.subject = null;
  state.feedbackShown = false;
  $("subject").hidden = true;
  setAutoBlink(false);
  const wasShown = !$("empty").hidden && state.view === "classify";
  // The server's own words only when they add something to the fixed text.
  const repeats = !message || /^nothing (is )?waiting|new candidates arrive/i.test(message.trim());
  $("empty-message").textContent = repeats ? "" : message;
  $("empty").hidden = false;
  if (!wasShown) $("empty-title").focus();  // not again on each quiet re-check
  startEmptyRecheck();
}

function startEmptyRecheck() {
  stopEmptyRecheck();
  state.emptyTimer = setInterval(() => {
    if (!document.hidden && state.view === "classify" && !state.subject && !state.busy) loadNext();
  }, EMPTY_RECHECK_MS);
}

function stopEmptyRecheck() {
  if (state.emptyTimer !== null) clearInterval(state.emptyTimer);
  state.emptyTimer = null;
}

async function answer(kind) {
  const s = state.subject;
  if (!s || state.busy || state.feedbackShown) return;
  const body = { candidate_id: s.candidate_id, answer: kind };
  const comment = $("comment").value.trim();
  if (comment) body.comment = clipUtf8(comment, MAX_COMMENT_BYTES);
  state.busy = true;
  setAnswerButtons(false);
  let result = null, failure = null;
  try {
    result = await api("POST", "/api/v1/classifications", body);
  } catch (err) {
    failure = err;
  }
  state.busy = false;
  forgetSkipped(s.candidate_id);
  if (failure && failure.status === 409) {
    notice("You had already classified that one; here is the next.");
  } else if (failure && failure.status === 404) {
    notice("That candidate is no longer available; here is the next.");
  } else if (failure) {
    setAnswerButtons(true);
    handleError(failure, "Your answer was not saved");
    return;
  } else if (result && result.feedback) {
    showFeedback(result.feedback, kind, result.skill);
    return;
  } else {
    notice("Saved — thank you! Your answer was “" + ANSWER_WORDS[kind] + "”.");
  }
  await loadNext();
}

function showFeedback(fb, given, skill) {
  state.feedbackShown = true;
  $("answer-area").hidden = true;
  notice("");
  $("feedback").hidden = false;
  $("feedback").classList.toggle("right", !!fb.correct);
  $("feedback").classList.toggle("wrong", !fb.correct);
  $("feedback-title").textContent = fb.correct ? "Well spotted!" : "Not quite — and that's fine";
  $("feedback-verdict").textContent = "This was a practice candidate: it was " +
      (TRUTH_WORDS[fb.truth] || fb.truth) + ". You said “" + ANSWER_WORDS[given] + "”.";
  $("feedback-message").textContent = fb.message || "";
  $("feedback-skill").textContent = skill && skill.summary ? skill.summary : "";
  $("feedback-next").focus();
}

function skipOrNext() {
  if (state.busy) return;
  if (state.feedbackShown) {
    loadNext();
  } else if (state.subject) {
    rememberSkipped(state.subject.candidate_id);
    notice("Skipped — no problem.");
    loadNext();
  } else {
    loadNext();
  }
}

// ---- blinking ----

function setBlink(showReference) {
  state.showingReference = showReference;
  $("img-blink-science").hidden = showReference;
  $("img-blink-reference").hidden = !showReference;
  $("blink-caption").textContent = showReference ? "Before (reference)" : "Tonight";
  $("blink").setAttribute("aria-pressed", String(showReference));
  document.querySelector(".blink-panel").classList.toggle("showing-reference", showReference);
}

function toggleBlink() {
  if (state.subject) setBlink(!state.showingReference);
}

function setAutoBlink(on) {
  if (state.autoBlinkTimer !== null) clearInterval(state.autoBlinkTimer);
  state.autoBlinkTimer = on ? setInterval(toggleBlink, BLINK_PERIOD_MS) : null;
  $("auto-blink").setAttribute("aria-pressed", String(on));
  $("auto-blink").textContent = "Auto-blink: " + (on ? "on" : "off");
  if (!on && state.subject) setBlink(false);
}

// ---- keyboard ----

function onKey(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
  const t = ev.target;
  if (t && t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
  if (document.querySelector("dialog[open]")) return;  // Esc closes it; keys stay with it
  if (ev.key === "?") {
    ev.preventDefault();
    openHelp();
    return;
  }
  if (state.view !== "classify") return;
  // Space and Enter on a button, link or summary keep their own meaning.
  const onControl = t && t.closest && t.closest("button, a, summary");
  if ((ev.key === " " || ev.key === "Enter") && onControl) return;
  switch (ev.key.toLowerCase()) {
    case "r": answer("real"); break;
    case "a": case "f": answer("bogus"); break;
    case "o": answer("odd"); break;
    case "b": toggleBlink(); break;
    case "n": case " ": skipOrNext(); break;
    default: return;
  }
  ev.preventDefault();
}

// ---- help ----

function openHelp() {
  const d = $("help-dialog");
  if (!d.open) {
    d.showModal();
    $("help-title").focus();  // start reading at the top, not at the Close button
  }
}

// ---- my page ----

async function loadMe() {
  let me;
  try {
    me = await api("GET", "/api/v1/me");
  } catch (err) {
    handleError(err, "Could not load your page");
    return;
  }
  if (state.view !== "me") return;
  if (me.display_name && me.display_name !== state.name) setAccount(state.token, me.display_name);
  renderMe(me);
  $("me-title").focus();
}

function renderMe(me) {
  const n = me.classifications || 0;
  $("me-title").textContent = "My page — " + (me.display_name || "volunteer");
  $("me-intro").textContent = "Joined " + when(me.joined_unix) + ". You have classified " + n +
                              (n === 1 ? " candidate" : " candidates") + ". Thank you!";
  renderSkill(me.skill || {});
  renderDiscoveries(me.discoveries || []);
  const history = (me.history || []).slice().sort((a, b) => (b.voted_unix || 0) - (a.voted_unix || 0));
  renderFeedbackList(history.filter((h) => h.feedback));
  renderHistory(history);
}

function renderSkill(skill) {
  $("skill-summary").textContent = skill.summary || "";
  const list = $("skill-details");
  list.replaceChildren();
  const seen = skill.training_seen || 0;
  if (seen === 0) {
    list.append(el("li", "You have not met a practice candidate yet. A few are mixed in, looking " +
                         "like any other; they show how your eye works."));
  } else {
    list.append(el("li", "Practice candidates seen: " + seen + "."));
    if (typeof skill.real_when_real === "number") {
      list.append(el("li", "When one was real, you said “real” about " + inTen(skill.real_when_real) +
                           " times (" + percent(skill.real_when_real) + ")."));
    }
    if (typeof skill.bogus_when_bogus === "number") {
      list.append(el("li", "When one was an artefact, you said “artefact” about " +
                           inTen(skill.bogus_when_bogus) + " times (" + percent(skill.bogus_when_bogus) + ")."));
    }
  }
  if (typeof skill.weight === "number") {
    $("skill-weight").textContent = "Right now your vote counts " + skill.weight.toFixed(1) +
        " times as much as a brand-new volunteer's.";
  } else {
    $("skill-weight").textContent = "";
  }
  $("skill-why").textContent = skill.why ||
      "Votes are weighted by how often each person is right on practice candidates, so that " +
      "careful eyes count for more; the weight changes as you go.";
}

function renderDiscoveries(items) {
  const list = $("discoveries");
  list.replaceChildren(...items.map((d) => {
    const li = el("li");
    li.append(el("strong", d.candidate_id, "id"));
    li.append(el("span", " — at RA " + fixed(d.ra, 5) + "°, Dec " + fixed(d.dec, 5) + "°, magnitude " +
                         fixed(d.mag, 2) + "; seen " + mjdToUtc(d.mjd_obs) + "; confirmed " +
                         when(d.confirmed_unix) + "."));
    return li;
  }));
  $("discoveries-empty").hidden = items.length > 0;
}

function renderFeedbackList(items) {
  const list = $("fb-list");
  list.replaceChildren(...items.map((h) => {
    const li = el("li");
    const f = h.feedback;
    li.append(el("strong", f.correct ? "Right: " : "Not quite: "));
    li.append(el("span", "you said “" + (ANSWER_WORDS[h.answer] || h.answer) + "”, it was " +
                         (TRUTH_WORDS[f.truth] || f.truth) + ". " + (f.message || "")));
    li.append(el("span", " (" + when(h.voted_unix) + ")", "muted"));
    return li;
  }));
  $("fb-empty").hidden = items.length > 0;
}

function renderHistory(history) {
  const table = $("history");
  const rows = history.slice(0, MAX_HISTORY_ROWS).map((h) => {
    const tr = el("tr");
    const cells = [
      ["Candidate", h.candidate_id, "id"],
      ["Your answer", ANSWER_WORDS[h.answer] || h.answer],
      ["When", when(h.voted_unix)],
      ["Status now", statusWords(h.status)],
      ["Comment", h.comment || ""],
    ];
    for (const [label, text, cls] of cells) {
      const td = el("td", text, cls || (text ? "" : "blank"));
      td.dataset.label = label;
      tr.append(td);
    }
    return tr;
  });
  table.tBodies[0].replaceChildren(...rows);
  table.hidden = rows.length === 0;
  $("history-empty").hidden = rows.length > 0;
}

async function deleteAccount() {
  const button = $("delete-confirm");
  button.disabled = true;
  showFormError("delete-error", "");
  try {
    await api("DELETE", "/api/v1/me");
  } catch (err) {
    button.disabled = false;
    if (err.status !== 401) {
      showFormError("delete-error", "Could not delete your account: " + err.message + ".");
      return;
    }
  }
  button.disabled = false;
  $("delete-dialog").close();
  setAccount(null, null);
  state.subject = null;
  history.replaceState(null, "", location.pathname);
  showView("welcome");
  notice("Your account is deleted. Your votes stay, anonymised. Thank you for your help!");
}

function signOut() {
  setAccount(null, null);
  state.subject = null;
  save(sessionStorage, SKIPPED_KEY, null);
  history.replaceState(null, "", location.pathname);
  showView("welcome");
  notice("Signed out on this device. Sign in again with your token.");
}

// ---- wiring ----

function wire() {
  $("signup-form").addEventListener("submit", signUp);
  $("signin-form").addEventListener("submit", signIn);
  $("token-copy").addEventListener("click", copyToken);
  $("token-done").addEventListener("click", () => {
    $("token-value").value = "";
    go("#/classify");
  });
  $("token-value").addEventListener("focus", (e) => e.target.select());

  for (const b of document.querySelectorAll(".answer[data-answer]")) {
    b.addEventListener("click", () => answer(b.dataset.answer));
  }
  $("skip").addEventListener("click", skipOrNext);
  $("feedback-next").addEventListener("click", () => { if (!state.busy) loadNext(); });
  $("empty-check").addEventListener("click", () => { if (!state.busy) loadNext(); });
  $("blink").addEventListener("click", toggleBlink);
  $("auto-blink").addEventListener("click", () => setAutoBlink(state.autoBlinkTimer === null));
  for (const img of document.querySelectorAll(".frame img")) {
    img.addEventListener("error", () => img.closest(".frame").classList.add("broken"));
  }

  $("help-open").addEventListener("click", openHelp);
  $("help-close").addEventListener("click", () => $("help-dialog").close());

  $("show-token").addEventListener("click", () => {
    const box = $("my-token-box");
    box.hidden = !box.hidden;
    $("show-token").setAttribute("aria-expanded", String(!box.hidden));
    $("show-token").textContent = box.hidden ? "Show my sign-in token" : "Hide my sign-in token";
    $("my-token").value = box.hidden ? "" : state.token || "";
  });
  $("my-token").addEventListener("focus", (e) => e.target.select());
  $("sign-out").addEventListener("click", signOut);
  $("delete-open").addEventListener("click", () => {
    showFormError("delete-error", "");
    $("delete-dialog").showModal();
    $("delete-cancel").focus();
  });
  $("delete-cancel").addEventListener("click", () => $("delete-dialog").close());
  $("delete-confirm").addEventListener("click", deleteAccount);

  document.addEventListener("keydown", onKey);
  window.addEventListener("hashchange", route);
}

state.token = load(localStorage, TOKEN_KEY);
state.name = load(localStorage, NAME_KEY);
wire();
route();
