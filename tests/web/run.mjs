// run.mjs - the web app in a real browser: Debian's chromium driven by playwright-core.
//
//   TRUCE_BIN=build/truce node tests/web/run.mjs [NAME...]
//
// Starts its own demo server (with the real data in $TRUCE_DATA when there is any; on the
// PostgreSQL cluster $TRUCE_PG with TRUCE_TEST_BACKEND=postgres, else on a file), runs
// each test in a fresh browser context, and prints cmocka's summary lines so that
// scripts/run-tests.sh counts it like the C tests. Screenshots and measurements go to
// $TRUCE_ARTIFACTS (default: the binary's directory/web-artifacts).
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createPrivateKey, sign as edSign } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../web/package.json"));
const { chromium } = require("playwright-core");
const axeSource = require("axe-core").source;

const BIN = resolve(process.env.TRUCE_BIN || "build/truce");
const DATA = process.env.TRUCE_DATA;
const ARTIFACTS = resolve(process.env.TRUCE_ARTIFACTS || join(dirname(BIN), "web-artifacts"));
const CHROMIUM = process.env.TRUCE_CHROMIUM || "/usr/bin/chromium";
mkdirSync(ARTIFACTS, { recursive: true });

// ---- the server -----------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), "truce-web-"));
// Each server's store: a file of this run's, or with TRUCE_TEST_BACKEND=postgres a new
// database on the run's PostgreSQL cluster (TRUCE_PG, as scripts/run-tests.sh sets it), the
// log key in the file TRUCE_KEY_FILE names, shared as a deployment's servers share it.
const PG = process.env.TRUCE_TEST_BACKEND === "postgres" ? process.env.TRUCE_PG : null;
if (process.env.TRUCE_TEST_BACKEND === "postgres" && !PG) throw new Error("TRUCE_TEST_BACKEND=postgres needs TRUCE_PG: run through scripts/run-tests.sh");
if (PG) process.env.TRUCE_KEY_FILE = join(dir, "log.key");
function newDb(name) {
  if (!PG) return join(dir, name + ".db");
  const db = `w_${name}_${process.pid}`;
  for (const sql of [`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, `CREATE DATABASE ${db}`]) {
    const r = spawnSync("psql", ["-XAtq", "-v", "ON_ERROR_STOP=1", PG + " dbname=postgres", "-c", sql], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr}`);
  }
  return `${PG} dbname=${db}`;
}
let server, base, serverLog = "";
async function startServer() {
  const args = ["demo", "--db", newDb("demo"), "--listen", "127.0.0.1:0", "--force"];
  if (DATA && existsSync(join(DATA, "acled"))) args.push("--data", DATA);
  server = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TRUCE_PWHASH: "min" } });
  const seen = (d) => (serverLog += d);
  server.stdout.on("data", seen);
  server.stderr.on("data", seen);
  const t0 = Date.now();
  while (!/\(port (\d+)\)/.test(serverLog)) {
    if (server.exitCode !== null || Date.now() - t0 > 120000) throw new Error("the server did not start:\n" + serverLog);
    await new Promise((r) => setTimeout(r, 100));
  }
  base = `http://127.0.0.1:${serverLog.match(/\(port (\d+)\)/)[1]}`;
  while (!serverLog.includes("demo logins")) await new Promise((r) => setTimeout(r, 100));
}

async function api(path, { token, method = "GET", body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const r = await fetch(base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, headers: r.headers, json, text };
}
async function login(user, password) {
  const r = await api("/api/v1/login", { method: "POST", body: { user, password } });
  if (r.status !== 201) throw new Error(`login ${user}: ${r.status}`);
  return r.json.token;
}

// ---- a small test runner ----------------------------------------------------------------
// A test that alters requests with route() blocks the service worker: a request the worker
// has seen may reach the network without passing the route (Playwright's documented limit),
// which made a test flaky whenever the worker took control of the page in time.
const tests = [];
const test = (name, fn) => tests.push({ name, fn });
function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
}
function equal(a, b, what) {
  if (a !== b) throw new Error(`${what}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
}
let browser;
async function context(opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...opts });
  const outside = [];
  const cspErrors = [];
  ctx.on("request", (req) => {
    if (!req.url().startsWith(base) && !req.url().startsWith("blob:") && !req.url().startsWith("data:")) outside.push(req.url());
  });
  ctx.on("page", (p) => watch(p, cspErrors));
  ctx.outside = outside;
  ctx.cspErrors = cspErrors;
  return ctx;
}
function watch(page, errors) {
  page.on("console", (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push("page error: " + e.message));
}
async function signIn(page, user, password) {
  await page.goto(base + "/login");
  await page.fill('input[name="user"]', user);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL(base + "/"), page.click('button[type="submit"]')]);
}
const measures = {};

// A small PNG (1x1), with bytes after its end so that each copy has its own hash.
function png(n) {
  const b = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
  return Buffer.concat([b, Buffer.from(`#${n}`)]);
}

async function fillReport(page, { notes, file }) {
  await page.selectOption('select[name="event_type"]', "Explosions/Remote violence");
  await page.selectOption('select[name="sub_event_type"]', "Air/drone strike");
  await page.fill('input[name="actor1"]', "Military Forces of Israel (2022-)");
  await page.fill('input[name="actor2"]', "Civilians (Palestine)");
  await page.fill('input[name="latitude"]', "31.5017");
  await page.fill('input[name="longitude"]', "34.4668");
  await page.fill('input[name="location"]', "Gaza City");
  await page.fill('input[name="injured"]', "2");
  await page.fill('textarea[name="notes"]', notes);
  await page.fill('input[name="source_name"]', "WAFA");
  await page.selectOption('select[name="source_reliability"]', "B");
  await page.selectOption('select[name="source_credibility"]', "2");
  if (file) await page.setInputFiles('input[name="evidence"]', file);
}
const outboxCount = (page) => page.locator('[data-testid="outbox-count"]').getAttribute("data-count").then(Number);
async function waitFor(fn, what, ms = 60000) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return;
    if (Date.now() - t0 > ms) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---- the tests --------------------------------------------------------------------------

test("headers_csp_etags_and_compression", async () => {
  const page = await api("/");
  equal(page.status, 200, "GET /");
  check(page.headers.get("content-security-policy").includes("default-src 'self'"), "CSP default-src 'self'");
  check(!/unsafe-inline|unsafe-eval/.test(page.headers.get("content-security-policy")), "no unsafe-inline or unsafe-eval");
  equal(page.headers.get("x-content-type-options"), "nosniff", "nosniff");
  equal(page.headers.get("cache-control"), "no-cache", "the HTML is revalidated");
  check(!/<script>|<style>| style=| on[a-z]+=/.test(page.text), "no inline script or style in the shell");
  const js = page.text.match(/src="(\/assets\/main-[^"]+\.js)"/)[1];
  const r = await fetch(base + js, { headers: { "Accept-Encoding": "br" } });
  equal(r.headers.get("content-encoding"), "br", "brotli when accepted");
  equal(r.headers.get("cache-control"), "public, max-age=31536000, immutable", "hashed files are immutable");
  const etag = r.headers.get("etag");
  const again = await fetch(base + js, { headers: { "Accept-Encoding": "br", "If-None-Match": etag } });
  equal(again.status, 304, "If-None-Match gets a 304");
  const gz = await fetch(base + js, { headers: { "Accept-Encoding": "gzip" } });
  equal(gz.headers.get("content-encoding"), "gzip", "gzip when brotli is not accepted");
  check(gz.headers.get("etag") !== etag, "each variant has its own tag");
  const sw = await fetch(base + "/sw.js");
  equal(sw.headers.get("cache-control"), "no-cache", "the service worker is revalidated");
  // Every page path serves the shell, in the language asked for.
  for (const p of ["/", "/incidents/1", "/login", "/report", "/monitor"]) {
    const x = await fetch(base + p + "?lang=he");
    equal(x.status, 200, p);
    check((await x.text()).includes('<html lang="he" dir="rtl">'), p + " in Hebrew, right to left");
    check((x.headers.get("set-cookie") || "").includes("truce_lang=he"), p + " remembers the language");
  }
  const remembered = await fetch(base + "/report", { headers: { Cookie: "truce_lang=ar", "Accept-Language": "en" } });
  check((await remembered.text()).includes('<html lang="ar" dir="rtl">'), "the cookie wins over Accept-Language");
  const accept = await fetch(base + "/report", { headers: { "Accept-Language": "he-IL,he;q=0.9,en;q=0.5" } });
  check((await accept.text()).includes('<html lang="he"'), "Accept-Language chooses when nothing else does");
  equal((await fetch(base + "/assets/nothing-here.js")).status, 404, "an unknown file is a 404");
});

