// For a party: its confidential profile (weights that visibly sum to one, what each option is
// worth, the reservation value, red lines, and what each disclosure lets the mediators
// learn); each version received with what it is worth to the party; an answer per term; and
// the agreement, signed in this browser with a key that never leaves it. Nothing here shows
// another party's profile or the comments meant for the mediators: the API gives a party
// none of it.
import { html, useState, useLoad } from "../ui.js";
import { t, num } from "../i18n.js";
import { api, session } from "../api.js";
import { Agreement } from "../agreement.js";

const pct = (x) => new Intl.NumberFormat(document.documentElement.lang, { style: "percent", maximumFractionDigits: 1 }).format(x);
const round = (x) => Math.round(x * 1000) / 1000;

function Profile({ neg }) {
  const blank = () => ({
    weights: Object.fromEntries(neg.issues.map((i) => [i.name, round(1 / neg.issues.length)])),
    values: Object.fromEntries(neg.issues.map((i) => [i.name, Object.fromEntries(i.options.map((o, k) => [o, round(i.options.length > 1 ? 1 - k / (i.options.length - 1) : 1)]))])),
    reservation: 0,
    red_lines: {},
    disclosure: "gains",
  });
  const [p, setP] = useState(null);
  const [saved, setSaved] = useState(null);
  const [msg, setMsg] = useState(null);
  useLoad(
    () =>
      api(`/api/v1/negotiations/${neg.id}/profile`).then(
        (r) => (setP({ ...blank(), ...r, red_lines: r.red_lines || {} }), setSaved(r.version)),
        (e) => (e.status === 404 ? setP(blank()) : setMsg(e.message))
      ),
    [neg.id]
  );
  if (!p) return html`<p>${t("loading")}</p>`;
  const sum = Object.values(p.weights).reduce((a, b) => a + (Number(b) || 0), 0);
  const setW = (i, v) => setP({ ...p, weights: { ...p.weights, [i]: v } });
  const setV = (i, o, v) => setP({ ...p, values: { ...p.values, [i]: { ...p.values[i], [o]: v } } });
  const setRed = (i, o, on) => {
    const cur = (p.red_lines[i] || []).filter((x) => x !== o);
    setP({ ...p, red_lines: { ...p.red_lines, [i]: on ? cur.concat(o) : cur } });
  };
  const normalise = () => sum > 0 && setP({ ...p, weights: Object.fromEntries(Object.entries(p.weights).map(([i, w]) => [i, round((Number(w) || 0) / sum)])) });
  const save = async (e) => {
    e.preventDefault();
    setMsg(null);
    if (!(sum > 0)) return setMsg(t("n_weights_zero"));
    // Saved as shares of one: what the page shows is what the engine weighs.
    const weights = Object.fromEntries(Object.entries(p.weights).map(([i, w]) => [i, (Number(w) || 0) / sum]));
    const values = Object.fromEntries(Object.entries(p.values).map(([i, m]) => [i, Object.fromEntries(Object.entries(m).map(([o, v]) => [o, Number(v)]))]));
    const red_lines = Object.fromEntries(Object.entries(p.red_lines).filter(([, l]) => l.length));
    try {
      const r = await api(`/api/v1/negotiations/${neg.id}/profile`, { method: "PUT", body: { weights, values, reservation: Number(p.reservation), red_lines, disclosure: p.disclosure } });
      setP({ ...p, weights: Object.fromEntries(Object.entries(weights).map(([i, w]) => [i, round(w)])) });
      setSaved(r.version);
    } catch (err) {
      setMsg(err.message);
    }
  };
  return html`<form onSubmit=${save} data-testid="profile" aria-labelledby="profile-h">
    <h2 id="profile-h">${t("n_profile")}</h2>
    <p class="notice">${t("n_private")}</p>
    ${neg.issues.map((i) => html`<fieldset data-issue=${i.name}>
      <legend><bdi>${i.name}</bdi></legend>
      <label>${t("n_weight")}<span class="hint">${t("n_share", { share: pct(sum > 0 ? (Number(p.weights[i.name]) || 0) / sum : 0) })}</span>
        <input type="number" name=${"w:" + i.name} min="0" step="any" required value=${p.weights[i.name]} onInput=${(e) => setW(i.name, e.target.value)} /></label>
      <table><thead><tr><th>${t("m_option")}</th><th>${t("n_value")}</th><th>${t("n_red_line")}</th></tr></thead>
        <tbody>${i.options.map((o) => html`<tr>
          <th scope="row"><bdi>${o}</bdi></th>
          <td><input type="number" name=${"v:" + i.name + ":" + o} min="0" max="1" step="any" required aria-label=${t("n_value_of", { o })} value=${(p.values[i.name] || {})[o] ?? 0} onInput=${(e) => setV(i.name, o, e.target.value)} /></td>
          <td><input type="checkbox" name=${"r:" + i.name + ":" + o} aria-label=${t("n_red_line_of", { o })} checked=${(p.red_lines[i.name] || []).includes(o)} onChange=${(e) => setRed(i.name, o, e.target.checked)} /></td></tr>`)}</tbody></table>
    </fieldset>`)}
    <p data-testid="weight-sum" data-sum=${round(sum)} class=${Math.abs(sum - 1) < 1e-9 ? "ok" : "bad"}>${t("n_sum", { sum: num(round(sum)) })}
      ${Math.abs(sum - 1) < 1e-9 ? null : html` <button type="button" class="secondary" onClick=${normalise}>${t("n_normalise")}</button>`}</p>
    <label>${t("n_reservation")}<span class="hint">${t("n_reservation_hint")}</span>
      <input type="number" name="reservation" min="0" max="1" step="any" value=${p.reservation} onInput=${(e) => setP({ ...p, reservation: e.target.value })} /></label>
    <fieldset><legend>${t("n_disclosure")}</legend>
      ${["gains", "none"].map((d) => html`<label class="check"><input type="radio" name="disclosure" value=${d} checked=${p.disclosure === d} onChange=${() => setP({ ...p, disclosure: d })} /> ${t("n_disc_" + d)}</label>
        <p class="hint">${t("n_disc_" + d + "_means")}</p>`)}
    </fieldset>
    <button type="submit" data-testid="save-profile">${t("n_save")}</button>
    ${saved ? html`<span class="ok" role="status" data-testid="profile-saved">${t("n_saved", { v: saved })}</span>` : null}
    ${msg ? html`<p class="notice bad" role="alert">${msg}</p>` : null}
  </form>`;
}

