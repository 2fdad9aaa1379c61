// The volunteers' page in a real browser (Debian's chromium, headless, through
// playwright-core) against a running blinkd:
//
//   node tests/browser/classify.test.mjs --base-url http://127.0.0.1:PORT [--screenshot FILE]
//        [--chromium /usr/bin/chromium] [--votes 10]
//
// Signs up through the page at a phone-sized viewport (no sideways scrolling at
// 390 and 360 px), classifies --votes candidates with keyboard shortcuts and
// clicks (blink, auto-blink, help, a skip, a comment along the way), checks the
// feedback panel whenever the server answers with practice feedback, then asks
// GET /api/v1/me with the token from localStorage that every vote was stored,
// looks at "My page", and deletes the account through the page. Fails on any
// uncaught page error or Content-Security-Policy violation. Exit 0 on success,
// 1 with "browser_classify: FAIL: ..." otherwise; --screenshot saves the phone
// view of a candidate (or the page as it was at a failure).
import { chromium } from "playwright-core";

const TIMEOUT_MS = 15000;
const OVERALL_TIMEOUT_MS = 240000;

function parseArgs(argv) {
  const opts = { baseUrl: null, screenshot: null, chromium: process.env.BLINK_CHROMIUM || "/usr/bin/chromium",
                 votes: 10 };
  for (let i = 0; i < argv.length; ++i) {
    const next = () => {
      if (i + 1 >= argv.length) fail(argv[i] + " needs a value");
      return argv[++i];
    };
    switch (argv[i]) {
      case "--base-url": opts.baseUrl = next().replace(/\/+$/, ""); break;
      case "--screenshot": opts.screenshot = next(); break;
      case "--chromium": opts.chromium = next(); break;
      case "--votes": opts.votes = Number(next()); break;
      case "--help":
        console.log("usage: node classify.test.mjs --base-url http://HOST:PORT [--screenshot FILE] " +
                    "[--chromium PATH] [--votes N]");
        process.exit(0);
      default: fail("unknown argument " + argv[i]);
    }
  }
  if (!opts.baseUrl) fail("--base-url is required");
  if (!(opts.votes >= 1)) fail("--votes must be a positive number");
  return opts;
}

class TestFailure extends Error {}

function fail(message) {
  console.error("browser_classify: FAIL: " + message);
  process.exit(1);
}

function check(condition, message) {
  if (!condition) throw new TestFailure(message);
}

const log = (msg) => console.log("browser_classify: " + msg);

// ---- page helpers ----

async function visible(page, selector, what) {
  try {
    await page.locator(selector).waitFor({ state: "visible", timeout: TIMEOUT_MS });
  } catch (e) {
    throw new TestFailure((what || selector) + " did not appear within " + TIMEOUT_MS / 1000 + " s");
  }
}

async function noSidewaysScroll(page, where) {
  const m = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
    widest: [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 3).map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
                               (e.className && typeof e.className === "string" ? "." + e.className : "")),
  }));
  check(m.scroll <= m.client, `horizontal overflow ${where}: page is ${m.scroll}px wide in a ` +
        `${m.client}px viewport (sticking out: ${m.widest.join(", ") || "?"})`);
}

async function atWidths(page, widths, where) {
  const original = page.viewportSize();
  for (const w of widths) {
    await page.setViewportSize({ width: w, height: original.height });
    await noSidewaysScroll(page, `${where} at ${w}px`);
  }
  await page.setViewportSize(original);
}

// Waits for a candidate on screen whose id differs from `previousId`; returns its id.
async function waitForSubject(page, previousId, votesSoFar) {
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    const s = await page.evaluate(() => ({
      subject: !document.getElementById("subject").hidden,
      empty: !document.getElementById("empty").hidden,
      feedback: !document.getElementById("feedback").hidden,
      ready: !document.getElementById("answer-real").disabled,
      id: document.getElementById("fact-id").textContent,
      notice: document.getElementById("notice").hidden ? "" : document.getElementById("notice").textContent,
    }));
    if (s.empty) {
      throw new TestFailure(`the page says nothing is waiting after ${votesSoFar} votes ` +
                            "(need enough candidates on the review route)");
    }
    if (s.subject && !s.feedback && s.ready && s.id && s.id !== previousId) return s.id;
    if (s.notice && /not saved|Could not/.test(s.notice)) throw new TestFailure("page reports: " + s.notice);
    await page.waitForTimeout(100);
  }
  throw new TestFailure(`no new candidate appeared within ${TIMEOUT_MS / 1000} s after ${votesSoFar} votes`);
}

