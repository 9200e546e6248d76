// map.js - Leaflet with no tile layer: the scenario's zones drawn from the server's GeoJSON,
// nothing fetched from elsewhere. Leaflet's own internals stay left to right in any page.
import L from "leaflet";
import { num as fmt } from "./i18n.js";

export function makeMap(el, zones, { onClick } = {}) {
  const map = L.map(el, { zoomSnap: 1, attributionControl: false, preferCanvas: true });
  const layer = L.geoJSON(zones, {
    style: () => ({ color: "#1f4e79", weight: 1.5, fillColor: "#dce8f2", fillOpacity: 0.5 }),
    onEachFeature: (f, l) => l.bindTooltip(f.properties.name, { sticky: true }),
  }).addTo(map);
  const b = layer.getBounds();
  if (b.isValid()) map.fitBounds(b, { padding: [8, 8] });
  else map.setView([31.45, 34.4], 10);
  if (onClick) map.on("click", (e) => onClick(e.latlng.lat, e.latlng.lng));
  return { map, L };
}

// Cells (zoomed out) or points (zoomed in), replacing what was drawn before.
export function drawIncidents(m, { cells, points, onPoint }) {
  if (m.layer) m.layer.remove();
  const g = m.L.layerGroup();
  if (cells) {
    const max = Math.max(1, ...cells.map((c) => c[2]));
    for (const [lat, lon, n] of cells) {
      const r = 7 + 11 * Math.sqrt(n / max);
      m.L.circleMarker([lat, lon], { radius: r, color: "#7a1016", weight: 1, fillColor: "#c1121f", fillOpacity: 0.6 }).addTo(g);
      // The count on the circle, in the page's digits.
      m.L.marker([lat, lon], { icon: m.L.divIcon({ className: "cell-count", html: fmt(n), iconSize: [40, 16] }), interactive: false, keyboard: false }).addTo(g);
    }
  }
  if (points) {
    for (const f of points) {
      const [lon, lat] = f.geometry.coordinates;
      const mk = m.L.circleMarker([lat, lon], { radius: 5, color: "#7a1016", weight: 1, fillColor: "#c1121f", fillOpacity: 0.8 });
      mk.on("click", () => onPoint && onPoint(f.properties.id));
      mk.bindTooltip(`#${f.properties.id} ${f.properties.event_date}`);
      mk.addTo(g);
    }
  }
  g.addTo(m.map);
  m.layer = g;
}

export function setMarker(m, lat, lon) {
  if (m.marker) m.marker.setLatLng([lat, lon]);
  else m.marker = m.L.circleMarker([lat, lon], { radius: 8, color: "#1f4e79", weight: 3, fillOpacity: 0.3 }).addTo(m.map);
}