function Answer({ neg, v, onDone }) {
  const mine = v.your_response || { overall: "accept", terms: {} };
  const [msg, setMsg] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const terms = {};
    for (const i of neg.issues) {
      const stance = f.get("stance:" + i.name), comment = (f.get("comment:" + i.name) || "").trim();
      if (!stance) continue;
      const x = { stance };
      if (stance === "counter") x.counter = f.get("counter:" + i.name);
      if (comment) (x.comment = comment), (x.visibility = f.get("vis:" + i.name));
      terms[i.name] = x;
    }
    try {
      await api(`/api/v1/negotiations/${neg.id}/texts/${v.n}/responses`, { method: "POST", body: { overall: f.get("overall"), terms } });
      onDone();
    } catch (err) {
      setMsg(err.message);
    }
  };
  return html`<form onSubmit=${submit} data-testid="answer" aria-label=${t("n_answer", { n: v.n })}>
    ${neg.issues.map((i) => {
      const x = mine.terms[i.name] || {};
      return html`<fieldset data-issue=${i.name}><legend><bdi>${i.name}</bdi>: <bdi>${v.package[i.name]}</bdi></legend>
        <div class="row">
          <label>${t("n_stance")}<select name=${"stance:" + i.name}>
            <option value="">—</option>
            ${["accept", "reject", "counter"].map((s) => html`<option value=${s} selected=${x.stance === s}>${t("stance_" + s)}</option>`)}</select></label>
          <label>${t("n_counter")}<select name=${"counter:" + i.name}>${i.options.map((o) => html`<option value=${o} selected=${x.counter === o}>${o}</option>`)}</select></label>
        </div>
        <label>${t("n_comment")}<input name=${"comment:" + i.name} dir="auto" value=${x.comment || ""} /></label>
        <label>${t("n_comment_for")}<select name=${"vis:" + i.name}>
          <option value="mediators" selected=${x.visibility !== "relay"}>${t("vis_mediators")}</option>
          <option value="relay" selected=${x.visibility === "relay"}>${t("vis_relay")}</option></select></label>
      </fieldset>`;
    })}
    <fieldset><legend>${t("m_overall")}</legend>
      ${["accept", "reject"].map((o) => html`<label class="check"><input type="radio" name="overall" value=${o} checked=${mine.overall === o} /> ${t("ans_" + o)}</label> `)}
    </fieldset>
    <button type="submit">${v.your_response ? t("n_change_answer") : t("n_send_answer")}</button>
    ${msg ? html`<p class="notice bad" role="alert">${msg}</p>` : null}
  </form>`;
}