test("report_filed_online", async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, "wfp", "demo-wfp");
  const token = await login("wfp", "demo-wfp");
  const before = (await api("/api/v1/reports?limit=1000", { token })).json.reports.length;
  await page.goto(base + "/report");
  const marker = "online-" + Date.now();
  await fillReport(page, { notes: marker });
  await page.click('button[type="submit"]');
  await waitFor(async () => (await page.locator('[data-testid="sent"]').count()) === 1 && (await outboxCount(page)) === 0, "the report to be sent");
  const id = Number(await page.locator('[data-testid="sent"]').getAttribute("data-id"));
  const after = (await api("/api/v1/reports?limit=1000", { token })).json.reports;
  equal(after.length, before + 1, "one report more on the server");
  const mine = after.filter((r) => (r.notes || "").includes(marker));
  equal(mine.length, 1, "the report, once");
  equal(mine[0].id, id, "the page shows the id the server gave it");
  equal(mine[0].sources[0].reliability, "B", "its source's grading");
  equal(mine[0].event_type, "Explosions/Remote violence", "the event type, sent in English");
  check(ctx.outside.length === 0, "nothing fetched from elsewhere: " + ctx.outside.join(" "));
  check(ctx.cspErrors.length === 0, "no CSP violations: " + ctx.cspErrors.join(" | "));
  await ctx.close();
});

test("three_reports_offline_reload_then_online_with_a_lost_reply", async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, "wfp", "demo-wfp");
  const token = await login("wfp", "demo-wfp");
  const before = (await api("/api/v1/reports?limit=1000", { token })).json.reports.length;
  await page.goto(base + "/report");
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  check(await page.evaluate(() => !!navigator.serviceWorker.controller), "the service worker controls the page");
  const persist = await page.locator('[data-testid="persist"]').getAttribute("data-persist");
  check(["yes", "no", "na"].includes(persist), "the page says whether storage is persistent");

  await ctx.setOffline(true);
  const marker = "offline-" + Date.now();
  for (let i = 1; i <= 3; i++) {
    await fillReport(page, { notes: `${marker} #${i}`, file: { name: `photo${i}.png`, mimeType: "image/png", buffer: png(`${marker}-${i}`) } });
    await page.click('button[type="submit"]');
    await waitFor(async () => (await outboxCount(page)) === i, `report ${i} saved on the device`, 10000);
    check((await page.locator('[data-testid="report-status"]').innerText()).includes("Saved on this device"), "the page says saved");
  }
  // A reload with no connection: the shell comes from the service worker, the outbox from
  // IndexedDB.
  await page.reload();
  await page.waitForSelector('[data-testid="outbox-count"]');
  equal(await outboxCount(page), 3, "three reports survive a reload offline");
  await page.screenshot({ path: join(ARTIFACTS, "outbox-offline.png"), fullPage: true });
  equal((await api("/api/v1/reports?limit=1000", { token })).json.reports.length, before, "nothing reached the server while offline");
  // The outbox exported to a file: the three reports, their keys and their photos.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("text=Export to a file")]);
  const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
  equal(exported.reports.length, 3, "the export holds the three reports");
  for (const r of exported.reports) {
    check(r.report.notes.startsWith(marker) && /^[0-9a-f-]{36}$/.test(r.idempotency_key), "each with its key");
    check(Buffer.from(r.files[0].base64, "base64").equals(png(`${marker}-${r.report.notes.slice(-1)}`)), "and its photo, byte for byte");
  }

  // Back online; the reply to the first report is lost after the server stored it.
  let dropped = 0;
  await ctx.route("**/api/v1/reports", async (route) => {
    if (route.request().method() === "POST" && !dropped) {
      dropped++;
      await route.fetch(); // the server files it...
      return route.abort("connectionreset"); // ...and the page never hears of it
    }
    return route.continue();
  });
  await ctx.setOffline(false);
  await page.evaluate(() => dispatchEvent(new Event("online")));
  await waitFor(async () => (await outboxCount(page)) === 0, "the outbox to empty", 90000);
  equal(dropped, 1, "one reply was lost");
  const after = (await api("/api/v1/reports?limit=1000", { token })).json.reports;
  const mine = after.filter((r) => (r.notes || "").startsWith(marker));
  equal(mine.length, 3, "exactly three reports on the server");
  equal(after.length, before + 3, "and nothing else");
  for (const r of mine) equal((r.evidence || []).length, 1, "each with its photo");
  await ctx.close();
});

test("first_load_budget_and_2g", async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  // 2G: 250 kbit/s each way, 300 ms round trips.
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 300, downloadThroughput: 250000 / 8, uploadThroughput: 250000 / 8 });
  let bytes = 0;
  const files = [];
  cdp.on("Network.loadingFinished", (e) => (bytes += e.encodedDataLength));
  cdp.on("Network.responseReceived", (e) => files.push(e.response.url.replace(base, "")));
  const t0 = Date.now();
  await page.goto(base + "/report");
  await page.waitForSelector('button[type="submit"]', { state: "visible" });
  await page.waitForSelector('select[name="event_type"] option[value="Battles"]', { state: "attached" });
  const usable = Date.now() - t0;
  await page.waitForLoadState("networkidle");
  const firstLoad = bytes;
  measures.report_first_load_bytes = firstLoad;
  measures.report_usable_ms_2g = usable;
  measures.report_files = files;
  writeFileSync(join(ARTIFACTS, "budget.json"), JSON.stringify(measures, null, 1));
  console.log(`  /report first load: ${firstLoad} bytes over the wire, usable after ${usable} ms on emulated 2G`);
  check(firstLoad <= 100 * 1024, `first load of /report transfers ${firstLoad} bytes, over the 100 KB budget`);
  await ctx.close();
});

