// For mediators: a negotiation's issues and the engine's analysis before sending a text —
// the disclosed parties' gains on the Pareto frontier, with the Nash, Kalai–Smorodinsky,
// egalitarian and max-welfare points. (Composing texts and following answers: to come.)
import { html, useState, useLoad } from "../ui.js";
import { t, num } from "../i18n.js";
import { api, session } from "../api.js";

const POINTS = [
  ["nash", "#c1121f", "m_nash"],
  ["kalai_smorodinsky", "#2a9d8f", "m_ks"],
  ["egalitarian", "#e9c46a", "m_egal"],
  ["max_welfare", "#6a4c93", "m_welfare"],
];

// The frontier in the plane of two parties' gains (0: their reservation, 1: their best on
// the frontier). SVG drawn by hand, left to right in any page (it is a chart, not text).
function Frontier({ a }) {
  const [px, py] = a.disclosed;
  const pts = a.frontier || [];
  const all = pts.concat(POINTS.map(([k]) => a[k] && a[k].gains).filter(Boolean));
  const lo = Math.min(0, ...all.map((g) => Math.min(g[px], g[py])));
  const hi = Math.max(1, ...all.map((g) => Math.max(g[px], g[py])));
  const W = 360, P = 36;
  const sx = (v) => P + ((v - lo) / (hi - lo)) * (W - 2 * P);
  const sy = (v) => W - P - ((v - lo) / (hi - lo)) * (W - 2 * P);
  const path = pts.map((g, i) => `${i ? "L" : "M"}${sx(g[px]).toFixed(1)},${sy(g[py]).toFixed(1)}`).join(" ");
  return html`<figure class="chart frontier" dir="ltr">
    <svg viewBox="0 0 ${W} ${W}" role="img" aria-label=${t("m_chart", { a: px, b: py })} data-testid="frontier">
      <title>${t("m_chart", { a: px, b: py })}</title>
      <rect x=${sx(0)} y=${sy(1)} width=${sx(1) - sx(0)} height=${sy(0) - sy(1)} fill="#eef3f7" stroke="#c9d6e2" />
      <line x1=${P} y1=${W - P} x2=${W - P} y2=${W - P} stroke="#555" />
      <line x1=${P} y1=${P} x2=${P} y2=${W - P} stroke="#555" />
      <text x=${W / 2} y=${W - 6} text-anchor="middle">${px}</text>
      <text x="12" y=${W / 2} text-anchor="middle" transform=${`rotate(-90 12 ${W / 2})`}>${py}</text>
      <path d=${path} fill="none" stroke="#1f4e79" stroke-width="1.5" />
      ${pts.map((g) => html`<circle data-frontier cx=${sx(g[px])} cy=${sy(g[py])} r="3" fill="#1f4e79"><title>${px} ${num(g[px])} · ${py} ${num(g[py])}</title></circle>`)}
      ${POINTS.map(([k, color, label], i) =>
        a[k] && a[k].gains
          ? html`<circle data-point=${k} cx=${sx(a[k].gains[px])} cy=${sy(a[k].gains[py])} r=${9 - i * 1.5} fill="none" stroke=${color} stroke-width="2.5"><title>${t(label)}</title></circle>`
          : null
      )}
    </svg>
    <figcaption>${POINTS.map(([k, color, label]) => html`<span class="legend"><span class="swatch" data-color=${color}></span>${t(label)}</span> `)}</figcaption>
  </figure>`;
}

function Analysis({ id }) {
  const [a, err] = useLoad(() => api(`/api/v1/negotiations/${id}/analysis`), [id]);
  if (err) return html`<p role="alert">${t("error", { msg: err.message })}</p>`;
  if (!a) return html`<p>${t("loading")}</p>`;
  if (!a.available) return html`<p class="notice">${t("m_unavailable")}</p>`;
  return html`
    <p>${t("m_summary", { outcomes: a.outcomes, frontier: a.frontier_size })}</p>
    ${a.frontier && a.disclosed.length >= 2 ? html`<${Frontier} a=${a} />` : html`<p class="notice">${t("m_no_rational")}</p>`}
    <table>
      <thead><tr><th>${t("m_point")}</th>${a.disclosed.map((p) => html`<th><bdi>${p}</bdi></th>`)}<th>${t("m_package")}</th></tr></thead>
      <tbody>${POINTS.map(([k, , label]) =>
        a[k] && a[k].gains
          ? html`<tr><th scope="row">${t(label)}</th>${a.disclosed.map((p) => html`<td>${num(Math.round(a[k].gains[p] * 100) / 100)}</td>`)}
              <td>${Object.entries(a[k].package).map(([i, o]) => html`<div><bdi>${i}</bdi>: <bdi>${o}</bdi></div>`)}</td></tr>`
          : null
      )}</tbody>
    </table>`;
}

export default function Mediate() {
  const me = session.me;
  const ok = me && (me.org_kind === "mediator" || me.admin);
  const [list] = useLoad(() => (ok ? api("/api/v1/negotiations") : Promise.resolve(null)), []);
  const [chosen, setChosen] = useState(new URLSearchParams(location.search).get("negotiation"));
  if (!ok) return html`<h1>${t("mediate_title")}</h1><p><a href="/login?next=/mediate">${t("m_signin")}</a></p>`;
  if (!list) return html`<h1>${t("mediate_title")}</h1><p>${t("loading")}</p>`;
  const mine = list.negotiations.filter((n) => n.role === "mediator" || me.admin);
  const id = chosen || (mine[0] && String(mine[0].id));
  const neg = mine.find((n) => String(n.id) === id);
  return html`
    <h1>${t("mediate_title")}</h1>
    ${mine.length
      ? html`<label>${t("m_negotiation")}
          <select value=${id} onChange=${(e) => setChosen(e.target.value)}>${mine.map((n) => html`<option value=${String(n.id)}>${n.title}</option>`)}</select></label>`
      : html`<p>${t("m_none")}</p>`}
    ${neg
      ? html`<p><bdi>${neg.parties.join(" · ")}</bdi> — ${t("m_state")}: ${neg.state}</p>
          <h2>${t("m_issues")}</h2>
          <ul>${neg.issues.map((i) => html`<li><bdi>${i.name}</bdi>: ${i.options.map((o) => html`<bdi>${o}</bdi> `)}</li>`)}</ul>
          <h2>${t("m_analysis")}</h2>
          <${Analysis} id=${id} />`
      : null}`;
}
