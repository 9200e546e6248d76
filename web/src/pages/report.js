// The field report: saved on the device first (outbox.js), then sent; works offline.
import { html, useState, useEffect, useRef, useLoad } from "../ui.js";
import { t, term, when, relative, TAXONOMY } from "../i18n.js";
import { api, session } from "../api.js";
import * as outbox from "../outbox.js";

const today = () => new Date().toISOString().slice(0, 10);
const REL = ["A", "B", "C", "D", "E", "F"];
const CRED = [1, 2, 3, 4, 5, 6];

function centroid(f) {
  const ring = f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
  let x = 0, y = 0;
  for (const [lon, lat] of ring) (x += lon), (y += lat);
  return [y / ring.length, x / ring.length];
}

function Outbox() {
  const [items, setItems] = useState([]);
  const [sent, setSent] = useState([]);
  const [persist, setPersist] = useState(null);
  const [, tick] = useState(0);
  useEffect(() => {
    const load = () => {
      outbox.list().then(setItems);
      outbox.sentList().then(setSent);
    };
    load();
    const off = outbox.onChange(load);
    outbox.persistence().then(setPersist, () => setPersist("na"));
    const iv = setInterval(() => tick((x) => x + 1), 5000);
    return () => (off(), clearInterval(iv));
  }, []);
  const download = async () => {
    const blob = await outbox.exportFile();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `truce-outbox-${today()}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  };
  const state = (i) =>
    i.state === "refused"
      ? t("st_refused", { msg: i.error })
      : i.state === "uploading" && i.progress
      ? t("st_uploading", i.progress)
      : i.state === "sending"
      ? t("st_sending")
      : i.error === "sign-in"
      ? t("st_signin")
      : i.nextTry > Date.now()
      ? `${t("st_queued")} · ${t("st_retry", { when: relative(i.nextTry - Date.now()) })}`
      : t("st_queued");
  return html`<section id="outbox" aria-labelledby="outbox-h">
    <h2 id="outbox-h">${t("outbox")}</h2>
    <p role="status" data-testid="outbox-count" data-count=${items.length}>${items.length ? t("outbox_count", { n: items.length }) : t("outbox_empty")}</p>
    ${persist ? html`<p class="muted" data-testid="persist" data-persist=${persist}>${t("persist_" + persist)}</p>` : null}
    <ul class="outbox">
      ${items.map(
        (i) => html`<li data-state=${i.state}>
          <strong>${term(i.report.sub_event_type)}</strong> · <span dir="auto">${i.report.location}</span> · ${when(new Date(i.created).toISOString())}
          ${i.files.length ? ` · 📎 ${i.files.length}` : ""} — <em>${state(i)}</em>
          ${i.state === "refused"
            ? html` <button type="button" class="link" onClick=${() => confirm(t("delete_confirm")) && outbox.remove(i.key)}>${t("delete")}</button>`
            : null}
        </li>`
      )}
    </ul>
    ${items.length
      ? html`<button type="button" onClick=${() => outbox.flush(true)}>${t("send_now")}</button>
          <button type="button" class="secondary" onClick=${download}>${t("export")}</button>`
      : null}
    ${sent.length
      ? html`<h2>${t("sent_list")}</h2>
          <ul>${sent
            .slice(-10)
            .reverse()
            .map((s) => html`<li data-testid="sent" data-id=${s.id}>${t("report_n", { id: s.id })} · ${term(s.event_type)} · <span dir="auto">${s.location}</span></li>`)}</ul>`
      : null}
  </section>`;
}

export default function Report() {
  const [zones] = useLoad(() => api("/api/v1/zones").then((z) => (localStorage.setItem("truce.zones", JSON.stringify(z)), z)).catch(() => JSON.parse(localStorage.getItem("truce.zones") || "null")), []);
  const [type, setType] = useState("");
  const [sources, setSources] = useState([0]);
  const [pos, setPos] = useState({ lat: "", lon: "" });
  const [msg, setMsg] = useState(null);
  const [mapOn, setMapOn] = useState(false);
  const mapEl = useRef(null);
  const m = useRef(null);
  const form = useRef(null);
  const signedIn = !!session.token;

  useEffect(() => {
    outbox.start();
  }, []);
  useEffect(() => {
    if (!mapOn || !zones || m.current) return;
    import("../map.js").then(({ makeMap, setMarker }) => {
      m.current = makeMap(mapEl.current, zones, {
        onClick: (lat, lon) => {
          setPos({ lat: lat.toFixed(5), lon: lon.toFixed(5) });
          setMarker(m.current, lat, lon);
        },
      });
    });
  }, [mapOn, zones]);

  const locate = () =>
    navigator.geolocation.getCurrentPosition(
      (p) => setPos({ lat: p.coords.latitude.toFixed(5), lon: p.coords.longitude.toFixed(5) }),
      (e) => setMsg({ bad: true, text: t("position_failed", { msg: e.message }) }),
      { enableHighAccuracy: true, timeout: 20000 }
    );
  const pickZone = (e) => {
    const z = zones && zones.features.find((f) => f.properties.slug === e.target.value);
    if (!z) return;
    const [lat, lon] = centroid(z);
    setPos({ lat: lat.toFixed(5), lon: lon.toFixed(5) });
    const loc = form.current.elements.location;
    if (!loc.value) loc.value = z.properties.name;
    form.current.elements.geo_precision.value = "3";
  };

  const submit = async (e) => {
    e.preventDefault();
    const el = e.target.elements;
    const v = (n) => (el[n] ? el[n].value.trim() : "");
    const missing = ["event_date", "event_type", "sub_event_type", "actor1", "latitude", "longitude", "location"].filter((n) => !v(n));
    if (missing.length) {
      setMsg({ bad: true, text: t("required", { fields: missing.map((n) => t(n === "event_date" ? "event_date" : n)).join(", ") }) });
      el[missing[0]].focus();
      return;
    }
    const report = {
      event_date: v("event_date"),
      time_precision: Number(v("time_precision") || 1),
      event_type: v("event_type"),
      sub_event_type: v("sub_event_type"),
      actor1: v("actor1"),
      latitude: Number(v("latitude")),
      longitude: Number(v("longitude")),
      geo_precision: Number(v("geo_precision") || 1),
      location: v("location"),
    };
    if (v("actor2")) report.actor2 = v("actor2");
    if (v("fatalities")) report.fatalities = Number(v("fatalities"));
    if (v("injured")) report.injured = Number(v("injured"));
    if (v("notes")) report.notes = v("notes");
    const srcs = [];
    sources.forEach((k, i) => {
      const sfx = i === 0 ? "" : `_${k}`;
      const name = v("source_name" + sfx);
      if (name) srcs.push({ name, reliability: v("source_reliability" + sfx) || "F", credibility: Number(v("source_credibility" + sfx) || 6) });
    });
    if (srcs.length) report.sources = srcs;
    const files = el.evidence && el.evidence.files ? Array.from(el.evidence.files) : [];
    try {
      await outbox.save(report, files);
    } catch (err) {
      setMsg({ bad: true, text: t("error", { msg: err.message }) });
      return;
    }
    setMsg({ text: t("saved") });
    e.target.reset();
    setType("");
    setPos({ lat: "", lon: "" });
    setSources([0]);
    outbox.flush(true);
  };

  const source = (k, i) => {
    const sfx = i === 0 ? "" : `_${k}`;
    return html`<fieldset key=${k}>
      <legend>${t("source", { n: i + 1 })}</legend>
      <label for=${"sn" + k}>${t("source_name")}</label>
      <input id=${"sn" + k} name=${"source_name" + sfx} dir="auto" />
      <div class="row">
        <div><label for=${"sr" + k}>${t("source_reliability")}</label>
          <select id=${"sr" + k} name=${"source_reliability" + sfx} aria-describedby="grading">
            ${REL.map((r) => html`<option value=${r} selected=${r === "F"}>${t("rel_" + r)}</option>`)}
          </select></div>
        <div><label for=${"sc" + k}>${t("source_credibility")}</label>
          <select id=${"sc" + k} name=${"source_credibility" + sfx} aria-describedby="grading">
            ${CRED.map((c) => html`<option value=${c} selected=${c === 6}>${t("cred_" + c)}</option>`)}
          </select></div>
      </div>
      ${i > 0 ? html`<button type="button" class="secondary" onClick=${() => setSources(sources.filter((x) => x !== k))}>${t("remove")}</button>` : null}
    </fieldset>`;
  };

  return html`
    <h1>${t("report_title")}</h1>
    <p class="muted">${t("report_intro")}</p>
    ${signedIn ? null : html`<p class="notice">${t("anonymous_note")}</p>`}
    <form ref=${form} onSubmit=${submit} novalidate>
      <div class="row">
        <div><label for="event_date">${t("event_date")}</label>
          <input id="event_date" name="event_date" type="date" max=${today()} value=${today()} required /></div>
        <div><label for="time_precision">${t("time_precision")}</label>
          <select id="time_precision" name="time_precision">${[1, 2, 3].map((n) => html`<option value=${n}>${t("tp_" + n)}</option>`)}</select></div>
      </div>
      <div class="row">
        <div><label for="event_type">${t("event_type")}</label>
          <select id="event_type" name="event_type" required value=${type} onChange=${(e) => setType(e.target.value)}>
            <option value="">${t("choose")}</option>
            ${Object.keys(TAXONOMY).map((k) => html`<option value=${k}>${term(k)}</option>`)}
          </select></div>
        <div><label for="sub_event_type">${t("sub_event_type")}</label>
          <select id="sub_event_type" name="sub_event_type" required>
            <option value="">${t("choose")}</option>
            ${(TAXONOMY[type] || []).map((k) => html`<option value=${k}>${term(k)}</option>`)}
          </select></div>
      </div>
      <label for="actor1">${t("actor1")}<span class="hint" id="actor-hint">${t("actor_hint")}</span></label>
      <input id="actor1" name="actor1" dir="auto" required aria-describedby="actor-hint" list="actors" />
      <label for="actor2">${t("actor2")}</label>
      <input id="actor2" name="actor2" dir="auto" list="actors" />
      <datalist id="actors">
        <option value="Military Forces of Israel (2022-)" /><option value="Hamas Movement" /><option value="Civilians (Palestine)" />
        <option value="Unidentified Armed Group (Palestine)" /><option value="Police Forces of Israel (2022-)" />
      </datalist>
      <fieldset>
        <legend>${t("where")}</legend>
        <div class="row">
          <div><label for="latitude">${t("latitude")}</label>
            <input id="latitude" name="latitude" type="number" step="any" min="-90" max="90" required dir="ltr" value=${pos.lat} onInput=${(e) => setPos({ ...pos, lat: e.target.value })} /></div>
          <div><label for="longitude">${t("longitude")}</label>
            <input id="longitude" name="longitude" type="number" step="any" min="-180" max="180" required dir="ltr" value=${pos.lon} onInput=${(e) => setPos({ ...pos, lon: e.target.value })} /></div>
        </div>
        <button type="button" class="secondary" onClick=${() => setMapOn(true)}>${t("pick_map")}</button>
        <button type="button" class="secondary" onClick=${locate}>${t("use_position")}</button>
        <label for="zone-pick">${t("pick_place")}</label>
        <select id="zone-pick" onChange=${pickZone}>
          <option value="">${t("choose")}</option>
          ${zones && zones.features.map((z) => html`<option value=${z.properties.slug}>${z.properties.name}</option>`)}
        </select>
        ${mapOn ? html`<p class="muted">${t("map_tap")}</p><div class="map" ref=${mapEl} role="region" aria-label=${t("pick_map")}></div>` : null}
        <label for="location">${t("place_name")}</label>
        <input id="location" name="location" dir="auto" required />
        <label for="geo_precision">${t("geo_precision")}</label>
        <select id="geo_precision" name="geo_precision">${[1, 2, 3].map((n) => html`<option value=${n}>${t("gp_" + n)}</option>`)}</select>
      </fieldset>
      <div class="row">
        <div><label for="fatalities">${t("fatalities")}</label><input id="fatalities" name="fatalities" type="number" min="0" step="1" /></div>
        <div><label for="injured">${t("injured")}</label><input id="injured" name="injured" type="number" min="0" step="1" /></div>
      </div>
      <label for="notes">${t("notes")}<span class="hint" id="notes-hint">${t("notes_hint")}</span></label>
      <textarea id="notes" name="notes" dir="auto" maxlength="20000" aria-describedby="notes-hint"></textarea>
      <p class="hint" id="grading">${t("grading_help")}</p>
      ${sources.map(source)}
      <button type="button" class="secondary" onClick=${() => setSources([...sources, Math.max(...sources) + 1])}>${t("add_source")}</button>
      <label for="evidence">${t("evidence")}<span class="hint">${signedIn ? t("evidence_hint") : t("evidence_signin")}</span></label>
      <input id="evidence" name="evidence" type="file" multiple accept="image/*,video/*,audio/*,application/pdf,text/plain" disabled=${!signedIn} />
      <div><button type="submit">${t("save")}</button></div>
      <div role="status" aria-live="polite" data-testid="report-status">${msg ? html`<p class=${"notice" + (msg.bad ? " bad" : "")}>${msg.text}</p>` : null}</div>
    </form>
    <${Outbox} />
  `;
}