// Each workspace's first load, everything over the wire with the cache off (the shell, the
// scripts, the styles, the API's answers), signed in as its user.
test("each_workspace_first_load_within_200_kb", async () => {
  const budget = {};
  for (const [path, user, pw] of [["/mediate?negotiation=1", "usa", "demo-usa"], ["/negotiate?negotiation=1", "israel", "demo-israel"], ["/aid", "wfp", "demo-wfp"], ["/comply", "usa", "demo-usa"], ["/monitor", "un", "demo-un-monitor"]]) {
    const ctx = await context();
    const page = await ctx.newPage();
    await signIn(page, user, pw);
    const cdp = await ctx.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((rs) => Promise.all(rs.map((r) => r.unregister()))));
    let bytes = 0;
    cdp.on("Network.loadingFinished", (e) => (bytes += e.encodedDataLength));
    await page.goto(base + path);
    await page.waitForSelector("main h1");
    await page.waitForLoadState("networkidle");
    budget[path] = bytes;
    check(bytes > 10000, `${path}: the measure saw the page load (${bytes} bytes)`);
    check(bytes <= 200 * 1024, `${path}: first load transfers ${bytes} bytes, over the 200 KB budget`);
    await ctx.close();
  }
  console.log("  workspaces' first loads (bytes): " + JSON.stringify(budget));
  measures.workspaces_first_load_bytes = budget;
  writeFileSync(join(ARTIFACTS, "budget-workspaces.json"), JSON.stringify(budget, null, 1));
});

test("arabic_and_hebrew_right_to_left_english_left_to_right", async () => {
  for (const lang of ["en", "ar", "he"]) {
    const ctx = await context();
    const page = await ctx.newPage();
    for (const path of ["/", "/report", "/login", "/comply", "/aid", "/mediate", "/negotiate"]) {
      await page.goto(`${base}${path}?lang=${lang}`);
      await page.waitForSelector("main h1");
      equal(await page.evaluate(() => document.documentElement.lang), lang, "html lang");
      const dir = await page.evaluate(() => document.documentElement.dir);
      equal(dir, lang === "en" ? "ltr" : "rtl", `${lang} ${path} direction`);
      // Mirrored: the heading and the brand start at the right in a right-to-left page.
      const h1 = await page.locator("main h1").boundingBox();
      const main = await page.locator("main").boundingBox();
      const brand = await page.locator(".brand").boundingBox();
      if (dir === "rtl") {
        check(h1.x + h1.width > main.x + main.width - 40, `${lang} ${path}: the heading starts at the right`);
        check(brand.x > 640, `${lang} ${path}: the brand is at the right`);
      } else {
        check(h1.x < main.x + 40, `${path}: the heading starts at the left`);
        check(brand.x < 640, `${path}: the brand is at the left`);
      }
      await page.screenshot({ path: join(ARTIFACTS, `${lang}${path.replace(/\//g, "_") || "_"}.png`) });
    }
    // The language is remembered: the next page without ?lang= keeps it.
    await page.goto(`${base}/login`);
    equal(await page.evaluate(() => document.documentElement.lang), lang, "the language is remembered");
    if (lang !== "en") {
      await page.goto(`${base}/report`);
      const text = await page.locator('select[name="event_type"] option[value="Battles"]').innerText();
      check(text !== "Battles", `${lang}: ACLED's event types are shown translated`);
    }
    check(ctx.cspErrors.length === 0, "no CSP violations: " + ctx.cspErrors.join(" | "));
    check(ctx.outside.length === 0, "nothing fetched from elsewhere: " + ctx.outside.join(" "));
    await ctx.close();
  }
});

