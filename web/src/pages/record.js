// The public record: a map of public incidents (counts per cell when zoomed out, points when
// zoomed in), filters, counts by day and type, and a list linking to each incident.
import { html, useState, useEffect, useRef, useLoad } from "../ui.js";
import { t, term, num, day, TAXONOMY } from "../i18n.js";
import { api } from "../api.js";
import { Bars } from "../chart.js";

function query(f, extra = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v !== "" && v != null) q.set(k, v);
  return q.toString();
}

export default function Record() {
  const init = new URLSearchParams(location.search);
  const [f, setF] = useState({ from: init.get("from") || "", to: init.get("to") || "", event_type: init.get("event_type") || "", zone: init.get("zone") || "" });
  const [draft, setDraft] = useState(f);
  const [zones] = useLoad(() => api("/api/v1/zones"), []);
  const [stats, statsErr] = useLoad(() => api("/api/v1/incidents/stats?" + query(f)), [f]);
  const [page, setPage] = useState({ items: [], next: 0 });
  const mapEl = useRef(null);
  const m = useRef(null);

  const loadList = async (after = 0) => {
    const r = await api("/api/v1/incidents?" + query(f, { limit: 50, after }));
    setPage((p) => ({ items: after ? p.items.concat(r.incidents) : r.incidents, next: r.next_after || 0 }));
  };
  useEffect(() => {
    loadList(0).catch(() => {});
  }, [f]);

  // The map: cells from the server's grid while zoomed out, points once few enough.
  const redraw = async () => {
    const mm = m.current;
    if (!mm) return;
    const b = mm.map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
    const zoom = mm.map.getZoom();
    // About 40 px a cell at any zoom: 360° / 256 px at zoom 0, halved at each level.
    const cell = Math.min(1, Math.max(0.001, (40 * 360) / (256 * 2 ** zoom)));
    const { drawIncidents } = await import("../map.js");
    const g = await api("/api/v1/incidents/grid?" + query(f, { bbox, cell: cell.toFixed(4) }));
    if (g.total <= 2000 && zoom >= 13) {
      const pts = await api("/api/v1/incidents.geojson?" + query(f, { bbox, properties: "summary" }));
      drawIncidents(mm, { points: pts.features, onPoint: (id) => (location.href = `/incidents/${id}`) });
    } else drawIncidents(mm, { cells: g.cells });
  };
  useEffect(() => {
    if (!zones || m.current) return;
    import("../map.js").then(({ makeMap }) => {
      m.current = makeMap(mapEl.current, zones);
      m.current.map.on("moveend", () => redraw().catch(() => {}));
      redraw().catch(() => {});
    });
  }, [zones]);
  useEffect(() => {
    redraw().catch(() => {});
  }, [f]);

  const submit = (e) => {
    e.preventDefault();
    setF(draft);
    history.replaceState(null, "", "/?" + query(draft));
  };
  const set = (k) => (e) => setDraft({ ...draft, [k]: e.target.value });
  const byDay = stats ? Object.entries(stats.by_day).sort((a, b) => (a[0] < b[0] ? -1 : 1)) : [];
  const byType = stats ? Object.entries(stats.by_type).sort((a, b) => b[1] - a[1]) : [];

  return html`
    <h1>${t("record_title")}</h1>
    <p class="muted">${t("record_intro")}</p>
    <form class="filters" onSubmit=${submit} aria-label=${t("filters")}>
      <label>${t("from")}<input type="date" name="from" value=${draft.from} onInput=${set("from")} /></label>
      <label>${t("to")}<input type="date" name="to" value=${draft.to} onInput=${set("to")} /></label>
      <label>${t("event_type")}
        <select name="event_type" value=${draft.event_type} onChange=${set("event_type")}>
          <option value="">${t("any_type")}</option>
          ${Object.keys(TAXONOMY).map((k) => html`<option value=${k}>${term(k)}</option>`)}
        </select></label>
      <label>${t("zone")}
        <select name="zone" value=${draft.zone} onChange=${set("zone")}>
          <option value="">${t("any_zone")}</option>
          ${zones && zones.features.map((z) => html`<option value=${z.properties.slug}>${z.properties.name}</option>`)}
        </select></label>
      <button type="submit">${t("apply")}</button>
    </form>
    <h2 id="map-h">${t("map")}</h2>
    <div class="map" ref=${mapEl} role="region" aria-labelledby="map-h"></div>
    <p class="muted">${t("map_cells")}</p>
    ${statsErr ? html`<p role="alert">${t("error", { msg: statsErr.message })}</p>` : null}
    ${stats
      ? html`<p data-testid="total"><strong>${t("incidents_total", { n: stats.total })}</strong></p>
          <h2>${t("by_day")}</h2>
          <${Bars} data=${byDay.map(([d, n]) => [day(d), n])} title=${t("by_day")} />
          <h2>${t("by_type")}</h2>
          <table><tbody>${byType.map(([k, n]) => html`<tr><th scope="row">${term(k)}</th><td>${num(n)}</td></tr>`)}</tbody></table>`
      : null}
    <h2>${t("latest")}</h2>
    ${page.items.length
      ? html`<table>
          <thead><tr><th>#</th><th>${t("date")}</th><th>${t("event_type")}</th><th>${t("location")}</th><th>${t("fatalities")}</th></tr></thead>
          <tbody>${page.items.map(
            (i) => html`<tr>
              <td><a href=${`/incidents/${i.id}`}>${num(i.id)}</a></td>
              <td>${day(i.event_date)}</td>
              <td>${term(i.sub_event_type || i.event_type)}</td>
              <td dir="auto">${i.location}</td>
              <td>${num(i.fatalities || 0)}</td>
            </tr>`
          )}</tbody></table>
          ${page.next ? html`<button type="button" class="secondary" onClick=${() => loadList(page.next)}>${t("more")}</button>` : null}`
      : html`<p>${t("none")}</p>`}
  `;
}
