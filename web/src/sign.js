// sign.js - a party's Ed25519 key in the browser, and signatures over agreements.
//
// What is signed is the canonical form of the document's "agreement" object, byte for byte
// as truce writes it (src/json/jsx.c: keys sorted by their UTF-8 bytes, no spaces, jansson's
// escapes), so a signature made here verifies with `truce agreement verify` and one made by
// `truce sign` verifies here. The private key is a non-extractable WebCrypto key kept in
// this browser's IndexedDB: script can use it to sign, nothing can read it out, and it never
// reaches the server. A key made by `truce keygen` ("truce-org-key v1" and the base64 seed)
// can be loaded instead; it is imported as non-extractable too.

const enc = new TextEncoder();
export const b64 = (u) => btoa(String.fromCharCode(...new Uint8Array(u)));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const unb64url = (s) => unb64(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4));

function bytesBefore(a, b) {
  const x = enc.encode(a), y = enc.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function str(s) {
  // JSON.stringify escapes what jansson escapes (", \, control characters; \b \f \n \r \t
  // by name), but writes \u00XX in lower case where jansson writes upper case.
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, (_, h) => "\\u00" + h.toUpperCase());
}

export function canonical(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
  switch (typeof v) {
    case "object":
      return "{" + Object.keys(v).sort(bytesBefore).map((k) => str(k) + ":" + canonical(v[k])).join(",") + "}";
    case "string":
      return str(v);
    case "boolean":
      return String(v);
    case "number":
      // Agreements carry integers only (ids, versions); a fraction would need printf's %.17g.
      if (!Number.isSafeInteger(v)) throw new Error("the agreement holds a number this page cannot sign exactly");
      return String(v);
  }
  throw new Error("not JSON");
}

export const signedBytes = (doc) => enc.encode(canonical(doc.agreement));

// ---- the key store: one key per organization, in its own database ----------------------
const DB = "truce-keys";
function db() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore("keys");
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}
async function tx(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction("keys", mode);
    const req = fn(t.objectStore("keys"));
    t.oncomplete = () => resolve(req && req.result);
    t.onerror = () => reject(t.error);
  });
}

// {privateKey (non-extractable CryptoKey), publicKey: base64, source: "browser" | "file"}
export const loadKey = (org) => tx("readonly", (s) => s.get(org)).then((k) => k || null);
export const forgetKey = (org) => tx("readwrite", (s) => s.delete(org));
const keep = (org, k) => tx("readwrite", (s) => s.put(k, org)).then(() => k);

export async function generateKey(org) {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  const pub = b64(await crypto.subtle.exportKey("raw", pair.publicKey));
  return keep(org, { privateKey: pair.privateKey, publicKey: pub, source: "browser", created: new Date().toISOString() });
}

// The text of a `truce keygen` file: "truce-org-key v1\n" and the 32-byte seed in base64.
export async function importKeyFile(org, text) {
  const [magic, seed64] = text.split("\n").map((l) => l.trim());
  let seed;
  try {
    seed = unb64(seed64 || "");
  } catch {
    seed = null;
  }
  if (magic !== "truce-org-key v1" || !seed || seed.length !== 32) throw new Error("bad-keyfile");
  // PKCS #8 for Ed25519 is a fixed 16-byte prefix and the seed (RFC 8410). The public half is
  // read back through a short-lived extractable copy; what is kept cannot be exported.
  const pkcs8 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, ...seed]);
  const tmp = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", tmp);
  const privateKey = await crypto.subtle.importKey("jwk", jwk, { name: "Ed25519" }, false, ["sign"]);
  seed.fill(0);
  pkcs8.fill(0);
  const pub = b64(unb64url(jwk.x));
  return keep(org, { privateKey, publicKey: pub, source: "file", created: new Date().toISOString() });
}

export async function sign(key, doc) {
  return b64(await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, signedBytes(doc)));
}

// Checks each {org, public_key, signature} of the document: [{org, ok}].
export async function verifyAll(doc) {
  const bytes = signedBytes(doc);
  return Promise.all(
    (doc.signatures || []).map(async (s) => {
      try {
        const k = await crypto.subtle.importKey("raw", unb64(s.public_key), { name: "Ed25519" }, false, ["verify"]);
        return { org: s.org, ok: await crypto.subtle.verify({ name: "Ed25519" }, k, unb64(s.signature), bytes) };
      } catch {
        return { org: s.org, ok: false };
      }
    })
  );
}
