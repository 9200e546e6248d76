// Compliance: an agreement's obligations with their states and evidence, the party's answers
// and the mediators' decisions, the scorecard, the alerts and the daily report.
import { html, useState, useLoad } from "../ui.js";
import { t, term, num, day, lang } from "../i18n.js";
import { api, session } from "../api.js";

const today = () => new Date().toISOString().slice(0, 10);

function Answer({ ob, onDone }) {
  const [msg, setMsg] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    try {
      await api(`/api/v1/obligations/${ob.id}/responses`, { method: "POST", body: { position: f.get("position"), text: f.get("text") } });
      onDone();
    } catch (err) {
      setMsg(err.message);
    }
  };
  return html`<form onSubmit=${submit} class="inline-form" aria-label=${t("c_answer")}>
    <label>${t("c_position")}
      <select name="position">${["deny", "exception", "counter_breach", "accept"].map((p) => html`<option value=${p}>${t("pos_" + p)}</option>`)}</select></label>
    <label>${t("c_text")}<textarea name="text" required dir="auto"></textarea></label>
    <button type="submit">${t("c_answer")}</button>
    ${msg ? html`<p class="notice bad" role="alert">${msg}</p>` : null}
  </form>`;
}

function Decide({ ob, onDone }) {
  const [msg, setMsg] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    try {
      await api(`/api/v1/obligations/${ob.id}/decisions`, { method: "POST", body: { outcome: f.get("outcome"), reason: f.get("reason") } });
      onDone();
    } catch (err) {
      setMsg(err.message);
    }
  };
  return html`<form onSubmit=${submit} class="inline-form" aria-label=${t("c_decide")}>
    <label>${t("c_outcome")}
      <select name="outcome">${["upheld", "overturned", "waived"].map((o) => html`<option value=${o}>${t("out_" + o)}</option>`)}</select></label>
    <label>${t("reason")}<textarea name="reason" required dir="auto"></textarea></label>
    <button type="submit">${t("c_decide")}</button>
    ${msg ? html`<p class="notice bad" role="alert">${msg}</p>` : null}
  </form>`;
}

function Obligation({ ob, agreement, onDone }) {
  const me = session.me;
  const ev = ob.evidence || {};
  const isParty = me && me.org === ob.party;
  const isMediator = me && (me.admin || (agreement.mediators || []).includes(me.org));
  return html`<details data-obligation=${ob.id}>
    <summary><strong>${ob.ref}</strong> <bdi>${ob.title}</bdi> · <bdi>${ob.party}</bdi> · <span class="status" data-state=${ob.state}>${t("st_" + ob.state)}</span>
      ${ob.overlays.map((o) => html` <span class="status">${t("ov_" + o)}</span>`)} · ${t("fd_" + ob.finding)}</summary>
    <dl>
      <dt>${t("c_kind")}</dt><dd>${t("k_" + ob.kind)}</dd>
      ${ob.count !== undefined ? html`<dt>${t("c_count")}</dt><dd>${num(ob.count)}</dd>` : null}
      ${ev.incidents && ev.incidents.length
        ? html`<dt>${t("c_incidents")}</dt><dd>${ev.incidents.map((i) => html`<bdi><a href=${`/incidents/${i.id}`}>#${num(i.id)}</a> (${day(i.date)}, ${term(i.status)})</bdi> `)}</dd>`
        : null}
      ${ev.steps ? html`<dt>${t("c_steps")}</dt><dd>${ev.steps.map((st) => html`${day(st.date)}: ${num(st.delivered || 0)}/${num(st.owed)} `)}</dd>` : null}
      ${ev.days_met !== undefined ? html`<dt>${t("c_days_met")}</dt><dd>${num(ev.days_met)}</dd>` : null}
    </dl>
    ${ob.responses.length
      ? html`<h3>${t("c_answers")}</h3><ul>${ob.responses.map((r) => html`<li data-response>${t("pos_" + r.position)}: <span dir="auto">${r.text}</span></li>`)}</ul>`
      : null}
    ${ob.decisions.length
      ? html`<h3>${t("c_decisions")}</h3><ul>${ob.decisions.map((d) => html`<li data-decision>${t("out_" + d.outcome)}: <span dir="auto">${d.reason}</span></li>`)}</ul>`
      : null}
    ${isParty ? html`<${Answer} ob=${ob} onDone=${onDone} />` : null}
    ${isMediator ? html`<${Decide} ob=${ob} onDone=${onDone} />` : null}
  </details>`;
}

