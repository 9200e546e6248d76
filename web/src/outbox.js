// outbox.js - reports saved on this device until the server has them.
//
// A report and its files are written to IndexedDB in one transaction, with the
// Idempotency-Key made when it was written, before the page says "saved". Sending is driven
// by the page (on load, when the connection or the page comes back, on a timer that backs
// off), one tab at a time (a Web Lock), and an item leaves the outbox only after a 2xx or
// the server's replay of its key: a reply lost after the server stored the report is sent
// again with the same key and files nothing twice. Files go first, in resumable pieces
// (PATCH /api/v1/evidence/uploads/{sha256}). The database is only ever added to by later
// versions (never deleted on upgrade), so an update of the app leaves the outbox alone.
import { api, session, ApiError } from "./api.js";

const DB = "truce";
const PIECE = 256 * 1024;
let dbp = null;

function open() {
  if (dbp) return dbp;
  dbp = new Promise((resolve, reject) => {
    // Version 2 added the truckloads' moves; an upgrade only ever adds stores.
    const req = indexedDB.open(DB, 2);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "key" });
      if (!db.objectStoreNames.contains("sent")) db.createObjectStore("sent", { keyPath: "key" });
      if (!db.objectStoreNames.contains("moves")) db.createObjectStore("moves", { keyPath: "key" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return dbp;
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("aborted"));
  });
}

async function all(storeName) {
  const db = await open();
  const tx = db.transaction(storeName, "readonly");
  const req = tx.objectStore(storeName).getAll();
  await done(tx);
  return req.result.sort((a, b) => a.created - b.created);
}

const listeners = new Set();
export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
function changed() {
  for (const fn of listeners) fn();
  try {
    new BroadcastChannel("truce-outbox").postMessage("changed");
  } catch {}
}
try {
  new BroadcastChannel("truce-outbox").onmessage = () => listeners.forEach((fn) => fn());
} catch {}

export const list = () => all("outbox");
export const moveList = () => all("moves");

// A move of many truckloads, kept until the server has it. Its time `at` is fixed when it
// is saved (when the trucks were seen), so the batch sent again after a lost reply repeats
// the same move, which the server answers without moving anything twice.
export async function saveMove(body) {
  const item = { key: crypto.randomUUID(), created: Date.now(), body, state: "queued", attempts: 0, nextTry: 0, error: null, signedIn: true };
  const db = await open();
  const tx = db.transaction("moves", "readwrite");
  tx.objectStore("moves").add(item);
  await done(tx);
  changed();
  return item;
}

async function putMove(item) {
  const db = await open();
  const tx = db.transaction("moves", "readwrite");
  tx.objectStore("moves").put(item);
  await done(tx);
  changed();
}

async function sendMove(item) {
  if (!session.token) return null;
  try {
    const r = await api("/api/v1/aid/trucks/transitions", { method: "POST", body: item.body });
    const db = await open();
    const tx = db.transaction("moves", "readwrite");
    tx.objectStore("moves").delete(item.key);
    await done(tx);
    changed();
    return r;
  } catch (e) {
    if (transient(e)) {
      if (navigator.onLine) item.attempts++;
      item.nextTry = Date.now() + Math.min(5 * 60e3, 2000 * 2 ** Math.min(item.attempts, 8));
      item.state = "queued";
    } else item.state = "refused";
    item.error = e.message;
    await putMove(item);
    return null;
  }
}
export const sentList = () => all("sent");

async function sha256(buf) {
  const h = await crypto.subtle.digest("SHA-256", buf);
  return Array.from(new Uint8Array(h), (b) => b.toString(16).padStart(2, "0")).join("");
}

// Saves a report and its files (File objects) in one transaction; resolves once they are
// on the device.
export async function save(report, files = []) {
  const stored = [];
  for (const f of files) {
    const bytes = await f.arrayBuffer();
    stored.push({ name: f.name, type: f.type || "application/octet-stream", size: bytes.byteLength, bytes, sha256: await sha256(bytes), done: false });
  }
  const item = {
    key: crypto.randomUUID(),
    created: Date.now(),
    report,
    files: stored,
    signedIn: !!session.token,
    state: "queued",
    attempts: 0,
    nextTry: 0,
    error: null,
  };
  const db = await open();
  const tx = db.transaction("outbox", "readwrite");
  tx.objectStore("outbox").add(item);
  await done(tx);
  changed();
  return item;
}

async function put(item) {
  const db = await open();
  const tx = db.transaction("outbox", "readwrite");
  tx.objectStore("outbox").put(item);
  await done(tx);
  changed();
}

export async function remove(key) {
  const db = await open();
  const tx = db.transaction("outbox", "readwrite");
  tx.objectStore("outbox").delete(key);
  await done(tx);
  changed();
}

// The item leaves the outbox and joins the sent list in one transaction.
async function delivered(item, reply) {
  const db = await open();
  const tx = db.transaction(["outbox", "sent"], "readwrite");
  tx.objectStore("outbox").delete(item.key);
  tx.objectStore("sent").put({ key: item.key, created: item.created, sent: Date.now(), id: reply.id, replayed: !!reply.replayed, event_type: item.report.event_type, event_date: item.report.event_date, location: item.report.location });
  await done(tx);
  changed();
}