async function cutoutsLoaded(page, id) {
  try {
    await page.waitForFunction(() => ["img-blink-science", "img-reference", "img-difference"].every((i) => {
      const img = document.getElementById(i);
      return img.complete && img.naturalWidth > 0;
    }), null, { timeout: TIMEOUT_MS });
  } catch (e) {
    const srcs = await page.evaluate(() => [...document.querySelectorAll(".frame img")].map((i) => i.src));
    throw new TestFailure(`cutouts of ${id} did not load as images: ${srcs.join(" ")}`);
  }
  const alts = await page.evaluate(() => [...document.querySelectorAll(".frame img")].map((i) => i.alt));
  check(alts.every((a) => a.length > 10), "a cutout has no alt text");
}

async function blinkState(page) {
  return page.evaluate(() => ({
    pressed: document.getElementById("blink").getAttribute("aria-pressed"),
    reference: !document.getElementById("img-blink-reference").hidden,
    caption: document.getElementById("blink-caption").textContent,
  }));
}

// ---- the run ----

async function run(opts, browser, artefacts) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  artefacts.page = page;
  page.setDefaultTimeout(TIMEOUT_MS);
  const problems = [];
  page.on("pageerror", (e) => problems.push("uncaught error in the page: " + e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) problems.push("CSP violation: " + m.text());
  });
  const assertNoProblems = () => check(problems.length === 0, problems.join("; "));

  // The page, under the daemon's Content-Security-Policy.
  let response;
  try {
    response = await page.goto(opts.baseUrl + "/", { waitUntil: "load" });
  } catch (e) {
    throw new TestFailure(`cannot load ${opts.baseUrl}/: ${e.message.split("\n")[0]}`);
  }
  check(response && response.ok(), `GET / answered ${response ? response.status() : "nothing"}`);
  const csp = response.headers()["content-security-policy"] || "";
  check(/default-src 'self'/.test(csp), `GET / has no Content-Security-Policy "default-src 'self'" (got "${csp}")`);
  await visible(page, "#view-welcome", "the sign-up form");
  await atWidths(page, [390, 360], "on the welcome page");

  // Sign up on a phone.
  const name = "Browser test " + Date.now();
  await page.fill("#signup-name", name);
  await page.click("#signup-form button[type=submit]");
  await visible(page, "#view-token", "the page showing the new token");
  const shown = await page.inputValue("#token-value");
  check(/^[0-9a-f]{64}$/.test(shown), `the token shown is not 64 hex characters: "${shown}"`);
  const stored = await page.evaluate(() => localStorage.getItem("blink.volunteer.token"));
  check(stored === shown, "the token in localStorage differs from the one shown");
  await atWidths(page, [390, 360], "on the token page");
  await page.click("#token-done");
  log("signed up as " + JSON.stringify(name));

  const keys = ["r", "a", "f", "o"];
  const buttons = ["#answer-real", "#answer-bogus", "#answer-odd"];
  const voted = [];
  let previousId = null, feedbackSeen = 0, skipped = false;
  while (voted.length < opts.votes) {
    const id = await waitForSubject(page, previousId, voted.length);
    await cutoutsLoaded(page, id);
    const n = voted.length;

    if (n === 0) {
      await atWidths(page, [390, 360], "with a candidate on screen");
      if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true });
      // Blink with the key, and back with the button.
      await page.keyboard.press("b");
      let b = await blinkState(page);
      check(b.pressed === "true" && b.reference, "key B did not switch the first picture to the reference");
      await page.click("#blink");
      b = await blinkState(page);
      check(b.pressed === "false" && !b.reference, "the Blink button did not switch back to tonight");
      // Help opens with ?, closes with Escape.
      await page.keyboard.press("?");
      await visible(page, "#help-dialog", "the help dialog (key ?)");
      await page.keyboard.press("Escape");
      await page.locator("#help-dialog").waitFor({ state: "hidden" });
    }
    if (n === 1) {
      // Auto-blink flips on its own; turning it off returns to tonight.
      await page.click("#auto-blink");
      const seen = new Set();
      for (let i = 0; i < 14; ++i) {
        seen.add((await blinkState(page)).reference);
        await page.waitForTimeout(100);
      }
      check(seen.size === 2, "auto-blink did not flip the picture within 1.4 s");
      await page.click("#auto-blink");
      check(!(await blinkState(page)).reference, "turning auto-blink off did not return to tonight");
    }
    if (n === 3 && !skipped) {
      // Skip once (not counted): the page moves on and still has a candidate.
      skipped = true;
      await page.keyboard.press("n");
      previousId = id;
      // A server that ignores skips may show the same candidate again; either is fine.
      await page.waitForFunction(() => !document.getElementById("answer-real").disabled &&
                                       !document.getElementById("subject").hidden, null, { timeout: TIMEOUT_MS });
      previousId = null;
      continue;
    }
    if (n === 5) {
      await page.setViewportSize({ width: 1280, height: 800 });  // the rest on a desktop
    }

    // Answer: keyboard on even votes, a click (tap) on odd ones; one with a comment.
    const posted = page.waitForResponse((r) => r.url().endsWith("/api/v1/classifications") &&
                                              r.request().method() === "POST", { timeout: TIMEOUT_MS });
    let how;
    if (n === 4) {
      await page.fill("#comment", "Looks like a round dot; written by the browser test.");
      await page.click("#answer-odd");
      how = "comment + click Something odd";
    } else if (n % 2 === 0) {
      const key = keys[(n / 2) % keys.length];
      await page.keyboard.press(key);
      how = "key " + key.toUpperCase();
    } else {
      const button = buttons[((n - 1) / 2) % buttons.length];
      await page.click(button);
      how = "click " + button;
    }
    let reply;
    try {
      reply = await posted;
    } catch (e) {
      throw new TestFailure(`answering ${id} by ${how} sent no POST /api/v1/classifications`);
    }
    const body = await reply.json().catch(() => null);
    check(reply.status() === 201, `POST /api/v1/classifications for ${id} answered ${reply.status()}: ` +
          JSON.stringify(body));
    check(body && body.recorded === true, `the classification of ${id} was not recorded: ${JSON.stringify(body)}`);
    voted.push(id);

    if (body.feedback) {
      // A practice candidate: the page must say what it was, right away.
      await visible(page, "#feedback", `the feedback on practice candidate ${id}`);
      const text = await page.locator("#feedback").innerText();
      const truth = body.feedback.truth === "bogus" ? "artefact" : body.feedback.truth;
      check(text.includes(truth), `the feedback on ${id} does not say it was ${truth}: "${text}"`);
      if (body.feedback.message) {
        check(text.includes(body.feedback.message), `the feedback on ${id} lacks the server's explanation`);
      }
      if (feedbackSeen === 0) await atWidths(page, [390, 360], "with practice feedback on screen");
      feedbackSeen += 1;
      if (feedbackSeen % 2) await page.keyboard.press("n"); else await page.click("#feedback-next");
    }
    previousId = id;
    assertNoProblems();
  }
  log(`classified ${voted.length} candidates; practice feedback shown ${feedbackSeen} time(s)` +
      (feedbackSeen ? "" : " (no practice candidate came up)"));

  // The API agrees: every vote stored for this volunteer.
  const token = await page.evaluate(() => localStorage.getItem("blink.volunteer.token"));
  check(/^[0-9a-f]{64}$/.test(token || ""), "no token in localStorage after classifying");
  const meResponse = await fetch(opts.baseUrl + "/api/v1/me", { headers: { Authorization: "Bearer " + token } });
  const me = await meResponse.json().catch(() => null);
  check(meResponse.status === 200 && me, `GET /api/v1/me answered ${meResponse.status}: ${JSON.stringify(me)}`);
  check(me.display_name === name, `GET /api/v1/me names "${me.display_name}", not "${name}"`);
  check(me.classifications === opts.votes,
        `GET /api/v1/me counts ${me.classifications} classifications, expected ${opts.votes}`);
  const historyIds = new Set((me.history || []).map((h) => h.candidate_id));
  const missing = voted.filter((id) => !historyIds.has(id));
  check(missing.length === 0, "votes missing from GET /api/v1/me history: " + missing.join(", "));
  const commented = (me.history || []).find((h) => h.comment && h.comment.includes("browser test"));
  check(commented, "the comment sent with one vote is not in the history");
  log(`GET /api/v1/me: ${me.classifications} classifications stored`);

  // My page shows them, on a phone too.
  await page.click("#nav-me");
  await page.waitForFunction((n) => document.querySelectorAll("#history tbody tr").length === n, opts.votes,
                             { timeout: TIMEOUT_MS })
      .catch(() => { throw new TestFailure(`My page does not list ${opts.votes} classifications`); });
  await page.setViewportSize({ width: 390, height: 844 });
  await atWidths(page, [390, 360], "on My page");
  const skillText = await page.locator("#skill-summary").innerText();
  check(skillText.trim().length > 0 || !(me.skill && me.skill.summary), "My page does not show the skill summary");

  // Delete the account through the page: the token stops working.
  await page.click("#delete-open");
  await visible(page, "#delete-dialog", "the delete confirmation");
  const confirmText = await page.locator("#delete-dialog").innerText();
  check(/anonymi[sz]ed/i.test(confirmText), "the delete confirmation does not say votes stay anonymised");
  const deleted = page.waitForResponse((r) => r.url().endsWith("/api/v1/me") && r.request().method() === "DELETE");
  await page.click("#delete-confirm");
  const del = await deleted;
  check(del.status() === 200, `DELETE /api/v1/me answered ${del.status()}`);
  await visible(page, "#view-welcome", "the welcome page after deleting the account");
  const after = await fetch(opts.baseUrl + "/api/v1/me", { headers: { Authorization: "Bearer " + token } });
  check(after.status === 401, `the deleted account's token still answers ${after.status} on GET /api/v1/me`);
  check(await page.evaluate(() => localStorage.getItem("blink.volunteer.token")) === null,
        "the token is still in localStorage after deleting the account");
  assertNoProblems();
  log("My page and account deletion work");
  await context.close();
  await nightReport(opts, browser);
}