// axe's serious and critical violations on the page as it stands.
const axe = (page) =>
  page.evaluate(async (src) => {
    if (!window.axe) (0, eval)(src);
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.filter((x) => x.impact === "serious" || x.impact === "critical").map((x) => `${x.id} (${x.impact}): ${x.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  }, axeSource);

test("axe_no_serious_or_critical_violations", async () => {
  const inc = (await api("/api/v1/incidents?limit=1")).json.incidents[0];
  const ctx = await context();
  const page = await ctx.newPage();
  const pages = ["/", `/incidents/${inc.id}`, "/login", "/report", "/comply", "/aid"];
  const found = [];
  const run = async (path) => {
    await page.goto(base + path);
    await page.waitForSelector("main h1");
    await page.waitForTimeout(300);
    for (const x of await axe(page)) found.push(`${path}: ${x}`);
  };
  for (const lang of ["en", "ar"]) for (const p of pages) await run(p + (p.includes("?") ? "&" : "?") + "lang=" + lang);
  await signIn(page, "un", "demo-un-monitor");
  await run("/monitor?lang=he");
  await signIn(page, "usa", "demo-usa");
  for (const lang of ["en", "he"]) await run(`/mediate?negotiation=1&lang=${lang}`);
  await signIn(page, "israel", "demo-israel");
  for (const lang of ["en", "ar"]) await run(`/negotiate?negotiation=1&lang=${lang}`);
  check(found.length === 0, "axe found:\n    " + found.join("\n    "));
  await ctx.close();
});

test("verify_this_record_passes_and_a_tampered_proof_fails", async () => {
  const inc = (await api("/api/v1/incidents?limit=1")).json.incidents[0];
  const ctx = await context({ serviceWorkers: "block" });
  const page = await ctx.newPage();
  await page.goto(`${base}/incidents/${inc.id}`);
  await page.click("button:has-text(\"Verify this record\")");
  const result = page.locator('[data-testid="verify-result"]');
  await waitFor(async () => /Verified|FAILED/.test(await result.innerText()), "the verification");
  const ok = await result.innerText();
  check(ok.startsWith("Verified: this record is entry"), "a real incident verifies: " + ok);
  check(ok.includes("Ed25519 signature is valid"), "it says what it checked");

  // The same check with one hash of the proof changed.
  await ctx.route("**/api/v1/log/proof/inclusion**", async (route) => {
    const resp = await route.fetch();
    const j = await resp.json();
    const h = j.proof[0];
    j.proof[0] = (h[0] === "0" ? "1" : "0") + h.slice(1);
    await route.fulfill({ response: resp, body: JSON.stringify(j) });
  });
  await page.reload();
  await page.click("button:has-text(\"Verify this record\")");
  await waitFor(async () => /Verified|FAILED/.test(await result.innerText()), "the verification");
  const bad = await result.innerText();
  check(bad.includes("Verification FAILED") && bad.includes("does not lead to the signed root"), "a tampered proof fails: " + bad);
  await ctx.close();
});

test("monitor_opens_takes_and_verifies_a_report", async () => {
  const token = await login("wfp", "demo-wfp");
  const marker = "monitor-" + Date.now();
  const filed = await api("/api/v1/reports", {
    token,
    method: "POST",
    body: { event_date: "2025-01-20", time_precision: 1, event_type: "Battles", sub_event_type: "Armed clash", actor1: "Hamas Movement", latitude: 31.52, longitude: 34.45, geo_precision: 1, location: marker },
  });
  equal(filed.status, 201, "a report to work on");
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, "un", "demo-un-monitor");
  await page.goto(base + "/monitor");
  const item = page.locator("li", { hasText: marker }).first();
  await item.locator("button").click();
  const row = page.locator("li[data-incident]", { hasText: marker });
  await row.waitFor();
  const id = Number(await row.getAttribute("data-incident"));
  await row.getByLabel("Reason").fill("assigning to myself");
  await row.locator("button", { hasText: "Take" }).click();
  const row2 = page.locator(`li[data-incident="${id}"]`);
  await row2.locator(".status", { hasText: "under investigation" }).waitFor();
  await row2.getByLabel("Reason").fill("two witnesses, photographs");
  await row2.locator("button", { hasText: "Verify" }).click();
  await waitFor(async () => (await api(`/api/v1/incidents/${id}`)).json?.status === "verified", "the incident to be verified");
  const hist = (await api(`/api/v1/incidents/${id}/history`)).json.events;
  check(hist.some((e) => e.body && e.body.reason === "two witnesses, photographs"), "the move's reason is in the record");
  await ctx.close();
});

test("anonymous_report_with_a_lost_reply_is_filed_once", async () => {
  const un = await login("un", "demo-un-monitor");
  const count = async () => (await api("/api/v1/reports?limit=1000", { token: un })).json.reports.filter((r) => r.org === "(public)");
  const before = (await count()).length;
  const ctx = await context({ serviceWorkers: "block" });
  const page = await ctx.newPage();
  await page.goto(base + "/report");
  check((await page.locator(".notice").first().innerText()).includes("anonymously"), "the page says the report is anonymous");
  check(await page.locator('input[name="evidence"]').isDisabled(), "files need an account");
  let dropped = 0;
  await ctx.route("**/api/v1/reports", async (route) => {
    if (route.request().method() === "POST" && !dropped++) {
      check(/^[0-9a-f-]{36}$/.test(route.request().headers()["idempotency-key"]), "a UUID key goes with it");
      await route.fetch();
      return route.abort("connectionreset");
    }
    return route.continue();
  });
  const marker = "anonymous-" + Date.now();
  await fillReport(page, { notes: marker });
  await page.click('button[type="submit"]');
  await waitFor(async () => (await page.locator('[data-testid="sent"]').count()) === 1, "the report to be sent", 60000);
  const mine = (await count()).filter((r) => (r.notes || "") === marker);
  equal(mine.length, 1, "filed once");
  equal((await count()).length, before + 1, "and nothing else");
  await ctx.close();
});

test("a_photo_in_pieces_resumes_after_a_dropped_piece", async () => {
  const ctx = await context({ serviceWorkers: "block" });
  const page = await ctx.newPage();
  await signIn(page, "wfp", "demo-wfp");
  await page.goto(base + "/report");
  // 600 KiB: three pieces of 256 KiB. The second is cut once.
  const big = Buffer.concat([png("big"), Buffer.alloc(600 * 1024, 7)]);
  const offsets = [];
  let cut = 0;
  await ctx.route("**/api/v1/evidence/uploads/**", async (route) => {
    if (route.request().method() !== "PATCH") return route.continue();
    const at = Number(route.request().headers()["upload-offset"]);
    offsets.push(at);
    if (at > 0 && !cut) {
      cut++;
      await route.fetch(); // the piece arrives...
      return route.abort("connectionreset"); // ...its reply does not
    }
    return route.continue();
  });
  const marker = "pieces-" + Date.now();
  await fillReport(page, { notes: marker, file: { name: "big.png", mimeType: "image/png", buffer: big } });
  await page.click('button[type="submit"]');
  await waitFor(async () => (await page.locator('[data-testid="sent"]').count()) === 1, "the report to be sent", 60000);
  const token = await login("wfp", "demo-wfp");
  const rep = (await api("/api/v1/reports?limit=1000", { token })).json.reports.find((r) => r.notes === marker);
  check(rep && rep.evidence.length === 1, "the report carries its file");
  const file = await fetch(`${base}/api/v1/evidence/${rep.evidence[0]}`, { headers: { Authorization: `Bearer ${token}` } });
  equal(file.status, 200, "the file is stored");
  check(Buffer.from(await file.arrayBuffer()).equals(big), "whole, byte for byte");
  equal(cut, 1, "one piece's reply was lost");
  // Every piece sent once but the one whose reply was lost: after it, the page asked where
  // to resume and went on from there, never from 0.
  equal(offsets.filter((o) => o === 0).length, 1, "never started again from 0: " + offsets.join(","));
  await ctx.close();
});

test("the_outbox_survives_a_browser_restart_and_an_app_update", async () => {
  // A server of its own, serving the app from a directory this test can update, on a port
  // it can serve again after the update (the same origin keeps the same IndexedDB).
  const db = newDb("restart");
  await new Promise((res, rej) => {
    const p = spawn(BIN, ["demo", "--no-serve", "--db", db], { stdio: "ignore", env: { ...process.env, TRUCE_PWHASH: "min" } });
    p.on("exit", (c) => (c === 0 ? res() : rej(new Error("demo --no-serve: " + c))));
  });
  const assets = join(dir, "assets");
  cpSync(join(dirname(BIN), "web"), assets, { recursive: true });
  const serve = async (port) => {
    const p = spawn(BIN, ["serve", "--db", db, "--listen", `127.0.0.1:${port}`, "--assets-dir", assets, "--no-access-log"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TRUCE_PWHASH: "min" } });
    let log = "";
    p.stderr.on("data", (d) => (log += d));
    p.stdout.on("data", (d) => (log += d));
    for (let i = 0; !/\(port (\d+)\)/.test(log); i++) {
      if (p.exitCode !== null || i > 300) throw new Error("serve did not start: " + log);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { p, url: `http://127.0.0.1:${log.match(/\(port (\d+)\)/)[1]}` };
  };
  const stop = (srv) => new Promise((r) => (srv.p.kill("SIGTERM"), srv.p.on("exit", r)));
  let srv = await serve(0);
  const url = srv.url;
  const profile = join(dir, "profile");
  const launch = () =>
    chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  let ctx = await launch();
  let page = ctx.pages()[0] || (await ctx.newPage());
  await page.goto(url + "/login");
  await page.fill('input[name="user"]', "wfp");
  await page.fill('input[name="password"]', "demo-wfp");
  await Promise.all([page.waitForURL(url + "/"), page.click('button[type="submit"]')]);
  await page.goto(url + "/report");
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  const oldCaches = await page.evaluate(() => caches.keys());
  await ctx.setOffline(true);
  const marker = "restart-" + Date.now();
  await fillReport(page, { notes: marker });
  await page.click('button[type="submit"]');
  await waitFor(async () => (await outboxCount(page)) === 1, "the report saved on the device", 10000);
  await ctx.close(); // the browser quits

  // A new build of the app: another service worker version.
  await stop(srv);
  const swPath = join(assets, "sw.js");
  const sw = readFileSync(swPath, "utf8");
  const version = sw.match(/truce-([0-9a-f]{16})/)[1];
  writeFileSync(swPath, sw.replace(version, "0123456789abcdef"));

  ctx = await launch(); // the browser starts again, still offline
  page = ctx.pages()[0] || (await ctx.newPage());
  await ctx.setOffline(true);
  await page.goto(url + "/report");
  await page.waitForSelector('[data-testid="outbox-count"]');
  equal(await outboxCount(page), 1, "the report survives the browser's restart");

  srv = await serve(Number(new URL(url).port)); // back, with the update
  await ctx.setOffline(false);
  await page.reload();
  await waitFor(async () => (await page.evaluate(() => caches.keys())).includes("truce-0123456789abcdef"), "the new worker", 30000);
  await waitFor(async () => !(await page.evaluate(() => caches.keys())).some((k) => oldCaches.includes(k) && k !== "truce-pages"), "the old cache to go", 30000);
  await page.reload();
  await page.waitForSelector('[data-testid="outbox-count"]');
  await waitFor(async () => (await outboxCount(page)) === 0, "the report to be sent after the update", 60000);
  const token = (await (await fetch(url + "/api/v1/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user: "wfp", password: "demo-wfp" }) })).json()).token;
  const reps = (await (await fetch(url + "/api/v1/reports?limit=1000", { headers: { Authorization: `Bearer ${token}` } })).json()).reports;
  equal(reps.filter((r) => r.notes === marker).length, 1, "the report reached the server once");
  await ctx.close();
  await stop(srv);
});

test("two_tabs_send_the_outbox_once", async () => {
  const ctx = await context();
  const a = await ctx.newPage();
  await signIn(a, "wfp", "demo-wfp");
  await a.goto(base + "/report");
  const b = await ctx.newPage();
  await b.goto(base + "/report");
  await ctx.setOffline(true);
  const marker = "tabs-" + Date.now();
  for (let i = 1; i <= 2; i++) {
    await fillReport(a, { notes: `${marker} #${i}` });
    await a.click('button[type="submit"]');
    await waitFor(async () => (await outboxCount(a)) === i, `report ${i} saved`, 10000);
  }
  await waitFor(async () => (await outboxCount(b)) === 2, "the other tab to see the outbox", 10000);
  // From now on (tries made offline fail before the network), every POST of a report, by key: each must be sent once (a second would be a replay).
  const posts = {};
  await ctx.route("**/api/v1/reports", async (route) => {
    const req = route.request();
    if (req.method() === "POST") {
      const k = req.headers()["idempotency-key"];
      posts[k] = (posts[k] || 0) + 1;
      await new Promise((r) => setTimeout(r, 300)); // a slow link: both tabs try meanwhile
    }
    return route.continue();
  });
  await ctx.setOffline(false);
  await Promise.all([a.evaluate(() => dispatchEvent(new Event("online"))), b.evaluate(() => dispatchEvent(new Event("online")))]);
  await waitFor(async () => (await outboxCount(a)) === 0 && (await outboxCount(b)) === 0, "the outbox to empty in both tabs", 60000);
  const keys = Object.keys(posts);
  equal(keys.length, 2, "two reports sent");
  for (const k of keys) equal(posts[k], 1, "each sent by one tab, once");
  await ctx.close();
});

test("a_finding_answered_by_the_party_and_decided_by_a_mediator", async () => {
  const list = (await api("/api/v1/agreements")).json.agreements;
  const ag = list[list.length - 1];
  const obs = (await api(`/api/v1/agreements/${ag.id}/obligations`)).json.obligations;
  const ob = obs.find((o) => o.party === "israel" && o.state === "breached" && o.finding === "provisional");
  check(ob, "a provisional breach of Israel's to answer");
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, "israel", "demo-israel");
  await page.goto(base + "/comply?lang=en");
  const item = page.locator(`details[data-obligation="${ob.id}"]`);
  await item.locator("summary").click();
  await item.locator('select[name="position"]').selectOption("exception");
  await item.locator('textarea[name="text"]').fill("self-defence against an imminent threat");
  await item.locator("button", { hasText: "Answer this finding" }).click();
  await item.locator("[data-response]").waitFor();
  let now = (await api(`/api/v1/obligations/${ob.id}`)).json;
  check(now.overlays.includes("disputed"), "answered: the finding is disputed");
  equal(now.responses[0].position, "exception", "the answer's position");
  check((await item.locator('select[name="outcome"]').count()) === 0, "a party cannot decide");
  await ctx.close();

  const ctx2 = await context();
  const p2 = await ctx2.newPage();
  await signIn(p2, "usa", "demo-usa");
  await p2.goto(base + "/comply?lang=ar");
  const it2 = p2.locator(`details[data-obligation="${ob.id}"]`);
  await it2.locator("summary").click();
  check((await it2.locator("[data-response]").innerText()).includes("self-defence"), "the mediator reads the party's answer");
  check((await it2.locator('select[name="position"]').count()) === 0, "a mediator cannot answer for the party");
  await it2.locator('select[name="outcome"]').selectOption("upheld");
  await it2.locator('textarea[name="reason"]').fill("no imminent threat was shown");
  await it2.locator('form[aria-label] button[type="submit"]').click();
  await it2.locator("[data-decision]").waitFor();
  now = (await api(`/api/v1/obligations/${ob.id}`)).json;
  equal(now.finding, "upheld", "the finding is upheld");
  check(!now.overlays.includes("disputed"), "and no longer disputed");
  check((await p2.locator('[data-testid="scorecard"]').innerText()).length > 0, "the scorecard is shown");
  check(ctx2.cspErrors.length === 0, "no CSP violations: " + ctx2.cspErrors.join(" | "));
  await ctx2.close();
});

test("a_crossing_operator_moves_twenty_trucks_at_once", async () => {
  const wfp = await login("wfp", "demo-wfp");
  const israel = await login("israel", "demo-israel");
  const ref = "UTN-WEB-" + Date.now();
  const req = await api("/api/v1/aid/requests", { token: wfp, method: "POST", body: { ref, crossing: "kerem-shalom", destination: "gaza", lines: [{ category: "food", trucks: 20, pallets: 340, tonnes: 256 }] } });
  equal(req.status, 201, "a request");
  equal((await api(`/api/v1/aid/requests/${req.json.id}/transitions`, { token: israel, method: "POST", body: { to: "cleared" } })).status, 200, "cleared");
  const d = await api(`/api/v1/aid/requests/${req.json.id}/trucks`, { token: wfp, method: "POST", body: { count: 20, category: "food", pallets: 17, tonnes: 12.8 } });
  equal(d.status, 201, "twenty dispatched");
  const ids = d.json.trucks;
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, "israel", "demo-israel");
  await page.goto(base + "/aid?lang=he");
  await page.locator('button[data-stage="dispatched"]').click();
  for (const id of ids) await page.locator(`input[name="truck"][value="${id}"]`).check();
  await page.selectOption("#move-to", "at_crossing");
  await page.locator('form[aria-label] button[type="submit"]').click();
  await waitFor(async () => /20/.test(await page.locator('[data-testid="move-status"]').innerText()), "the move to be reported");
  const trucks = (await api(`/api/v1/aid/trucks?request=${req.json.id}`, { token: wfp })).json.trucks;
  equal(trucks.length, 20, "twenty truckloads");
  check(trucks.every((t) => t.state === "at_crossing"), "all twenty at the crossing");
  // Offline: the next move of all twenty waits on the device, then goes when the link returns.
  await waitFor(async () => {
    await page.locator('button[data-stage="at_crossing"]').click(); // once the list is reloaded
    return (await page.locator(`input[name="truck"][value="${ids[19]}"]`).count()) === 1;
  }, "the list to show them at the crossing");
  for (const id of ids) await page.locator(`input[name="truck"][value="${id}"]`).check();
  await ctx.setOffline(true);
  await page.selectOption("#move-to", "screened");
  await page.locator('form[aria-label] button[type="submit"]').click();
  await waitFor(async () => (await page.locator('[data-testid="moves-pending"]').getAttribute("data-count")) === "1", "the move kept on the device", 10000);
  check((await api(`/api/v1/aid/trucks?request=${req.json.id}`, { token: wfp })).json.trucks.every((t) => t.state === "at_crossing"), "nothing moved while offline");
  await ctx.setOffline(false);
  await page.evaluate(() => dispatchEvent(new Event("online")));
  await waitFor(async () => (await page.locator('[data-testid="moves-pending"]').getAttribute("data-count")) === "0", "the move to be sent", 60000);
  const screened = (await api(`/api/v1/aid/trucks?request=${req.json.id}`, { token: wfp })).json.trucks;
  check(screened.every((t) => t.state === "screened"), "all twenty screened once back online");
  // The requester may not move them through the operator's step: the page shows the refusal.
  const ctx2 = await context();
  const p2 = await ctx2.newPage();
  await signIn(p2, "wfp", "demo-wfp");
  await p2.goto(base + "/aid");
  await p2.locator('button[data-stage="screened"]').click();
  await p2.locator(`input[name="truck"][value="${ids[0]}"]`).check();
  await p2.locator('form[aria-label] button[type="submit"]').click();
  await waitFor(async () => (await p2.locator('[data-testid="move-status"] .bad').count()) === 1, "the refusal");
  equal((await api(`/api/v1/aid/trucks/${ids[0]}`, { token: wfp })).json.state, "screened", "nothing moved");
  await ctx.close();
  await ctx2.close();
});

test("a_mediator_sees_the_frontier_a_party_does_not", async () => {
  const usa = await login("usa", "demo-usa");
  const a = (await api("/api/v1/negotiations/1/analysis", { token: usa })).json;
  check(a.available && a.frontier.length === a.frontier_size, "the analysis has its frontier");
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, "usa", "demo-usa");
  await page.goto(base + "/mediate?negotiation=1&lang=ar");
  await page.locator('[data-testid="analysis"] [data-testid="frontier"]').waitFor();
  equal(await page.locator('[data-testid="analysis"] circle[data-frontier]').count(), a.frontier_size, "every frontier point drawn");
  equal(await page.locator('[data-testid="analysis"] circle[data-point="nash"]').count(), 1, "the Nash point drawn");
  equal(await page.evaluate(() => getComputedStyle(document.querySelector(".frontier")).direction), "ltr", "the chart stays left to right in an Arabic page");
  check(ctx.cspErrors.length === 0, "no CSP violations: " + ctx.cspErrors.join(" | "));
  await ctx.close();
  // A party: no analysis asked for, none shown.
  const ctx2 = await context();
  const p2 = await ctx2.newPage();
  const asked = [];
  p2.on("request", (r) => r.url().includes("/analysis") && asked.push(r.url()));
  await signIn(p2, "israel", "demo-israel");
  await p2.goto(base + "/mediate?negotiation=1");
  await p2.locator("main h1").waitFor();
  equal(await p2.locator('[data-testid="frontier"]').count(), 0, "no chart for a party");
  equal(asked.length, 0, "the page does not even ask");
  await ctx2.close();
});

