// One incident, its history, and "verify this record".
import { html, useState, useLoad } from "../ui.js";
import { t, term, num, day, when } from "../i18n.js";
import { api } from "../api.js";
import { verifyEntry } from "../verify.js";

const fetchers = {
  fetchJson: (p) => api(p),
  fetchText: async (p) => {
    const r = await fetch(p, { cache: "no-store" });
    if (!r.ok) throw new Error(`${p}: HTTP ${r.status}`);
    return r.text();
  },
};

function Verify({ id, events }) {
  const [state, setState] = useState(null);
  // The event that recorded it, or its latest one the caller may read.
  const ev = events.find((e) => !e.redacted) || events[0];
  const run = async () => {
    setState({ busy: true });
    try {
      const r = await verifyEntry(ev.seq - 1, fetchers);
      const b = r.entry && r.entry.body;
      const about = b && (b.incident === id || (b.id === id && r.entry.type === "incident.opened"));
      setState({ ok: r, about });
    } catch (e) {
      setState({ fail: e.message });
    }
  };
  if (!ev) return null;
  return html`<section aria-labelledby="verify-h">
    <h2 id="verify-h">${t("verify")}</h2>
    <p class="muted">${t("verify_intro")}</p>
    <button type="button" onClick=${run} disabled=${state && state.busy}>${t("verify")}</button>
    <div role="status" aria-live="polite" data-testid="verify-result">
      ${state && state.busy ? html`<p>${t("verifying")}</p>` : null}
      ${state && state.ok
        ? html`<p class="notice ok"><strong>${t("verify_ok", { index: ev.seq - 1, size: state.ok.size, origin: state.ok.origin })}</strong></p>
            <ul class="checks">
              <li>${t("check_sig")}</li>
              <li>${t("check_leaf")}</li>
              <li>${t("check_incl", { n: state.ok.proofLength })}</li>
              ${state.about ? html`<li>${t("check_about", { id })}</li>` : null}
              <li class="muted">${t("check_key", { key: state.ok.key })}</li>
            </ul>`
        : null}
      ${state && state.fail ? html`<p class="notice bad" role="alert"><strong>${t("verify_fail", { why: state.fail })}</strong></p>` : null}
    </div>
  </section>`;
}

export default function Incident({ params }) {
  const id = Number(params[0]);
  const [inc, err] = useLoad(() => api(`/api/v1/incidents/${id}`), [id]);
  const [hist] = useLoad(() => api(`/api/v1/incidents/${id}/history`), [id]);
  if (err) return html`<p role="alert">${err.status === 404 ? t("not_found") : t("error", { msg: err.message })}</p>`;
  if (!inc) return html`<p>${t("loading")}</p>`;
  return html`
    <h1>${t("incident", { id })}</h1>
    <dl>
      <dt>${t("status")}</dt><dd><span class="status">${term(inc.status)}</span></dd>
      <dt>${t("date")}</dt><dd>${day(inc.event_date)}</dd>
      <dt>${t("event_type")}</dt><dd>${term(inc.event_type)} — ${term(inc.sub_event_type)}</dd>
      <dt>${t("location")}</dt><dd dir="auto">${inc.location}${inc.admin2 ? `, ${inc.admin2}` : ""}</dd>
      <dt>${t("actors")}</dt><dd><bdi>${inc.actor1}</bdi>${inc.actor2 ? html` — <bdi>${inc.actor2}</bdi>` : null}</dd>
      <dt>${t("fatalities")}</dt><dd>${num(inc.fatalities || 0)}</dd>
      ${inc.notes ? html`<dt>${t("notes")}</dt><dd dir="auto">${inc.notes}</dd>` : null}
      ${inc.sources && inc.sources.length ? html`<dt>${t("sources")}</dt><dd>${inc.sources.map((s) => html`<bdi>${s.name}</bdi>${s.reliability ? ` (${s.reliability}/${s.credibility})` : ""} `)}</dd>` : null}
    </dl>
    ${hist
      ? html`<h2>${t("history")}</h2>
          <ol>${hist.events.map(
            (e) => html`<li><code>#${e.seq}</code> ${term(e.type)}${e.body && e.body.to ? ` → ${term(e.body.to)}` : ""} · ${when(e.time)}
              ${e.redacted ? html` · <span class="muted">${t("redacted")}</span>` : e.body && e.body.reason ? html` · <span dir="auto">${e.body.reason}</span>` : null}</li>`
          )}</ol>
          <${Verify} id=${id} events=${hist.events} />`
      : null}
  `;
}
