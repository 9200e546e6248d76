// chart.js - small SVG bar charts drawn by hand: no chart library to download.
import { html } from "./ui.js";
import { num } from "./i18n.js";

// Bars for [label, value] pairs, in reading order (the SVG is mirrored in a right-to-left
// page by the caller's dir).
export function Bars({ data, title, width = 640, height = 160 }) {
  if (!data.length) return null;
  const max = Math.max(1, ...data.map((d) => d[1]));
  const w = width / data.length;
  const rtl = document.documentElement.dir === "rtl";
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height + 18}" role="img" aria-label=${title}>
      <title>${title}</title>
      ${data.map(([label, v], i) => {
        const bh = (v / max) * height;
        const x = rtl ? width - (i + 1) * w : i * w;
        return html`<rect x=${x + 0.5} y=${height - bh} width=${Math.max(1, w - 1)} height=${bh} fill="#1f4e79"><title>${label}: ${num(v)}</title></rect>`;
      })}
      <text x=${rtl ? width : 0} y=${height + 14} text-anchor=${rtl ? "end" : "start"}>${data[0][0]}</text>
      <text x=${rtl ? 0 : width} y=${height + 14} text-anchor=${rtl ? "start" : "end"}>${data[data.length - 1][0]}</text>
    </svg>
  </figure>`;
}