// The operators' night report renders in a browser: its plots are SVG drawn by
// Blink, nothing is fetched from elsewhere, the page obeys the CSP.
async function nightReport(opts, browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  const problems = [];
  const outside = [];
  page.on("pageerror", (e) => problems.push("uncaught error in the night report: " + e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) problems.push("CSP violation: " + m.text());
  });
  page.on("request", (r) => { if (!r.url().startsWith(opts.baseUrl) && !r.url().startsWith("data:")) outside.push(r.url()); });
  const response = await page.goto(opts.baseUrl + "/reports/night", { waitUntil: "load" });
  check(response && response.status() === 200, `GET /reports/night answered ${response && response.status()}`);
  const svgs = await page.locator("svg").count();
  check(svgs >= 3, `the night report shows ${svgs} plots, expected at least 3`);
  const text = await page.locator("body").innerText();
  check(/exposures/i.test(text) && /candidates/i.test(text), "the night report does not mention exposures and candidates");
  check(outside.length === 0, "the night report fetched from elsewhere: " + outside.join(", "));
  check(problems.length === 0, problems.join("; "));
  if (opts.screenshot) {
    const shot = opts.screenshot.replace(/(\.png)?$/, "-night-report.png");
    await page.screenshot({ path: shot, fullPage: true });
    log(`night report renders (${svgs} plots; screenshot ${shot})`);
  } else {
    log(`night report renders (${svgs} plots)`);
  }
  await context.close();
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const guard = setTimeout(() => fail(`gave up after ${OVERALL_TIMEOUT_MS / 1000} s`), OVERALL_TIMEOUT_MS);
  // No GPU, and none of chromium's own network chatter (the test machines' network is closed).
  const args = ["--disable-dev-shm-usage", "--disable-gpu", "--disable-quic", "--disable-background-networking"];
  if (typeof process.getuid === "function" && process.getuid() === 0) args.push("--no-sandbox");
  let browser;
  try {
    browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args });
  } catch (e) {
    fail(`cannot start ${opts.chromium}: ${e.message.split("\n")[0]}`);
  }
  const artefacts = {};
  let failure = null;
  try {
    await run(opts, browser, artefacts);
  } catch (e) {
    failure = e instanceof TestFailure ? e.message : (e.stack || String(e));
    if (opts.screenshot && artefacts.page) {
      await artefacts.page.screenshot({ path: opts.screenshot, fullPage: true }).catch(() => {});
    }
  } finally {
    await browser.close().catch(() => {});
    clearTimeout(guard);
  }
  if (failure) fail(failure + (opts.screenshot ? ` (screenshot: ${opts.screenshot})` : ""));
  log("PASS");
}

main();