// The page signs the canonical form of the agreement as web/src/sign.js writes it; truce
// signs it as src/json/jsx.c does. Ed25519 is deterministic: the same key over the same bytes
// gives the same signature, so equal signatures on random documents (every escape, Arabic,
// Hebrew, combining marks, characters beyond the BMP that UTF-16 and UTF-8 order
// differently) prove the two write the same bytes.
test("canonical_json_in_the_page_is_what_truce_signs", async () => {
  const { canonical } = await import("../../web/src/sign.js");
  const keyfile = join(dir, "canonical.key");
  equal(spawnSync(BIN, ["keygen", "--out", keyfile]).status, 0, "truce keygen");
  const seed = Buffer.from(readFileSync(keyfile, "utf8").split("\n")[1], "base64");
  const priv = createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
  const words = ["plain", "قطاع غزة", "עזה", "🕊️ dove", "\uff5e wave", "quote \" back \\ slash /", "ctl \u0001\u001f\b\f\n\r\t", "\u007f del", "é", "e\u0301", "\u2028\u2029", "Z", "a", "", "aa", "a\u0000".slice(0, 1) + "b"];
  let seedN = 7; // mulberry32
  const rnd = (n) => {
    let x = (seedN = (seedN + 0x6d2b79f5) | 0);
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return (((x ^ (x >>> 14)) >>> 0) % n);
  };
  const value = (depth) => {
    const k = rnd(depth > 2 ? 4 : 7);
    if (k === 0) return words[rnd(words.length)];
    if (k === 1) return rnd(2) ? rnd(1e9) - 5e8 : Number.MAX_SAFE_INTEGER - rnd(10);
    if (k === 2) return [true, false, null][rnd(3)];
    if (k === 3) return words[rnd(words.length)] + words[rnd(words.length)];
    if (k === 4 || k === 5) {
      const o = {};
      for (let i = rnd(6); i > 0; i--) o[words[rnd(words.length)] + (rnd(3) ? "" : words[rnd(words.length)])] = value(depth + 1);
      return o;
    }
    return Array.from({ length: rnd(4) }, () => value(depth + 1));
  };
  for (let i = 0; i < 40; i++) {
    // The first holds every word as a key and as a value; the rest are random.
    const every = Object.fromEntries(words.concat(["9", "10"]).map((w) => [w, w]));
    const agreement = i ? { id: i, title: words[rnd(words.length)], terms: value(0), parties: ["israel", "hamas"], extra: value(0) } : { id: 0, terms: every };
    const file = join(dir, `canonical-${i}.json`);
    writeFileSync(file, JSON.stringify({ agreement }));
    const r = spawnSync(BIN, ["sign", "--key", keyfile, file], { encoding: "utf8" });
    equal(r.status, 0, "truce sign: " + r.stderr);
    const mine = edSign(null, Buffer.from(canonical(agreement), "utf8"), priv).toString("base64");
    equal(mine, r.stdout.trim(), `document ${i}: ${canonical(agreement).slice(0, 120)}`);
  }
});

