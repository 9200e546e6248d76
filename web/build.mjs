// build.mjs - bundles the web app and writes it as C for the binary to embed.
//
//   node web/build.mjs OUT.c [DIST_DIR]
//
// esbuild bundles src/main.js (split into content-hashed chunks: a page's code and the map
// are loaded when needed) and src/sw.js (the service worker, at a fixed name), then every
// file gets a gzip and a brotli variant, made here once so that the server never compresses
// a static file. The HTML shell is written once per language with <html lang dir> set, so a
// page never guesses its direction. OUT.c holds the table src/web/web.c serves from; with
// DIST_DIR the same files are also written there (what `truce serve --assets-dir` serves).
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { dirname, join, basename, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, brotliCompressSync, constants as zc } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const [outC, distDir] = process.argv.slice(2);
if (!outC) {
  console.error("usage: node build.mjs OUT.c [DIST_DIR]");
  process.exit(2);
}

const types = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
};

const result = await esbuild.build({
  entryPoints: { main: join(here, "src/main.js") },
  bundle: true,
  splitting: true,
  format: "esm",
  target: ["chrome100", "firefox100", "safari15"],
  minify: true,
  legalComments: "none",
  write: false,
  metafile: true,
  outdir: "/assets",
  publicPath: "/assets",
  entryNames: "[name]-[hash]",
  chunkNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  loader: { ".png": "file", ".svg": "file" },
  logLevel: "warning",
});

const files = []; // {path, type, bytes, immutable}
let mainJs, mainCss;
for (const f of result.outputFiles) {
  const path = f.path; // "/assets/main-HASH.js"
  if (path.endsWith(".map")) continue;
  const name = basename(path);
  if (/^main-.*\.js$/.test(name)) mainJs = path;
  if (/^main-.*\.css$/.test(name)) mainCss = path;
  files.push({ path, type: types[extname(path)] || "application/octet-stream", bytes: Buffer.from(f.contents), immutable: true });
}
if (!mainJs || !mainCss) throw new Error("esbuild made no main-*.js or main-*.css");

const icon = readFileSync(join(here, "src/icon.svg"));
const iconPath = `/assets/icon-${createHash("sha256").update(icon).digest("hex").slice(0, 8)}.svg`;
files.push({ path: iconPath, type: types[".svg"], bytes: icon, immutable: true });

// The shell, once per language. Each names the hashed files it needs; none carries inline
// script or style (the CSP forbids both).
const shellText = {
  en: { title: "truce — the record", noscript: "This page needs JavaScript. The record is also in the API: /api/v1/incidents" },
  ar: { title: "truce — السجل", noscript: "تحتاج هذه الصفحة إلى JavaScript. السجل متاح أيضًا عبر الواجهة البرمجية: /api/v1/incidents" },
  he: { title: "truce — הרשומה", noscript: "דף זה דורש JavaScript. הרשומה זמינה גם דרך ה-API: ‎/api/v1/incidents" },
};
const template = readFileSync(join(here, "src/shell.html"), "utf8");
for (const [lang, t] of Object.entries(shellText)) {
  const html = template
    .replaceAll("{{lang}}", lang)
    .replaceAll("{{dir}}", lang === "en" ? "ltr" : "rtl")
    .replaceAll("{{title}}", t.title)
    .replaceAll("{{noscript}}", t.noscript)
    .replaceAll("{{css}}", mainCss)
    .replaceAll("{{js}}", mainJs)
    .replaceAll("{{icon}}", iconPath);
  files.push({ path: `shell.${lang}.html`, type: types[".html"], bytes: Buffer.from(html), immutable: false });
}

const manifest = {
  name: "truce",
  short_name: "truce",
  start_url: "/report",
  scope: "/",
  display: "standalone",
  background_color: "#ffffff",
  theme_color: "#1f4e79",
  icons: [{ src: iconPath, sizes: "any", type: "image/svg+xml" }],
};
files.push({ path: "/manifest.webmanifest", type: types[".webmanifest"], bytes: Buffer.from(JSON.stringify(manifest)), immutable: false });

// The service worker keeps every hashed file and the shells; its version is the hash of
// them all, so a new build is a new worker, and an old cache is dropped only once the new
// one is complete. It never touches IndexedDB, where the outbox lives.
const precache = files.filter((f) => f.path.startsWith("/assets/")).map((f) => f.path);
const version = createHash("sha256");
for (const f of files) version.update(f.path).update(f.bytes);
const sw = await esbuild.build({
  entryPoints: [join(here, "src/sw.js")],
  bundle: true,
  format: "iife",
  target: ["chrome100", "firefox100", "safari15"],
  minify: true,
  write: false,
  define: {
    __PRECACHE__: JSON.stringify(precache),
    __VERSION__: JSON.stringify(version.digest("hex").slice(0, 16)),
  },
  logLevel: "warning",
});
files.push({ path: "/sw.js", type: types[".js"], bytes: Buffer.from(sw.outputFiles[0].contents), immutable: false });

// ---- C ------------------------------------------------------------------------------
function carray(name, bytes) {
  const parts = [];
  for (let i = 0; i < bytes.length; i += 24) {
    parts.push(Array.from(bytes.subarray(i, i + 24), (b) => b.toString()).join(","));
  }
  return `static const unsigned char ${name}[${bytes.length || 1}] = {${parts.join(",\n") || "0"}};\n`;
}
let c = "/* Generated by web/build.mjs from web/src: do not edit, do not commit. */\n#include \"web/web.h\"\n\n";
const rows = [];
let total = { raw: 0, gz: 0, br: 0 };
files.forEach((f, i) => {
  const gz = gzipSync(f.bytes, { level: 9 });
  const br = brotliCompressSync(f.bytes, {
    params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: f.bytes.length },
  });
  const etag = '"' + createHash("sha256").update(f.bytes).digest("base64url").slice(0, 22) + '"';
  c += carray(`a${i}`, f.bytes) + carray(`a${i}_gz`, gz) + carray(`a${i}_br`, br);
  rows.push(
    `    {${JSON.stringify(f.path)}, ${JSON.stringify(f.type)}, a${i}, ${f.bytes.length}, a${i}_gz, ${gz.length}, a${i}_br, ${br.length}, ${JSON.stringify(etag)}, ${f.immutable ? 1 : 0}},`
  );
  total.raw += f.bytes.length;
  total.gz += gz.length;
  total.br += br.length;
  if (distDir) {
    const p = join(distDir, f.path.replace(/^\//, ""));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.bytes);
  }
});
c += "\nconst web_asset web_assets[] = {\n" + rows.join("\n") + "\n    {0},\n};\n";
c += `const size_t web_n_assets = ${files.length};\n`;
mkdirSync(dirname(outC), { recursive: true });
writeFileSync(outC + ".tmp", c);
rmSync(outC, { force: true });
writeFileSync(outC, c);
rmSync(outC + ".tmp", { force: true });
console.log(`web: ${files.length} files, ${total.raw} bytes (${total.gz} gzip, ${total.br} brotli)`);
