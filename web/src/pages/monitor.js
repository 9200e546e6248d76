// For monitors: reports to turn into incidents, incidents to take, verify, mark false or
// merge with their likely duplicates, and disputes to decide; each move with its reason.
import { html, useState, useLoad } from "../ui.js";
import { t, term, day, num } from "../i18n.js";
import { api, session } from "../api.js";

function Duplicates({ id, reason, onDone }) {
  const [d, err] = useLoad(() => api(`/api/v1/incidents/${id}/duplicates`), [id]);
  if (err) return html`<p role="alert">${err.message}</p>`;
  if (!d) return html`<p>${t("loading")}</p>`;
  if (!d.candidates.length) return html`<p class="muted">${t("no_duplicates")}</p>`;
  const merge = async (other) => {
    if (!reason()) return alert(t("reason_needed"));
    try {
      await api(`/api/v1/incidents/${other}/merge`, { method: "POST", body: { into: id, reason: reason() } });
      onDone();
    } catch (e) {
      alert(e.message);
    }
  };
  return html`<ul>${d.candidates.map(
    (c) => html`<li>#${c.id} · ${term(c.status)} · ${day(c.event_date)} · <span dir="auto">${c.location}</span> · ${num(c.distance_km)} km
      ${c.status === "reported" || c.status === "under_investigation" ? html` <button type="button" class="secondary" onClick=${() => merge(c.id)}>${t("merge")}</button>` : null}</li>`
  )}</ul>`;
}

function Row({ inc, onDone }) {
  const [reason, setReason] = useState("");
  const [assignee, setAssignee] = useState(session.me ? session.me.user : "");
  const [dups, setDups] = useState(false);
  const [msg, setMsg] = useState(null);
  const me = session.me;
  const move = async (to, extra = {}) => {
    if (!reason.trim()) return setMsg({ bad: true, text: t("reason_needed") });
    try {
      const path = `/api/v1/incidents/${inc.id}/transitions`;
      await api(path, { method: "POST", body: { to, reason: reason.trim(), ...extra }, headers: { "Idempotency-Key": crypto.randomUUID() } });
      setMsg({ text: t("done") });
      onDone();
    } catch (e) {
      setMsg({ bad: true, text: e.message });
    }
  };
  const moves =
    inc.status === "reported"
      ? [["under_investigation", assignee === me.user ? "take" : "assign", { assignee }]]
      : inc.status === "under_investigation"
      ? [["verified", "to_verify"], ["false", "to_false"]]
      : inc.status === "disputed"
      ? [["upheld", "uphold"], ["overturned", "overturn"]]
      : [];
  return html`<li data-incident=${inc.id}>
    <p><a href=${`/incidents/${inc.id}`}>#${inc.id}</a> · <span class="status">${term(inc.status)}</span> · ${day(inc.event_date)} · ${term(inc.sub_event_type)} · <span dir="auto">${inc.location}</span></p>
    <label>${t("reason")}<input value=${reason} onInput=${(e) => setReason(e.target.value)} dir="auto" /></label>
    ${inc.status === "reported"
      ? html`<label>${t("assign")}<input value=${assignee} onInput=${(e) => setAssignee(e.target.value.trim())} dir="auto" /></label>`
      : null}
    ${moves.map(([to, key, extra]) => html`<button type="button" onClick=${() => move(to, extra)}>${t(key)}</button>`)}
    ${inc.status === "reported" || inc.status === "under_investigation"
      ? html`<button type="button" class="secondary" onClick=${() => setDups(!dups)}>${t("duplicates")}</button>`
      : null}
    ${dups ? html`<${Duplicates} id=${inc.id} reason=${() => reason.trim()} onDone=${onDone} />` : null}
    ${msg ? html`<p class=${"notice" + (msg.bad ? " bad" : "")} role="status">${msg.text}</p>` : null}
  </li>`;
}

function Reports({ onDone }) {
  const [r, err, reload] = useLoad(() => api("/api/v1/reports?status=filed&limit=50"), []);
  if (err) return html`<p role="alert">${err.message}</p>`;
  if (!r) return null;
  const open = async (rep) => {
    const full = await api(`/api/v1/reports/${rep.id}`);
    const body = {};
    for (const k of ["event_date", "time_precision", "time_of_day", "event_type", "sub_event_type", "actor1", "actor2", "inter1", "inter2", "latitude", "longitude", "geo_precision", "location", "admin1", "admin2", "fatalities", "injured", "civilian_targeting", "notes", "sources", "violates", "evidence"])
      if (full[k] !== undefined && full[k] !== null) body[k] = full[k];
    body.reports = [rep.id];
    try {
      await api("/api/v1/incidents", { method: "POST", body });
      reload();
      onDone();
    } catch (e) {
      alert(e.message);
    }
  };
  return html`<ul>${(r.reports || []).map(
    (rep) => html`<li>${t("report_n", { id: rep.id })} · ${rep.org} · ${day(rep.event_date)} · ${term(rep.sub_event_type)} · <span dir="auto">${rep.location}</span>
      <button type="button" class="secondary" onClick=${() => open(rep)}>${t("open_incident")}</button></li>`
  )}</ul>`;
}

export default function Monitor() {
  const me = session.me;
  const [n, setN] = useState(0);
  const ok = me && (me.org_kind === "monitor" || me.org_kind === "mediator" || me.admin);
  const [work] = useLoad(
    () =>
      ok
        ? Promise.all(["reported", "under_investigation", "disputed"].map((s) => api(`/api/v1/incidents?status=${s}&limit=100`))).then((rs) => rs.flatMap((r) => r.incidents))
        : Promise.resolve([]),
    [n]
  );
  if (!ok) return html`<h1>${t("monitor_title")}</h1><p><a href="/login?next=/monitor">${t("monitor_signin")}</a></p>`;
  const done = () => setN((x) => x + 1);
  return html`
    <h1>${t("monitor_title")}</h1>
    <h2>${t("reports_new")}</h2>
    <${Reports} onDone=${done} />
    <h2>${t("queue")}</h2>
    ${work ? html`<ul>${work.filter((i) => i.status !== "disputed").map((i) => html`<${Row} key=${i.id + i.status} inc=${i} onDone=${done} />`)}</ul>` : html`<p>${t("loading")}</p>`}
    <h2>${t("disputes")}</h2>
    ${work ? html`<ul>${work.filter((i) => i.status === "disputed").map((i) => html`<${Row} key=${i.id + i.status} inc=${i} onDone=${done} />`)}</ul>` : null}
  `;
}
