// For mediators: open a negotiation; compose each version of the single negotiating text and
// see the engine's analysis before sending it — the disclosed parties' gains on the Pareto
// frontier with the Nash, Kalai–Smorodinsky, egalitarian and max-welfare points, the draft
// and what dominates it — the one-sided flag and its override; the parties' answers per term
// side by side, with the comments meant for the mediators only; suggestions that improve on
// a version; the agreement drafted from an accepted version, and its signatures.
import { html, useState, useLoad } from "../ui.js";
import { t, num, lang } from "../i18n.js";
import { api, session } from "../api.js";
import { Agreement } from "../agreement.js";

const POINTS = [
  ["nash", "#c1121f", "m_nash"],
  ["kalai_smorodinsky", "#2a9d8f", "m_ks"],
  ["egalitarian", "#e9c46a", "m_egal"],
  ["max_welfare", "#6a4c93", "m_welfare"],
];
const pct = (g) => num(Math.round(g * 100) / 100);
const today = () => new Date().toISOString().slice(0, 10);

// The frontier in the plane of two parties' gains (0: their reservation, 1: their best on
// the frontier), with the draft being composed and the packages that dominate it. SVG drawn
// by hand, left to right in any page (it is a chart, not text).
function Frontier({ a, draft }) {
  const [px, py] = a.disclosed;
  const pts = a.frontier || [];
  const dom = (draft && draft.dominated_by) || [];
  const all = pts.concat(POINTS.map(([k]) => a[k] && a[k].gains).filter(Boolean), draft && draft.gains ? [draft.gains] : [], dom.map((d) => d.gains));
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
      ${dom.map((d) => html`<rect data-point="dominating" x=${sx(d.gains[px]) - 4} y=${sy(d.gains[py]) - 4} width="8" height="8" fill="#2b9348"><title>${t("m_dominating")}</title></rect>`)}
      ${draft && draft.gains
        ? html`<path data-point="draft" d=${`M${sx(draft.gains[px]) - 6},${sy(draft.gains[py]) - 6}l12,12m0,-12l-12,12`} stroke="#000" stroke-width="3"><title>${t("m_draft")}</title></path>`
        : null}
    </svg>
    <figcaption>${POINTS.map(([, color, label]) => html`<span class="legend"><span class="swatch" data-color=${color}></span>${t(label)}</span> `)}
      ${draft ? html`<span class="legend">✕ ${t("m_draft")}</span> <span class="legend">■ ${t("m_dominating")}</span>` : null}</figcaption>
  </figure>`;
}

const Package = ({ p }) => Object.entries(p).map(([i, o]) => html`<div><bdi>${i}</bdi>: <strong><bdi>${o}</bdi></strong></div>`);

// Why the engine flags a package, in the page's language: the parties it leaves below their
// reservation value or across a red line, or else the most and the least gained; the engine's
// own sentence (English, naming the terms) stays beneath as the detail.
function Why({ an }) {
  const un = an.unacceptable_to || [];
  let says;
  if (un.length) says = t("m_why_unacceptable", { p: new Intl.ListFormat(lang, { type: "conjunction" }).format(un) });
  else {
    const ps = an.disclosed.filter((p) => an.gains && p in an.gains);
    const hi = ps.reduce((a, b) => (an.gains[b] > an.gains[a] ? b : a), ps[0]);
    const lo = ps.reduce((a, b) => (an.gains[b] < an.gains[a] ? b : a), ps[0]);
    says = hi && lo && hi !== lo ? t("m_why_unbalanced", { hi, lo, ghi: pct(an.gains[hi]), glo: pct(an.gains[lo]) }) : null;
  }
  return html`<span data-testid="why">${says}</span>
    ${an.reason ? html`<details class="detail"><summary>${t("m_engine_words")}</summary><p lang="en" dir="ltr">${an.reason}</p></details>` : null}`;
}

// What the engine says of one package: each party's gain, efficiency, the flag.
function Verdict({ an }) {
  if (!an) return null;
  if (!an.available) return html`<p class="notice">${t("m_unavailable")}</p>`;
  return html`<div data-testid="verdict" data-one-sided=${String(an.one_sided)} data-efficient=${String(an.efficient)}>
    <p>${an.disclosed.map((p) => html`<span class="legend"><bdi>${p}</bdi>: ${pct(an.gains[p])}</span>`)}</p>
    <p class=${an.efficient ? "ok" : "bad"}>${an.efficient ? t("m_efficient") : t("m_inefficient", { n: an.dominated_by.length })}</p>
    ${an.one_sided ? html`<p class="notice bad" role="alert" data-testid="one-sided">${t("m_one_sided")} <${Why} an=${an} /></p>` : null}
  </div>`;
}

function Compose({ neg, analysis, seed, onSaved }) {
  const [pkg, setPkg] = useState(() => Object.fromEntries(neg.issues.map((i) => [i.name, (seed && seed[i.name]) || i.options[0]])));
  const [why, setWhy] = useState({});
  const [refused, setRefused] = useState(null);
  const [msg, setMsg] = useState(null);
  const [override, setOverride] = useState("");
  const save = async (e) => {
    e.preventDefault();
    setMsg(null);
    const rationale = Object.fromEntries(Object.entries(why).filter(([, v]) => v.trim()));
    const body = { package: pkg, rationale };
    if (refused && override.trim()) body.override_reason = override.trim();
    try {
      const r = await api(`/api/v1/negotiations/${neg.id}/texts`, { method: "POST", body });
      setRefused(null);
      setOverride("");
      onSaved(r);
    } catch (err) {
      if (err.code === "text.one_sided") setRefused({ analysis: (err.body.error && err.body.error.detail) || { reason: err.message, disclosed: [] } });
      else setMsg(err.message);
    }
  };
  const draft = refused && refused.analysis;
  return html`<form onSubmit=${save} aria-labelledby="compose-h" data-testid="compose">
    <h2 id="compose-h">${t("m_compose", { n: neg.versions.length + 1 })}</h2>
    ${neg.issues.map((i) => html`<fieldset>
      <legend><bdi>${i.name}</bdi></legend>
      <label>${t("m_option")}
        <select name=${"pkg:" + i.name} value=${pkg[i.name]} onChange=${(e) => setPkg({ ...pkg, [i.name]: e.target.value })}>
          ${i.options.map((o) => html`<option value=${o}>${o}</option>`)}</select></label>
      <label>${t("m_rationale")}<input name=${"why:" + i.name} dir="auto" value=${why[i.name] || ""} onInput=${(e) => setWhy({ ...why, [i.name]: e.target.value })} /></label>
    </fieldset>`)}
    ${refused
      ? html`<div class="notice bad" role="alert" data-testid="refused">
          <p><strong>${t("m_refused")}</strong> <${Why} an=${refused.analysis} /></p>
          ${draft && draft.available && analysis && analysis.frontier ? html`<${Frontier} a=${analysis} draft=${draft} />` : null}
          <label>${t("m_override")}<span class="hint">${t("m_override_hint")}</span>
            <textarea name="override_reason" dir="auto" value=${override} onInput=${(e) => setOverride(e.target.value)}></textarea></label>
        </div>`
      : null}
    <button type="submit" data-testid="save-text">${refused ? t("m_save_anyway") : t("m_check_save")}</button>
    ${msg ? html`<p class="notice bad" role="alert">${msg}</p>` : null}
  </form>`;
}

// One version as the mediators see it: the package, its analysis, to whom it went, and every
// party's answer per term side by side, comments for the mediators included.
function Version({ neg, n, analysis, open, onChange, onUse }) {
  const [v, err, reload] = useLoad(() => api(`/api/v1/negotiations/${neg.id}/texts/${n}`), [neg.id, n]);
  const [sugg, setSugg] = useState(null);
  const [msg, setMsg] = useState(null);
  if (err) return html`<p role="alert">${t("error", { msg: err.message })}</p>`;
  if (!v) return html`<p>${t("loading")}</p>`;
  const unsent = neg.parties.filter((p) => !v.sent_to.includes(p));
  const send = async (to) => {
    try {
      await api(`/api/v1/negotiations/${neg.id}/texts/${n}/send`, { method: "POST", body: to ? { to } : {} });
      reload();
      onChange();
    } catch (e) {
      setMsg(e.message);
    }
  };
  const suggest = async () => {
    try {
      setSugg(await api(`/api/v1/negotiations/${neg.id}/suggestions`, { method: "POST", body: { text: n } }));
    } catch (e) {
      setMsg(e.message);
    }
  };
  const cell = (r, issue) => {
    const x = r && r.terms && r.terms[issue];
    if (!x) return "—";
    return html`${t("stance_" + x.stance)}${x.counter ? html` → <bdi>${x.counter}</bdi>` : null}
      ${x.comment ? html`<div class="comment" data-visibility=${x.visibility || "mediators"}><span class="hint">${t(x.visibility === "relay" ? "vis_relay" : "vis_mediators")}</span> <span dir="auto">${x.comment}</span></div>` : null}`;
  };
  return html`<details open=${open} data-version=${n}>
    <summary>${t("m_version", { n })} · ${v.sent_to.length ? t("m_sent_to", { to: v.sent_to.join(", ") }) : t("m_not_sent")}</summary>
    <${Package} p=${v.package} />
    ${Object.keys(v.rationale || {}).length ? html`<p>${Object.entries(v.rationale).map(([i, r]) => html`<div><bdi>${i}</bdi>: <span dir="auto">${r}</span></div>`)}</p>` : null}
    ${v.override_reason ? html`<p class="notice">${t("m_overridden")} <span dir="auto">${v.override_reason}</span></p>` : null}
    <${Verdict} an=${v.analysis} />
    ${v.analysis && v.analysis.available && analysis && analysis.frontier && open ? html`<${Frontier} a=${analysis} draft=${v.analysis} />` : null}
    ${unsent.length && neg.state === "open"
      ? html`<p>${unsent.length === neg.parties.length
            ? html`<button type="button" onClick=${() => send(null)} data-testid="send-all">${t("m_send_all")}</button>`
            : null}
          ${unsent.map((p) => html`<button type="button" class="secondary" onClick=${() => send([p])}>${t("m_send_to", { p })}</button>`)}</p>`
      : null}
    <h3>${t("m_answers")}</h3>
    <table data-testid="answers">
      <thead><tr><th>${t("m_issue")}</th>${neg.parties.map((p) => html`<th><bdi>${p}</bdi></th>`)}</tr></thead>
      <tbody>
        <tr><th scope="row">${t("m_overall")}</th>${neg.parties.map((p) => {
          const r = v.responses[p];
          return html`<td data-party=${p} data-overall=${r ? r.overall : ""}>${r ? html`<strong class=${r.overall === "accept" ? "ok" : "bad"}>${t("ans_" + r.overall)}</strong>` : v.sent_to.includes(p) ? t("m_no_answer") : "—"}</td>`;
        })}</tr>
        ${neg.issues.map((i) => html`<tr><th scope="row"><bdi>${i.name}</bdi></th>${neg.parties.map((p) => html`<td>${cell(v.responses[p], i.name)}</td>`)}</tr>`)}
      </tbody>
    </table>
    <button type="button" class="secondary" onClick=${suggest} data-testid="suggest">${t("m_suggest")}</button>
    ${sugg
      ? sugg.improvements.length
        ? html`<ul data-testid="suggestions">${sugg.improvements.map((s) => html`<li>
            <${Package} p=${s.package} /> ${Object.entries(s.gains).map(([p, g]) => html`<span class="legend"><bdi>${p}</bdi>: ${pct(g)}</span>`)}
            <button type="button" class="secondary" onClick=${() => onUse(s.package)}>${t("m_use")}</button></li>`)}</ul>`
        : html`<p>${sugg.note || t("m_no_improvement")}</p>`
      : null}
    ${msg ? html`<p class="notice bad" role="alert">${msg}</p>` : null}
  </details>`;
}

function Draft({ neg, onDone }) {
  const [texts] = useLoad(() => Promise.all(neg.versions.map((n) => api(`/api/v1/negotiations/${neg.id}/texts/${n}`))), [neg.id, neg.versions.length]);
  const [msg, setMsg] = useState(null);
  if (!texts) return null;
  const accepted = texts.filter((v) => neg.parties.every((p) => v.responses[p] && v.responses[p].overall === "accept"));
  if (!accepted.length) return html`<p>${t("m_no_accepted")}</p>`;
  const last = accepted[accepted.length - 1];
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const terms = {};
    for (const i of neg.issues) if ((f.get("term:" + i.name) || "").trim()) terms[i.name] = f.get("term:" + i.name).trim();
    try {
      await api(`/api/v1/negotiations/${neg.id}/agreement`, { method: "POST", body: { text: Number(f.get("text")), effective: f.get("effective"), terms } });
      onDone();
    } catch (err) {
      setMsg(err.message);
    }
  };
  return html`<form onSubmit=${submit} data-testid="draft-agreement">
    <label>${t("m_from_version")}<select name="text">${accepted.map((v) => html`<option value=${v.n} selected=${v === last}>${t("m_version", { n: v.n })}</option>`)}</select></label>
    <label>${t("m_effective")}<input type="date" name="effective" required value=${today()} /></label>
    ${neg.issues.map((i) => html`<label>${t("m_term_text", { issue: i.name })}<textarea name=${"term:" + i.name} dir="auto">${(last.rationale || {})[i.name] || ""}</textarea></label>`)}
    <button type="submit">${t("m_draft_agreement")}</button>
    ${msg ? html`<p class="notice bad" role="alert">${msg}</p>` : null}
  </form>`;
}

function Analysis({ a }) {
  if (!a) return html`<p>${t("loading")}</p>`;
  if (!a.available) return html`<p class="notice">${t("m_unavailable")}</p>`;
  return html`<section data-testid="analysis">
    <p>${t("m_summary", { outcomes: a.outcomes, frontier: a.frontier_size })}</p>
    ${a.frontier && a.disclosed.length >= 2 ? html`<${Frontier} a=${a} />` : html`<p class="notice">${t("m_no_rational")}</p>`}
    <table>
      <thead><tr><th>${t("m_point")}</th>${a.disclosed.map((p) => html`<th><bdi>${p}</bdi></th>`)}<th>${t("m_package")}</th></tr></thead>
      <tbody>${POINTS.map(([k, , label]) =>
        a[k] && a[k].gains
          ? html`<tr><th scope="row">${t(label)}</th>${a.disclosed.map((p) => html`<td>${pct(a[k].gains[p])}</td>`)}
              <td><${Package} p=${a[k].package} /></td></tr>`
          : null
      )}</tbody>
    </table></section>`;
}

function Negotiation({ id, onChange }) {
  const [n, setN] = useState(0);
  const [seed, setSeed] = useState(null);
  const [neg, err] = useLoad(() => api(`/api/v1/negotiations/${id}`), [id, n]);
  const [a] = useLoad(() => api(`/api/v1/negotiations/${id}/analysis`), [id, n]);
  const [agreements] = useLoad(() => api("/api/v1/agreements"), [id, n]);
  const bump = () => (setN((x) => x + 1), onChange());
  if (err) return html`<p role="alert">${t("error", { msg: err.message })}</p>`;
  if (!neg) return html`<p>${t("loading")}</p>`;
  const mine = agreements ? agreements.agreements.filter((x) => x.negotiation === neg.id) : [];
  const latest = neg.versions[neg.versions.length - 1];
  return html`
    <p><bdi>${neg.parties.join(" · ")}</bdi> — <span class="status" data-testid="neg-state">${t("ns_" + neg.state)}</span></p>
    <h2>${t("m_issues")}</h2>
    <ul>${neg.issues.map((i) => html`<li><bdi>${i.name}</bdi>: ${i.options.map((o) => html`<bdi>${o}</bdi> `)}</li>`)}</ul>
    <h2>${t("m_analysis")}</h2>
    <${Analysis} a=${a} />
    <h2>${t("m_versions")}</h2>
    ${neg.versions.length ? null : html`<p>${t("m_no_versions")}</p>`}
    ${neg.versions
      .slice()
      .reverse()
      .map((v) => html`<${Version} key=${v + ":" + n} neg=${neg} n=${v} analysis=${a} open=${v === latest} onChange=${bump} onUse=${(p) => setSeed(p)} />`)}
    ${neg.state === "open" && !mine.length ? html`<${Compose} key=${JSON.stringify(seed) + neg.versions.length} neg=${neg} analysis=${a} seed=${seed} onSaved=${bump} />` : null}
    <h2>${t("m_agreement")}</h2>
    ${mine.length ? mine.map((x) => html`<${Agreement} key=${x.id + ":" + n} id=${x.id} onChange=${bump} />`) : neg.state === "open" ? html`<${Draft} neg=${neg} onDone=${bump} />` : null}`;
}

// Opens a negotiation: the parties and mediators from the organizations, the issues one a
// line ("Trucks a day: 300, 450, 600").
function Open({ me, onOpened }) {
  const [orgs] = useLoad(() => api("/api/v1/orgs"), []);
  const [msg, setMsg] = useState(null);
  if (!orgs) return null;
  const of = (kind) => orgs.orgs.filter((o) => o.kind === kind);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const issues = [];
    for (const line of (f.get("issues") || "").split("\n").map((l) => l.trim()).filter(Boolean)) {
      const at = line.lastIndexOf(":");
      if (at <= 0) return setMsg(t("m_issue_line", { line }));
      issues.push({ name: line.slice(0, at).trim(), options: line.slice(at + 1).split(",").map((o) => o.trim()).filter(Boolean) });
    }
    try {
      const r = await api("/api/v1/negotiations", { method: "POST", body: { title: f.get("title"), parties: f.getAll("parties"), mediators: f.getAll("mediators"), issues } });
      onOpened(r.id);
    } catch (err) {
      setMsg(err.message);
    }
  };
  return html`<details data-testid="open-negotiation"><summary>${t("m_open")}</summary>
    <form onSubmit=${submit}>
      <label>${t("m_title")}<input name="title" required dir="auto" /></label>
      <fieldset><legend>${t("m_parties")}</legend>${of("party").map((o) => html`<label class="check"><input type="checkbox" name="parties" value=${o.slug} /> <bdi>${o.name}</bdi></label> `)}</fieldset>
      <fieldset><legend>${t("m_mediators")}</legend>${of("mediator").map((o) => html`<label class="check"><input type="checkbox" name="mediators" value=${o.slug} checked=${o.slug === me.org} /> <bdi>${o.name}</bdi></label> `)}</fieldset>
      <label>${t("m_issues")}<span class="hint">${t("m_issues_hint")}</span><textarea name="issues" required dir="auto"></textarea></label>
      <button type="submit">${t("m_open")}</button>
      ${msg ? html`<p class="notice bad" role="alert">${msg}</p>` : null}
    </form></details>`;
}

export default function Mediate() {
  const me = session.me;
  const ok = me && (me.org_kind === "mediator" || me.admin);
  const [n, setN] = useState(0);
  const [list] = useLoad(() => (ok ? api("/api/v1/negotiations") : Promise.resolve(null)), [n]);
  const [chosen, setChosen] = useState(new URLSearchParams(location.search).get("negotiation"));
  if (!ok) return html`<h1>${t("mediate_title")}</h1><p><a href="/login?next=/mediate">${t("m_signin")}</a></p>`;
  if (!list) return html`<h1>${t("mediate_title")}</h1><p>${t("loading")}</p>`;
  const mine = list.negotiations.filter((x) => x.role === "mediator");
  const id = chosen || (mine[0] && String(mine[0].id));
  const neg = mine.find((x) => String(x.id) === id);
  const opened = (nid) => {
    history.replaceState(null, "", `/mediate?negotiation=${nid}`);
    setChosen(String(nid));
    setN((x) => x + 1);
  };
  return html`
    <h1>${t("mediate_title")}</h1>
    ${me.org_kind === "mediator" ? html`<${Open} me=${me} onOpened=${opened} />` : null}
    ${mine.length
      ? html`<label>${t("m_negotiation")}
          <select value=${id} onChange=${(e) => setChosen(e.target.value)} data-testid="negotiation">${mine.map((x) => html`<option value=${String(x.id)}>${x.title} (${t("ns_" + x.state)})</option>`)}</select></label>`
      : html`<p>${t("m_none")}</p>`}
    ${neg ? html`<${Negotiation} key=${id} id=${id} onChange=${() => setN((x) => x + 1)} />` : null}`;
}