export default function Comply() {
  const q = new URLSearchParams(location.search);
  const [asOf, setAsOf] = useState(q.get("as_of") || today());
  const [n, setN] = useState(0);
  const [list] = useLoad(() => api("/api/v1/agreements"), []);
  const [chosen, setChosen] = useState(q.get("agreement"));
  const id = chosen || (list && list.agreements.length ? String(list.agreements[list.agreements.length - 1].id) : null);
  const agreement = list && list.agreements.find((a) => String(a.id) === id);
  const [obs, obErr] = useLoad(() => (id ? api(`/api/v1/agreements/${id}/obligations?as_of=${asOf}`) : Promise.resolve(null)), [id, asOf, n]);
  const [card] = useLoad(() => (id ? api(`/api/v1/agreements/${id}/scorecard?as_of=${asOf}`) : Promise.resolve(null)), [id, asOf, n]);
  const [alerts] = useLoad(() => api("/api/v1/alerts"), [n]);
  if (list && !list.agreements.length) return html`<h1>${t("comply_title")}</h1><p>${t("c_none")}</p>`;
  return html`
    <h1>${t("comply_title")}</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>${t("c_agreement")}
        <select value=${id || ""} onChange=${(e) => setChosen(e.target.value)}>
          ${list && list.agreements.map((a) => html`<option value=${String(a.id)}>${a.title || `#${a.id}`} (${t("as_" + a.state)})</option>`)}
        </select></label>
      <label>${t("c_as_of")}<input type="date" value=${asOf} max=${today()} onInput=${(e) => e.target.value && setAsOf(e.target.value)} /></label>
      <a class="button" href=${`/sitrep/${asOf}?lang=${lang}`}>${t("c_sitrep")}</a>
    </form>
    ${obErr ? html`<p role="alert">${t("error", { msg: obErr.message })}</p>` : null}
    ${card
      ? html`<h2>${t("c_scorecard")}</h2>
          <table data-testid="scorecard">
            <thead><tr><th>${t("c_party")}</th><th>${t("c_obligations")}</th><th>${t("c_share_met")}</th><th>${t("c_states")}</th></tr></thead>
            <tbody>${Object.entries(card.parties).map(
              ([p, c]) => html`<tr><th scope="row"><bdi>${p}</bdi></th><td>${num(c.obligations)}</td>
                <td>${c.share_met === null ? "—" : new Intl.NumberFormat(lang, { style: "percent" }).format(c.share_met)}</td>
                <td>${Object.entries(c.provisional).map(([st, k]) => `${t("st_" + st)}: ${num(k)}`).join(" · ")}</td></tr>`
            )}</tbody>
          </table>`
      : null}
    <h2>${t("c_obligations")}</h2>
    ${obs && agreement ? obs.obligations.map((ob) => html`<${Obligation} key=${ob.id} ob=${ob} agreement=${agreement} onDone=${() => setN((x) => x + 1)} />`) : html`<p>${t("loading")}</p>`}
    <h2>${t("c_alerts")}</h2>
    ${alerts && alerts.alerts.length
      ? html`<ul>${alerts.alerts.map((a) => html`<li>${t("al_" + a.kind)} · <strong>${a.ref}</strong> <bdi>${a.title}</bdi> · <bdi>${a.party}</bdi></li>`)}</ul>`
      : html`<p>${t("c_no_alerts")}</p>`}
  `;
}
