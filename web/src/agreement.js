// agreement.js - an agreement negotiated in truce: its terms, who has signed, each signature
// checked in this browser, the document to download (what `truce agreement verify` takes),
// and, for a party that has not signed, its key on this device and the signing.
import { html, useState, useEffect, useLoad } from "./ui.js";
import { t, day } from "./i18n.js";
import { api, session } from "./api.js";
import * as keys from "./sign.js";

function download(doc) {
  const { receipt, ...plain } = doc;
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([JSON.stringify(plain, null, 1) + "\n"], { type: "application/json" }));
  a.download = `truce-agreement-${doc.id}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// The party's key on this device: make one, or load a `truce keygen` file; register its
// public half; sign.
function Signing({ doc, onDone }) {
  const org = session.me.org;
  const [key, setKey] = useState(undefined);
  const [msg, setMsg] = useState(null);
  const [busy, setBusy] = useState(false);
  const [registered, , reload] = useLoad(() => api(`/api/v1/orgs/${org}/keys`).then((r) => r.keys.map((k) => k.public_key)), [org]);
  useEffect(() => {
    if (!crypto.subtle) return setKey(null);
    keys.loadKey(org).then(setKey, () => setKey(null));
  }, [org]);
  const run = (fn) => async () => {
    setBusy(true);
    setMsg(null);
    try {
      await fn();
    } catch (e) {
      setMsg(e.message === "bad-keyfile" ? t("s_bad_file") : e.name === "NotSupportedError" ? t("s_unsupported") : e.message);
    }
    setBusy(false);
  };
  const make = run(async () => setKey(await keys.generateKey(org)));
  const load = async (e) => {
    const f = e.target.files[0];
    if (f) await run(async () => setKey(await keys.importKeyFile(org, await f.text())))();
  };
  const register = run(async () => {
    await api(`/api/v1/orgs/${org}/keys`, { method: "POST", body: { public_key: key.publicKey } });
    reload();
  });
  const signIt = run(async () => {
    const signature = await keys.sign(key, doc);
    await api(`/api/v1/agreements/${doc.id}/signatures`, { method: "POST", body: { org, signature } });
    onDone();
  });
  const forget = run(async () => {
    await keys.forgetKey(org);
    setKey(null);
  });
  if (key === undefined || !registered) return html`<p>${t("loading")}</p>`;
  const isRegistered = key && registered.includes(key.publicKey);
  return html`<section class="notice" aria-labelledby="sign-h" data-testid="signing">
    <h3 id="sign-h">${t("s_title", { org })}</h3>
    <p>${t("s_intro")}</p>
    ${key
      ? html`<p>${t(key.source === "file" ? "s_key_file" : "s_key_browser")} <code dir="ltr" data-testid="public-key">${key.publicKey}</code></p>
          ${isRegistered
            ? html`<p class="ok">${t("s_registered")}</p>
                <button type="button" onClick=${signIt} disabled=${busy} data-testid="sign">${t("s_sign")}</button>`
            : html`<p>${t("s_unregistered")}</p><button type="button" onClick=${register} disabled=${busy} data-testid="register">${t("s_register")}</button>`}
          <button type="button" class="secondary" onClick=${forget} disabled=${busy}>${t("s_forget")}</button>`
      : html`<button type="button" onClick=${make} disabled=${busy} data-testid="make-key">${t("s_make")}</button>
          <label>${t("s_load")}<span class="hint">${t("s_load_hint")}</span><input type="file" name="keyfile" onChange=${load} disabled=${busy} /></label>`}
    ${msg ? html`<p class="notice bad" role="alert">${msg}</p>` : null}
  </section>`;
}

export function Agreement({ id, onChange }) {
  const [doc, err, reload] = useLoad(() => api(`/api/v1/agreements/${id}`), [id]);
  const [checked, setChecked] = useState(null);
  useEffect(() => {
    setChecked(null);
    if (doc && crypto.subtle) keys.verifyAll(doc).then(setChecked, () => setChecked([]));
  }, [doc]);
  if (err) return html`<p role="alert">${t("error", { msg: err.message })}</p>`;
  if (!doc) return html`<p>${t("loading")}</p>`;
  const a = doc.agreement;
  const me = session.me;
  const signedBy = (p) => doc.signatures.find((s) => s.org === p);
  const verdict = (p) => checked && checked.find((c) => c.org === p);
  const mustSign = me && a.parties.includes(me.org) && !signedBy(me.org) && doc.state === "drafted";
  return html`<div data-agreement=${doc.id} data-state=${doc.state}>
    <p><strong><bdi>${a.title}</bdi></strong> · ${t("as_" + doc.state)} · ${t("s_effective", { date: day(a.effective) })} · ${t("s_version", { n: a.version })}</p>
    <table>
      <thead><tr><th>${t("m_issue")}</th><th>${t("m_option")}</th><th>${t("s_term")}</th></tr></thead>
      <tbody>${Object.keys(a.package).map((i) => html`<tr><th scope="row"><bdi>${i}</bdi></th><td><bdi>${a.package[i]}</bdi></td><td dir="auto">${(a.terms || {})[i] || ""}</td></tr>`)}</tbody>
    </table>
    <h3>${t("s_signatures")}</h3>
    <ul data-testid="signatures">${a.parties.map((p) => {
      const s = signedBy(p), v = verdict(p);
      return html`<li data-party=${p} data-signed=${s ? "yes" : "no"} data-valid=${v ? String(v.ok) : ""}>
        <bdi>${p}</bdi>: ${s
          ? html`${t("s_signed_at", { when: day(s.signed_at) })} · ${v ? (v.ok ? html`<span class="ok">${t("s_valid")}</span>` : html`<span class="bad">${t("s_invalid")}</span>`) : t("verifying")}`
          : t("s_waiting")}</li>`;
    })}</ul>
    <button type="button" class="secondary" onClick=${() => download(doc)} data-testid="download">${t("s_download")}</button>
    <p class="hint">${t("s_download_hint")}</p>
    ${mustSign ? html`<${Signing} doc=${doc} onDone=${() => (reload(), onChange && onChange())} />` : null}
  </div>`;
}
