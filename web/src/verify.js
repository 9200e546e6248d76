// verify.js - checks, in the browser, that a journal entry is in the log and that the log
// is signed: the leaf hash (RFC 6962: SHA-256 of 0x00 and the entry), the inclusion proof up
// to the checkpoint's root (RFC 9162, 2.1.3.2), and the checkpoint's Ed25519 signature (C2SP
// signed note) under the log's key. Everything with WebCrypto; nothing trusted but the key.

const enc = new TextEncoder();
const hex = (u) => Array.from(u, (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (s) => new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16)));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const sha = async (...parts) => {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(len);
  let o = 0;
  for (const p of parts) all.set(p, (o += p.length) - p.length);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
};
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

export const leafHash = (entry) => sha(new Uint8Array([0]), enc.encode(entry));

export async function rootFromProof(index, size, leaf, proof) {
  if (index >= size) throw new Error("index beyond the tree");
  let fn = index, sn = size - 1, r = leaf;
  const one = new Uint8Array([1]);
  for (const p of proof) {
    if (sn === 0) throw new Error("proof too long");
    if (fn % 2 === 1 || fn === sn) {
      r = await sha(one, p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) (fn = Math.floor(fn / 2)), (sn = Math.floor(sn / 2));
    } else r = await sha(one, r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error("proof too short");
  return r;
}

// "NAME+KEYID+BASE64(0x01 || key)" -> {name, id, key}. A name has no "+"; base64 may.
export function parseKey(vkey) {
  const m = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey || "");
  if (!m) throw new Error("not a note verifier key");
  const raw = unb64(m[3]);
  if (raw[0] !== 1 || raw.length !== 33) throw new Error("not an Ed25519 key");
  return { name: m[1], id: m[2], key: raw.slice(1) };
}

// Verifies a signed checkpoint; returns {origin, size, root}.
export async function checkCheckpoint(note, vkey) {
  const k = parseKey(vkey);
  const cut = note.indexOf("\n\n");
  if (cut < 0) throw new Error("no signature block");
  const text = note.slice(0, cut + 1);
  const lines = text.split("\n");
  const [origin, size, root] = [lines[0], Number(lines[1]), unb64(lines[2])];
  const pub = await crypto.subtle.importKey("raw", k.key, { name: "Ed25519" }, false, ["verify"]);
  const keyId = (await sha(enc.encode(k.name + "\n"), new Uint8Array([1]), k.key)).slice(0, 4);
  for (const line of note.slice(cut + 2).split("\n")) {
    const m = line.match(/^\u2014 (\S+) (\S+)$/);
    if (!m || m[1] !== k.name) continue;
    const sig = unb64(m[2]);
    if (!same(sig.slice(0, 4), keyId)) continue;
    if (await crypto.subtle.verify({ name: "Ed25519" }, pub, sig.slice(4), enc.encode(text))) return { origin, size, root };
    throw new Error("the checkpoint's signature is not valid");
  }
  throw new Error("no signature by the log's key");
}

// Checks entry `index`; returns the facts checked, or throws saying which failed.
export async function verifyEntry(index, { fetchText, fetchJson }) {
  const info = await fetchJson("/api/v1");
  const cp = await checkCheckpoint(await fetchText("/api/v1/log/checkpoint"), info.log_key);
  const ent = await fetchJson(`/api/v1/log/entries?start=${index}&end=${index + 1}`);
  const e = ent.entries[0];
  if (!e) throw new Error(`entry ${index} is not in the log`);
  let leaf = unhex(e.leaf_hash);
  if (e.entry !== undefined) {
    const mine = await leafHash(e.entry);
    if (!same(mine, leaf)) throw new Error("the entry does not hash to its leaf");
    leaf = mine;
  }
  const pr = await fetchJson(`/api/v1/log/proof/inclusion?index=${index}&size=${cp.size}`);
  const root = await rootFromProof(index, cp.size, leaf, pr.proof.map(unhex));
  if (!same(root, cp.root)) throw new Error("the inclusion proof does not lead to the signed root");
  return { origin: cp.origin, size: cp.size, key: info.log_key, proofLength: pr.proof.length, entry: e.entry ? JSON.parse(e.entry) : null, rootHex: hex(root) };
}