function Received({ neg, n, latest, answering }) {
  const [v, err, reload] = useLoad(() => api(`/api/v1/negotiations/${neg.id}/texts/${n}`), [neg.id, n]);
  if (err) return html`<p role="alert">${t("error", { msg: err.message })}</p>`;
  if (!v) return html`<p>${t("loading")}</p>`;
  const w = v.for_you;
  return html`<details open=${n === latest} data-version=${n}>
    <summary>${t("m_version", { n })}${v.your_response ? html` · ${t("n_you_answered", { a: t("ans_" + v.your_response.overall) })}` : null}</summary>
    <table>
      <thead><tr><th>${t("m_issue")}</th><th>${t("m_option")}</th><th>${t("m_rationale")}</th></tr></thead>
      <tbody>${neg.issues.map((i) => html`<tr><th scope="row"><bdi>${i.name}</bdi></th><td><strong><bdi>${v.package[i.name]}</bdi></strong></td><td dir="auto">${(v.rationale || {})[i.name] || ""}</td></tr>`)}</tbody>
    </table>
    ${w
      ? html`<p class=${w.acceptable ? "notice" : "notice bad"} data-testid="worth" data-utility=${w.utility} data-acceptable=${String(w.acceptable)}>
          ${t("n_worth", { u: pct(w.utility), s: pct(w.surplus) })} ${w.acceptable ? t("n_acceptable") : t("n_unacceptable")}
          ${w.red_lines_crossed ? t("n_red_crossed", { n: w.red_lines_crossed }) : null}</p>`
      : html`<p class="notice">${t("n_no_profile")}</p>`}
    ${v.relayed && v.relayed.length
      ? html`<h3>${t("n_relayed")}</h3><ul>${v.relayed.map((r) => html`<li><bdi>${r.from}</bdi> · <bdi>${r.issue}</bdi>: <span dir="auto">${r.comment}</span></li>`)}</ul>`
      : null}
    ${answering ? html`<${Answer} neg=${neg} v=${v} onDone=${reload} />` : null}
  </details>`;
}

export default function Negotiate() {
  const me = session.me;
  const ok = me && me.org_kind === "party";
  const [n, setN] = useState(0);
  const [list] = useLoad(() => (ok ? api("/api/v1/negotiations") : Promise.resolve(null)), [n]);
  const [chosen, setChosen] = useState(new URLSearchParams(location.search).get("negotiation"));
  const mine = list ? list.negotiations.filter((x) => x.role === "party") : [];
  const id = chosen || (mine.length ? String(mine[mine.length - 1].id) : null);
  const [neg] = useLoad(() => (id && ok ? api(`/api/v1/negotiations/${id}`) : Promise.resolve(null)), [id, n]);
  const [agreements] = useLoad(() => (ok ? api("/api/v1/agreements") : Promise.resolve(null)), [id, n]);
  const again = () => setN((x) => x + 1);
  if (!ok) return html`<h1>${t("negotiate_title")}</h1><p><a href="/login?next=/negotiate">${t("n_signin")}</a></p>`;
  if (!list) return html`<h1>${t("negotiate_title")}</h1><p>${t("loading")}</p>`;
  const signed = agreements ? agreements.agreements.filter((a) => neg && a.negotiation === neg.id) : [];
  const latest = neg && neg.versions[neg.versions.length - 1];
  return html`
    <h1>${t("negotiate_title")}</h1>
    ${mine.length
      ? html`<label>${t("m_negotiation")}
          <select value=${id} onChange=${(e) => setChosen(e.target.value)} data-testid="negotiation">${mine.map((x) => html`<option value=${String(x.id)}>${x.title} (${t("ns_" + x.state)})</option>`)}</select></label>`
      : html`<p>${t("n_none")}</p>`}
    ${neg
      ? html`<p>${t("n_mediated_by", { m: neg.mediators.join(", ") })} — <span class="status">${t("ns_" + neg.state)}</span></p>
          ${signed.length
            ? html`<h2>${t("m_agreement")}</h2>${signed.map((a) => html`<${Agreement} key=${a.id + ":" + n} id=${a.id} onChange=${again} />`)}`
            : neg.state === "open"
              ? html`<${Profile} key=${neg.id} neg=${neg} />`
              : null}
          <h2>${t("n_received")}</h2>
          ${neg.versions.length
            ? neg.versions.slice().reverse().map((v) => html`<${Received} key=${v + ":" + n} neg=${neg} n=${v} latest=${latest} answering=${neg.state === "open" && !signed.length} />`)
            : html`<p>${t("n_nothing_yet")}</p>`}
          ${signed.length ? null : html`<h2>${t("m_agreement")}</h2><p>${t("n_no_agreement")}</p>`}
          <button type="button" class="secondary" onClick=${again}>${t("n_refresh")}</button>`
      : null}`;
}