// Sends one file in pieces, resuming where the server says it stands.
async function upload(f) {
  const url = `/api/v1/evidence/uploads/${f.sha256}`;
  let offset = 0;
  try {
    const st = await api(url);
    if (st.complete) return;
    offset = st.offset;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  while (offset < f.size) {
    const piece = f.bytes.slice(offset, offset + PIECE);
    let r;
    try {
      r = await api(url, {
        method: "PATCH",
        body: new Blob([piece]),
        headers: { "Content-Type": f.type, "Upload-Offset": String(offset), "Upload-Length": String(f.size) },
      });
    } catch (e) {
      if (e instanceof ApiError && e.code === "evidence.offset_mismatch") {
        offset = e.body.error.detail.offset;
        continue;
      }
      throw e;
    }
    if (r.complete) return;
    offset = r.offset;
  }
}

const transient = (e) => !(e instanceof ApiError) || e.status >= 500 || e.status === 408 || e.status === 429 || e.status === 401;

async function sendOne(item) {
  // Saved while signed in: sent only as that account (its key is the account's), so a
  // signed-out page waits for the next sign-in rather than file it twice.
  if (item.signedIn && !session.token) {
    item.error = "sign-in";
    item.nextTry = Date.now() + 60e3;
    await put(item);
    return null;
  }
  item.state = "sending";
  await put(item);
  try {
    for (let i = 0; i < item.files.length; i++) {
      if (item.files[i].done) continue;
      item.state = "uploading";
      item.progress = { done: i, total: item.files.length };
      await put(item);
      await upload(item.files[i]);
      item.files[i].done = true;
      await put(item);
    }
    const body = { ...item.report };
    if (item.files.length) body.evidence = item.files.map((f) => f.sha256);
    // The key goes with every try, signed in or not (the public's keys are UUIDs too).
    const headers = { "Idempotency-Key": item.key };
    const reply = await api("/api/v1/reports", { method: "POST", body, headers });
    await delivered(item, reply);
    return reply;
  } catch (e) {
    if (transient(e)) {
      // Backs off while the server is unreachable or busy: 2 s, 4 s ... 5 minutes. Failures
      // with no connection at all do not count: coming back online retries at once.
      if (navigator.onLine) item.attempts++;
      item.state = "queued";
      item.nextTry = Date.now() + Math.min(5 * 60e3, 2000 * 2 ** Math.min(item.attempts, 8));
      item.error = e.message;
    } else {
      item.state = "refused";
      item.error = e.message;
    }
    await put(item);
    return null;
  }
}

let timer = null;
// Sends what is due, one tab at a time; `force` ignores the backoff.
export async function flush(force = false) {
  const run = async () => {
    for (const item of await list()) {
      if (item.state === "refused") continue;
      if (force && item.attempts) {
        item.attempts = 0; // the connection came back, or the user asked: start again
        await put(item);
      }
      if (!force && item.nextTry > Date.now()) continue;
      const r = await sendOne(item);
      if (!r && item.state === "queued") return; // the server is out of reach: wait
    }
    for (const item of await moveList()) {
      if (item.state === "refused") continue;
      if (!force && item.nextTry > Date.now()) continue;
      const r = await sendMove(item);
      if (!r && item.state === "queued") return;
    }
  };
  if (navigator.locks) await navigator.locks.request("truce-outbox", { ifAvailable: true }, (lock) => (lock ? run() : null));
  else await run();
  schedule();
}

async function schedule() {
  clearTimeout(timer);
  const items = (await list()).concat(await moveList()).filter((i) => i.state !== "refused");
  if (!items.length) return;
  const next = Math.max(1000, Math.min(...items.map((i) => i.nextTry)) - Date.now());
  timer = setTimeout(() => flush(), next);
}

let started = false;
export function start() {
  if (started) return;
  started = true;
  addEventListener("online", () => flush(true));
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && flush(true));
  flush(true);
}

// Everything in the outbox, files included (base64), as one JSON file to keep elsewhere.
export async function exportFile() {
  const items = await list();
  const b64 = (buf) => {
    let s = "";
    const u = new Uint8Array(buf);
    for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const out = items.map((i) => ({ idempotency_key: i.key, created: new Date(i.created).toISOString(), state: i.state, error: i.error, report: i.report, files: i.files.map((f) => ({ name: f.name, type: f.type, sha256: f.sha256, base64: b64(f.bytes) })) }));
  return new Blob([JSON.stringify({ truce_outbox: 1, exported: new Date().toISOString(), reports: out }, null, 1)], { type: "application/json" });
}

export async function persistence() {
  if (!navigator.storage || !navigator.storage.persist) return "na";
  if (await navigator.storage.persisted()) return "yes";
  return (await navigator.storage.persist()) ? "yes" : "no";
}
