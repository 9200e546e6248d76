// sw.js - keeps the app shell so that every page opens with no connection.
//
// The hashed files are cached when the worker installs, under a cache named for this
// build; pages (the shell, one per language) are fetched from the network and kept, and
// served from the cache when the network fails. A new build installs beside the old one
// and drops the old cache only once it is complete. The worker never touches IndexedDB:
// the outbox belongs to the page. API requests are never cached.
/* global __PRECACHE__, __VERSION__ */
const CACHE = "truce-" + __VERSION__;
const PAGES = "truce-pages";
const PAGE_PATHS = /^\/(incidents\/\d+|login|report|monitor|comply|aid|mediate|negotiate)?$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const c = await caches.open(CACHE);
      await c.addAll(__PRECACHE__);
      // The shell of the page that installed us, in its language.
      const p = await caches.open(PAGES);
      for (const path of ["/report", "/"]) {
        try {
          const r = await fetch(path, { credentials: "same-origin" });
          if (r.ok) await p.put(path, r);
        } catch {}
      }
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const k of await caches.keys()) if (k.startsWith("truce-") && k !== CACHE && k !== PAGES) await caches.delete(k);
      await self.clients.claim();
    })()
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== location.origin) return;
  if (req.mode === "navigate" && PAGE_PATHS.test(url.pathname)) {
    event.respondWith(
      (async () => {
        const pages = await caches.open(PAGES);
        try {
          const r = await fetch(req);
          if (r.ok) await pages.put(url.pathname, r.clone());
          return r;
        } catch (e) {
          // Any page's shell draws any page: the path is read by the script.
          const hit = (await pages.match(url.pathname)) || (await pages.match("/report")) || (await pages.match("/"));
          if (hit) return hit;
          throw e;
        }
      })()
    );
    return;
  }
  if (url.pathname.startsWith("/assets/")) {
    event.respondWith(
      (async () => {
        const hit = await caches.match(req);
        if (hit) return hit;
        const r = await fetch(req);
        if (r.ok) (await caches.open(CACHE)).put(req, r.clone());
        return r;
      })()
    );
  }
});