// A negotiation played through the pages by three browsers: the mediator opens it, the
// parties put their profiles, a one-sided draft is refused then sent with an override, the
// parties answer per term, a second version is accepted, the agreement is drafted and both
// parties sign in their browsers (one with a key made there, one with a `truce keygen`
// file); `truce agreement verify` accepts the downloaded document. Israel's browser never
// receives Hamas's profile or its comments for the mediators (every response body swept).
test("a_whole_negotiation_in_three_browsers_ending_in_a_verified_agreement", async () => {
  const SECRET = "HAMAS-PRIVATE-7731", RESERVATION = "0.1371", OVERRIDE = "OVERRIDE-MARKER-5520", RELAY = "relayed-note-4412";
  const usa = await login("usa", "demo-usa");
  // The mediator's browser alters a reply on its way (route): no service worker in front of it.
  const [cm, ci, ch] = await Promise.all([context({ serviceWorkers: "block" }), context(), context()]);
  const [m, pi, ph] = await Promise.all([cm.newPage(), ci.newPage(), ch.newPage()]);
  const israelSaw = [];
  pi.on("response", (r) => r.text().then((b) => israelSaw.push(r.url() + " " + b), () => {}));
  await signIn(m, "usa", "demo-usa");
  await signIn(pi, "israel", "demo-israel");
  await signIn(ph, "hamas", "demo-hamas");

  // The mediator opens the negotiation.
  await m.goto(base + "/mediate");
  await m.locator('[data-testid="open-negotiation"] summary').click();
  await m.fill('input[name="title"]', "Crossings and withdrawal (browser)");
  await m.check('input[name="parties"][value="israel"]');
  await m.check('input[name="parties"][value="hamas"]');
  check(await m.isChecked('input[name="mediators"][value="usa"]'), "the mediator's own organization is ticked");
  await m.fill('textarea[name="issues"]', "Trucks a day: 200, 400, 600\nWithdrawal: none, partial, full");
  await m.locator('[data-testid="open-negotiation"] button[type="submit"]').click();
  await waitFor(async () => (await api("/api/v1/negotiations", { token: usa })).json.negotiations.some((n) => n.title.includes("(browser)")), "the negotiation opened");
  const nid = (await api("/api/v1/negotiations", { token: usa })).json.negotiations.find((n) => n.title.includes("(browser)")).id;
  await m.locator('[data-testid="compose"]').waitFor();

  // Israel's profile: weights typed as 3 and 7, shown summing to 10, made to sum to one.
  await pi.goto(`${base}/negotiate?negotiation=${nid}`);
  await pi.locator('[data-testid="profile"]').waitFor();
  await pi.fill('input[name="w:Trucks a day"]', "3");
  await pi.fill('input[name="w:Withdrawal"]', "7");
  equal(await pi.locator('[data-testid="weight-sum"]').getAttribute("data-sum"), "10", "the sum shown");
  await pi.click("text=Make them sum to one");
  equal(await pi.locator('[data-testid="weight-sum"]').getAttribute("data-sum"), "1", "the sum made one");
  await pi.fill('input[name="v:Withdrawal:partial"]', "0.6");
  await pi.fill('input[name="reservation"]', "0.2");
  await pi.click('[data-testid="save-profile"]');
  await pi.locator('[data-testid="profile-saved"]').waitFor();
  // Hamas's, in Arabic, with a red line.
  await ph.goto(`${base}/negotiate?negotiation=${nid}&lang=ar`);
  await ph.locator('[data-testid="profile"]').waitFor();
  const vals = { "Trucks a day": { 200: "0", 400: "0.7", 600: "1" }, Withdrawal: { none: "0", partial: "0.5", full: "1" } };
  await ph.fill('input[name="w:Trucks a day"]', "0.6");
  await ph.fill('input[name="w:Withdrawal"]', "0.4");
  for (const [i, o] of Object.entries(vals)) for (const [k, v] of Object.entries(o)) await ph.fill(`input[name="v:${i}:${k}"]`, v);
  await ph.check('input[name="r:Withdrawal:none"]');
  await ph.fill('input[name="reservation"]', RESERVATION);
  await ph.click('[data-testid="save-profile"]');
  await ph.locator('[data-testid="profile-saved"]').waitFor();
  equal((await axe(ph)).join("\n"), "", "axe on the profile editor in Arabic");
  await ph.screenshot({ path: join(ARTIFACTS, "negotiate-profile-ar.png"), fullPage: true });
  const hamasToken = await ph.evaluate(() => localStorage.getItem("truce.token"));
  const hp = (await api(`/api/v1/negotiations/${nid}/profile`, { token: hamasToken })).json;
  equal(hp.reservation, 0.1371, "Hamas's reservation as typed");
  equal(hp.values.Withdrawal.partial, 0.5, "a value as typed");
  equal(JSON.stringify(hp.red_lines), '{"Withdrawal":["none"]}', "the red line");
  check(Math.abs(hp.weights["Trucks a day"] + hp.weights.Withdrawal - 1) < 1e-12, "weights saved summing to one");

  // A diktat: refused as one-sided, with the draft on the chart; then sent with an override.
  await m.goto(`${base}/mediate?negotiation=${nid}`);
  await m.locator('[data-testid="frontier"]').waitFor();
  await m.selectOption('select[name="pkg:Trucks a day"]', "200");
  await m.selectOption('select[name="pkg:Withdrawal"]', "none");
  await m.fill('input[name="why:Trucks a day"]', "as at the crossing today");
  await m.click('[data-testid="save-text"]');
  await m.locator('[data-testid="refused"]').waitFor();
  equal(await m.locator('[data-testid="refused"] [data-testid="why"]').innerText(),
    "it is unacceptable to hamas (below the reservation value or across a red line).", "the reason, in the page's words, names who loses");
  check((await m.locator('[data-testid="refused"] details p[lang="en"]').textContent()).includes("unacceptable to hamas"), "the engine's own words beneath");
  equal(await m.locator('[data-testid="refused"] path[data-point="draft"]').count(), 1, "the draft drawn on the frontier");
  equal((await api(`/api/v1/negotiations/${nid}`, { token: usa })).json.versions.length, 0, "nothing saved");
  equal((await axe(m)).join("\n"), "", "axe on the refused draft");
  await m.screenshot({ path: join(ARTIFACTS, "mediate-refused.png"), fullPage: true });
  await m.fill('textarea[name="override_reason"]', OVERRIDE + " opening position");
  await m.click('[data-testid="save-text"]');
  await m.locator('details[data-version="1"] [data-testid="verdict"][data-one-sided="true"]').waitFor();
  await m.click('details[data-version="1"] [data-testid="send-all"]');
  await waitFor(async () => (await api(`/api/v1/negotiations/${nid}/texts/1`, { token: usa })).json.sent_to.length === 2, "version 1 sent");
  equal((await api(`/api/v1/negotiations/${nid}/texts/1`, { token: usa })).json.override_reason, OVERRIDE + " opening position", "the override kept");

  // The parties see what it is worth to them (their own profile only) and answer per term.
  await pi.reload();
  const wi = pi.locator('details[data-version="1"] [data-testid="worth"]');
  await wi.waitFor();
  equal(Number(await wi.getAttribute("data-utility")), 1, "version 1 is Israel's best (0.3·1 + 0.7·1)");
  await pi.locator('details[data-version="1"] [data-testid="answer"] button[type="submit"]').click();
  await pi.locator('details[data-version="1"] summary:has-text("Accept")').waitFor();
  await ph.reload();
  const wh = ph.locator('details[data-version="1"] [data-testid="worth"]');
  await wh.waitFor();
  equal(await wh.getAttribute("data-acceptable"), "false", "the diktat crosses Hamas's red line");
  const ah = ph.locator('details[data-version="1"] [data-testid="answer"]');
  await ah.locator('select[name="stance:Trucks a day"]').selectOption("counter");
  await ah.locator('select[name="counter:Trucks a day"]').selectOption("600");
  await ah.locator('input[name="comment:Trucks a day"]').fill(SECRET);
  await ah.locator('select[name="stance:Withdrawal"]').selectOption("reject");
  await ah.locator('input[name="comment:Withdrawal"]').fill(RELAY);
  await ah.locator('select[name="vis:Withdrawal"]').selectOption("relay");
  await ah.locator('input[name="overall"][value="reject"]').check();
  await ah.locator('button[type="submit"]').click();
  await waitFor(async () => (await api(`/api/v1/negotiations/${nid}/texts/1`, { token: usa })).json.responses.hamas, "Hamas's answer");

  // The mediator sees both answers side by side, the comment for the mediators included,
  // and composes a second version that the engine does not flag.
  await m.reload();
  const answers = m.locator('details[data-version="1"] [data-testid="answers"]');
  await answers.waitFor();
  equal(await answers.locator('td[data-party="israel"]').getAttribute("data-overall"), "accept", "Israel accepted");
  equal(await answers.locator('td[data-party="hamas"]').getAttribute("data-overall"), "reject", "Hamas rejected");
  check((await answers.innerText()).includes(SECRET), "the mediators read the comment meant for them");
  await m.selectOption('select[name="pkg:Trucks a day"]', "400");
  await m.selectOption('select[name="pkg:Withdrawal"]', "partial");
  await m.fill('input[name="why:Trucks a day"]', "400 trucks a day through Kerem Shalom and Rafah");
  await m.click('[data-testid="save-text"]');
  await m.locator('details[data-version="2"] [data-testid="verdict"][data-one-sided="false"]').waitFor();
  await m.click('details[data-version="2"] [data-testid="send-all"]');
  await waitFor(async () => (await api(`/api/v1/negotiations/${nid}/texts/2`, { token: usa })).json.sent_to.length === 2, "version 2 sent");

  // Both accept version 2. Israel sees Hamas's relayed comment on version 1, nothing else.
  await pi.reload();
  await pi.locator('details[data-version="2"] [data-testid="worth"]').waitFor();
  equal(Number(await pi.locator('details[data-version="2"] [data-testid="worth"]').getAttribute("data-utility")).toFixed(6), (0.3 * 0.5 + 0.7 * 0.6).toFixed(6), "Israel's worth of version 2");
  check((await pi.locator('details[data-version="1"]').textContent()).includes(RELAY), "the relayed comment reaches Israel");
  await pi.locator('details[data-version="2"] [data-testid="answer"] button[type="submit"]').click();
  await ph.reload();
  await ph.locator('details[data-version="2"] [data-testid="answer"]').waitFor();
  await ph.locator('details[data-version="2"] [data-testid="answer"] button[type="submit"]').click();
  await waitFor(async () => {
    const r = (await api(`/api/v1/negotiations/${nid}/texts/2`, { token: usa })).json.responses;
    return r.israel && r.hamas && r.israel.overall === "accept" && r.hamas.overall === "accept";
  }, "both accepted version 2");

  // The agreement, drafted from version 2.
  await m.reload();
  await m.locator('[data-testid="draft-agreement"]').waitFor();
  await m.locator('[data-testid="draft-agreement"] button[type="submit"]').click();
  await m.locator("[data-agreement]").waitFor();
  const aid = Number(await m.locator("[data-agreement]").getAttribute("data-agreement"));
  equal(await m.locator("[data-agreement]").getAttribute("data-state"), "drafted", "drafted");

  // Israel signs with a key made in its browser; it cannot be read out.
  await pi.reload();
  await pi.locator('[data-testid="make-key"]').click();
  const pkIsrael = await pi.locator('[data-testid="public-key"]').innerText();
  await pi.locator('[data-testid="register"]').click();
  await pi.locator('[data-testid="sign"]').click();
  await pi.locator('[data-testid="signatures"] li[data-party="israel"][data-signed="yes"][data-valid="true"]').waitFor();
  const locked = await pi.evaluate(async () => {
    const d = await new Promise((ok) => (indexedDB.open("truce-keys").onsuccess = (e) => ok(e.target.result)));
    const k = await new Promise((ok) => (d.transaction("keys").objectStore("keys").get("israel").onsuccess = (e) => ok(e.target.result)));
    try {
      await crypto.subtle.exportKey("pkcs8", k.privateKey);
      return "exported";
    } catch (e) {
      return `${k.privateKey.extractable}:${e.name}`;
    }
  });
  equal(locked, "false:InvalidAccessError", "the private key cannot be exported");
  // Hamas signs with a key from `truce keygen`.
  const keyfile = join(dir, "hamas-browser.key");
  const kg = spawnSync(BIN, ["keygen", "--out", keyfile], { encoding: "utf8" });
  equal(kg.status, 0, "truce keygen");
  await ph.reload();
  await ph.setInputFiles('input[name="keyfile"]', keyfile);
  equal(await ph.locator('[data-testid="public-key"]').innerText(), kg.stdout.trim(), "the file's public key");
  await ph.locator('[data-testid="register"]').click();
  await ph.locator('[data-testid="sign"]').click();
  await ph.locator('[data-agreement][data-state="in_force"]').waitFor();
  await ph.locator('[data-testid="signatures"] li[data-party="israel"][data-valid="true"]').waitFor();
  await ph.locator('[data-testid="signatures"] li[data-party="hamas"][data-valid="true"]').waitFor();
  equal((await axe(ph)).join("\n"), "", "axe on the signed agreement in Arabic");
  await ph.screenshot({ path: join(ARTIFACTS, "negotiate-signed-ar.png"), fullPage: true });
  const [download] = await Promise.all([ph.waitForEvent("download"), ph.click('[data-testid="download"]')]);
  const file = join(dir, "agreement-signed.json");
  await download.saveAs(file);
  const doc = JSON.parse(readFileSync(file, "utf8"));
  equal(doc.id, aid, "the agreement downloaded");
  equal(doc.signatures.find((x) => x.org === "israel").public_key, pkIsrael, "Israel's browser key signed");
  equal(doc.signatures.find((x) => x.org === "hamas").public_key, kg.stdout.trim(), "Hamas's file key signed");
  const v = spawnSync(BIN, ["agreement", "verify", file], { encoding: "utf8" });
  equal(v.status, 0, "truce agreement verify accepts it: " + v.stderr);
  const tampered = join(dir, "agreement-tampered.json");
  writeFileSync(tampered, JSON.stringify({ ...doc, agreement: { ...doc.agreement, effective: "2031-01-01" } }));
  equal(spawnSync(BIN, ["agreement", "verify", tampered]).status, 1, "and refuses it altered");
  // The mediator's page checks the signatures too; a document altered on its way fails.
  await m.route(`**/api/v1/agreements/${aid}`, async (route) => {
    const r = await route.fetch();
    const j = await r.json();
    j.agreement.terms["Trucks a day"] = "600 trucks a day";
    await route.fulfill({ response: r, json: j });
  });
  await m.reload();
  await m.locator('[data-testid="signatures"] li[data-party="hamas"][data-valid="false"]').waitFor();
  equal(await m.locator('[data-testid="neg-state"]').innerText(), "agreed", "the negotiation agreed");

  // The sweep: nothing of Hamas's profile, its comments for the mediators or the mediators'
  // override reason ever reached Israel's browser.
  await pi.reload();
  await pi.locator("[data-agreement]").waitFor();
  const text = await pi.locator("body").innerText();
  for (const mark of [SECRET, RESERVATION, OVERRIDE]) {
    check(!text.includes(mark), `Israel's page shows ${mark}`);
    const hit = israelSaw.find((b) => b.includes(mark));
    check(!hit, `Israel's browser received ${mark}: ${hit && hit.slice(0, 200)}`);
  }
  check(israelSaw.length > 20, "the sweep saw Israel's traffic");
  for (const c of [cm, ci, ch]) {
    check(c.cspErrors.length === 0, "no CSP violations: " + c.cspErrors.join(" | "));
    check(c.outside.length === 0, "nothing fetched from elsewhere");
    await c.close();
  }
});

