// Logistics: truckloads by stage, many moved at once (a crossing's phone view), each
// target's day, how long each step takes, and the sources' counts side by side.
import { html, useState, useEffect, useLoad } from "../ui.js";
import { t, num, day } from "../i18n.js";
import { api, session, ApiError } from "../api.js";
import * as outbox from "../outbox.js";

const today = () => new Date().toISOString().slice(0, 10);
const back = (days) => new Date(Date.now() - days * 864e5).toISOString().slice(0, 10);
const STATES = ["dispatched", "at_crossing", "screened", "turned_back", "offloaded", "collection_denied", "collected", "in_transit", "arrived", "intercepted", "lost", "damaged", "distributed"];
const NEXT = {
  dispatched: ["at_crossing"],
  at_crossing: ["screened", "turned_back"],
  screened: ["offloaded"],
  offloaded: ["collected", "collection_denied"],
  collection_denied: ["collected", "collection_denied"],
  collected: ["in_transit"],
  in_transit: ["arrived", "intercepted", "lost", "damaged"],
  arrived: ["distributed"],
};
const NEEDS_REASON = new Set(["turned_back", "collection_denied", "intercepted", "lost", "damaged"]);

function Pending({ onDone }) {
  const [moves, setMoves] = useState([]);
  useEffect(() => {
    const load = () => outbox.moveList().then((m) => {
      setMoves((old) => {
        if (old.length && !m.length) onDone();
        return m;
      });
    });
    load();
    outbox.start();
    return outbox.onChange(load);
  }, []);
  if (!moves.length) return html`<p data-testid="moves-pending" data-count="0" class="muted">${t("a_no_pending")}</p>`;
  return html`<div data-testid="moves-pending" data-count=${moves.length} class="notice">
    <p>${t("a_pending", { n: moves.length })}</p>
    <ul>${moves.map((m) => html`<li>${t("a_pending_one", { n: m.body.trucks.length, to: t("ts_" + m.body.to) })}${m.state === "refused" ? html` — <em>${t("st_refused", { msg: m.error })}</em>` : null}</li>`)}</ul>
  </div>`;
}