// ---- main ---------------------------------------------------------------------------------
const only = process.argv.slice(2);
let passed = 0, failed = 0;
const failures = [];
try {
  await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  console.log(`[==========] Running ${tests.length} browser tests (chromium ${browser.version()}, playwright-core ${require("playwright-core/package.json").version}) against ${base}`);
  for (const t of tests) {
    if (only.length && !only.includes(t.name)) continue;
    console.log(`[ RUN      ] ${t.name}`);
    const t0 = Date.now();
    try {
      await t.fn();
      passed++;
      console.log(`[       OK ] ${t.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed++;
      failures.push(t.name);
      console.log(`[  ERROR   ] --- ${e.stack || e}`);
      console.log(`[  FAILED  ] ${t.name}`);
    }
  }
} catch (e) {
  failed++;
  failures.push("setup");
  console.log(`[  ERROR   ] --- ${e.stack || e}`);
} finally {
  if (browser) await browser.close();
  if (server) {
    server.kill("SIGTERM");
    await new Promise((r) => (server.exitCode !== null ? r() : server.on("exit", r)));
  }
  if (failed) console.log(serverLog.split("\n").filter((l) => !l.includes(" ACCESS ")).slice(-40).join("\n"));
  rmSync(dir, { recursive: true, force: true });
}
console.log(`[==========] ${passed + failed} test(s) run.`);
console.log(`[  PASSED  ] ${passed} test(s).`);
if (failed) {
  console.log(`[  FAILED  ] ${failed} test(s), listed below:`);
  for (const f of failures) console.log(`[  FAILED  ] ${f}`);
}
process.exit(failed ? 1 : 0);