function Trucks() {
  const [n, setN] = useState(0);
  const [trucks, err] = useLoad(() => api("/api/v1/aid/trucks?limit=1000"), [n]);
  const [stage, setStage] = useState("dispatched");
  const [picked, setPicked] = useState(new Set());
  const [to, setTo] = useState("");
  const [reason, setReason] = useState("");
  const [msg, setMsg] = useState(null);
  if (err && !trucks) return html`<p role="alert">${t("error", { msg: err.message })}</p>`;
  if (!trucks) return html`<p>${t("loading")}</p>`;
  const by = {};
  for (const tr of trucks.trucks) (by[tr.state] = by[tr.state] || []).push(tr);
  const here = by[stage] || [];
  const next = NEXT[stage] || [];
  const move = async (e) => {
    e.preventDefault();
    const target = to || next[0];
    if (!picked.size || !target) return;
    if (NEEDS_REASON.has(target) && !reason.trim()) return setMsg({ bad: true, text: t("reason_needed") });
    const body = { trucks: [...picked], to: target, at: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
    if (reason.trim()) body.reason = reason.trim();
    if (target === "intercepted") body.interception = "forced";
    // With no connection the move waits in the outbox (its time is now, when the trucks
    // were seen) and goes when the connection returns.
    const queue = async () => {
      await outbox.saveMove(body);
      setMsg({ text: t("a_queued", { n: body.trucks.length, to: t("ts_" + target) }) });
      setPicked(new Set());
      outbox.start();
    };
    if (!navigator.onLine) return queue();
    try {
      const r = await api("/api/v1/aid/trucks/transitions", { method: "POST", body });
      setMsg({ text: t("a_moved", { n: r.trucks.length, to: t("ts_" + target) }) });
      setPicked(new Set());
      setN((x) => x + 1);
    } catch (err2) {
      if (err2 instanceof ApiError && err2.status < 500) setMsg({ bad: true, text: err2.message });
      else await queue();
    }
  };
  const toggle = (id) => {
    const p = new Set(picked);
    p.has(id) ? p.delete(id) : p.add(id);
    setPicked(p);
  };
  return html`
    <${Pending} onDone=${() => setN((x) => x + 1)} />
    <div class="stages" role="tablist" aria-label=${t("a_stages")}>
      ${STATES.map(
        (s) => html`<button type="button" role="tab" aria-selected=${s === stage} class=${s === stage ? "" : "secondary"} data-stage=${s}
          onClick=${() => (setStage(s), setPicked(new Set()), setTo(""), setMsg(null))}>${t("ts_" + s)} (${num((by[s] || []).length)})</button>`
      )}
    </div>
    <form onSubmit=${move} aria-label=${t("a_move")}>
      ${here.length
        ? html`<p><label class="check"><input type="checkbox" checked=${picked.size === here.length} onChange=${(e) => setPicked(e.target.checked ? new Set(here.map((x) => x.id)) : new Set())} /> ${t("a_all", { n: here.length })}</label></p>
            <ul class="trucks">${here.map(
              (tr) => html`<li><label class="check"><input type="checkbox" name="truck" value=${tr.id} checked=${picked.has(tr.id)} onChange=${() => toggle(tr.id)} />
                #${num(tr.id)} · ${t("a_request")} ${num(tr.request)} · <bdi>${tr.crossing}</bdi> · ${t("cat_" + tr.category)} · <bdi>${tr.org}</bdi>${tr.reason ? html` · <span dir="auto">${tr.reason}</span>` : null}</label></li>`
            )}</ul>`
        : html`<p>${t("a_none_here")}</p>`}
      ${next.length && here.length
        ? html`<div class="row">
            <div><label for="move-to">${t("a_move_to")}</label>
              <select id="move-to" name="to" value=${to || next[0]} onChange=${(e) => setTo(e.target.value)}>${next.map((s) => html`<option value=${s}>${t("ts_" + s)}</option>`)}</select></div>
            <div><label for="move-reason">${t("reason")}</label><input id="move-reason" name="reason" dir="auto" value=${reason} onInput=${(e) => setReason(e.target.value)} /></div>
          </div>
          <button type="submit" disabled=${!picked.size}>${t("a_move_n", { n: picked.size })}</button>`
        : null}
      <div role="status" aria-live="polite" data-testid="move-status">${msg ? html`<p class=${"notice" + (msg.bad ? " bad" : "")}>${msg.text}</p>` : null}</div>
    </form>`;
}

function Targets() {
  const [targets] = useLoad(async () => {
    const r = await api("/api/v1/aid/targets");
    return Promise.all(r.targets.map((tg) => api(`/api/v1/aid/targets/${tg.id}/progress?as_of=${today()}`).then((p) => ({ tg, p }))));
  }, []);
  if (!targets) return html`<p>${t("loading")}</p>`;
  if (!targets.length) return html`<p>${t("a_no_targets")}</p>`;
  return html`<table>
    <thead><tr><th>${t("a_target")}</th><th>${t("a_actual_total")}</th><th>${t("a_days_met")}</th><th>${t("a_shortfall")}</th><th>${t("a_rate_needed")}</th></tr></thead>
    <tbody>${targets.map(
      ({ tg, p }) => html`<tr><th scope="row"><bdi>${tg.name || tg.basis}</bdi> · ${num(tg.value)} ${tg.per === "day" ? t("a_per_day") : ""} · <bdi>${tg.source}</bdi></th>
        <td>${num(p.actual_total)}</td><td>${p.days_met === null ? "—" : `${num(p.days_met)} / ${num(p.days_elapsed)}`}</td>
        <td>${num(p.cumulative_shortfall)}</td><td>${p.rate_needed === null ? "—" : num(Math.ceil(p.rate_needed))}</td></tr>`
    )}</tbody></table>`;
}

function Sources() {
  const [from, setFrom] = useState(back(30));
  const [to, setTo] = useState(today());
  const [rec, err] = useLoad(() => api(`/api/v1/aid/reconciliation?from=${from}&to=${to}&basis=trucks_entered`), [from, to]);
  const sources = rec ? Object.keys(rec.totals) : [];
  return html`
    <div class="filters">
      <label>${t("from")}<input type="date" value=${from} onInput=${(e) => e.target.value && setFrom(e.target.value)} /></label>
      <label>${t("to")}<input type="date" value=${to} onInput=${(e) => e.target.value && setTo(e.target.value)} /></label>
    </div>
    ${err ? html`<p role="alert">${err.message}</p>` : null}
    ${rec && rec.days.length
      ? html`<table data-testid="reconciliation">
          <thead><tr><th>${t("date")}</th>${sources.map((s) => html`<th><bdi>${s}</bdi></th>`)}<th>${t("a_spread")}</th></tr></thead>
          <tbody>${rec.days.map(
            (d) => html`<tr><td>${day(d.date)}</td>${sources.map((s) => html`<td>${d.sources[s] === undefined ? "—" : num(d.sources[s])}</td>`)}<td>${d.spread === null ? "—" : num(d.spread)}</td></tr>`
          )}</tbody>
          <tfoot><tr><th scope="row">${t("a_total")}</th>${sources.map((s) => html`<td>${num(rec.totals[s])}</td>`)}<td></td></tr></tfoot>
        </table>`
      : html`<p>${t("a_no_counts")}</p>`}`;
}

function Dwell() {
  const [d] = useLoad(() => api(`/api/v1/aid/dwell?from=${back(30)}&to=${today()}`), []);
  if (!d) return null;
  const h = (v) => (v === null || v === undefined ? "—" : new Intl.NumberFormat(document.documentElement.lang, { maximumFractionDigits: 1 }).format(v));
  return html`<table>
    <thead><tr><th>${t("a_step")}</th><th>${t("a_n")}</th><th>${t("a_median_h")}</th><th>${t("a_p90_h")}</th><th>${t("a_max_h")}</th></tr></thead>
    <tbody>${Object.entries(d.steps).map(
      ([k, v]) => html`<tr><th scope="row">${t("dw_" + k)}</th><td>${v ? num(v.n) : 0}</td><td>${h(v && v.median_hours)}</td><td>${h(v && v.p90_hours)}</td><td>${h(v && v.max_hours)}</td></tr>`
    )}</tbody></table>`;
}

export default function Aid() {
  return html`
    <h1>${t("aid_title")}</h1>
    <h2>${t("a_trucks")}</h2>
    ${session.token ? html`<${Trucks} />` : html`<p><a href="/login?next=/aid">${t("a_signin")}</a></p>`}
    <h2>${t("a_targets")}</h2>
    <${Targets} />
    <h2>${t("a_dwell")}</h2>
    <${Dwell} />
    <h2>${t("a_sources")}</h2>
    <${Sources} />`;
}
