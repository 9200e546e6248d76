// main.js - the shell: header, language, who is signed in, and the page the path names,
// whose code is loaded when it is first needed.
import "./app.css";
import { html, render, useState, useEffect } from "./ui.js";
import { t, lang, LANGS } from "./i18n.js";
import { session, api } from "./api.js";
import { onChange, list } from "./outbox.js";

const pages = [
  [/^\/$/, () => import("./pages/record.js")],
  [/^\/incidents\/(\d+)$/, () => import("./pages/incident.js")],
  [/^\/login$/, () => import("./pages/login.js")],
  [/^\/report$/, () => import("./pages/report.js")],
  [/^\/monitor$/, () => import("./pages/monitor.js")],
  [/^\/comply$/, () => import("./pages/comply.js")],
  [/^\/aid$/, () => import("./pages/aid.js")],
  [/^\/mediate$/, () => import("./pages/mediate.js")],
  [/^\/negotiate$/, () => import("./pages/negotiate.js")],
];

function withLang(code) {
  const u = new URL(location.href);
  u.searchParams.set("lang", code);
  return u.pathname + u.search;
}

function Header({ path }) {
  const me = session.me;
  const [online, setOnline] = useState(navigator.onLine);
  const [waiting, setWaiting] = useState(0);
  useEffect(() => {
    const up = () => setOnline(navigator.onLine);
    addEventListener("online", up);
    addEventListener("offline", up);
    const count = () => list().then((l) => setWaiting(l.length), () => {});
    count();
    const off = onChange(count);
    return () => {
      removeEventListener("online", up);
      removeEventListener("offline", up);
      off();
    };
  }, []);
  const link = (href, key) => html`<a href=${href} aria-current=${path === href ? "page" : undefined}>${t(key)}</a>`;
  const logout = async () => {
    try {
      await api("/api/v1/logout", { method: "POST" });
    } catch {}
    session.clear();
    location.href = "/";
  };
  return html`
    <a class="skip" href="#main">${t("skip")}</a>
    <header class="top">
      <nav aria-label="truce">
        <a class="brand" href="/" lang="en">truce</a>
        ${link("/", "nav_record")} ${link("/report", "nav_report")} ${link("/aid", "nav_aid")} ${link("/comply", "nav_comply")}
        ${me && (me.org_kind === "monitor" || me.org_kind === "mediator" || me.admin) ? link("/monitor", "nav_monitor") : null}
        ${me && (me.org_kind === "mediator" || me.admin) ? link("/mediate", "nav_mediate") : null}
        ${me && me.org_kind === "party" ? link("/negotiate", "nav_negotiate") : null}
        ${waiting ? html`<a class="badge" href="/report#outbox" data-testid="outbox-badge">${t("outbox_count", { n: waiting })}</a>` : null}
      </nav>
      <div class="who">
        ${me
          ? html`<span>${t("signed_in_as", { user: me.user, org: me.org })}</span>
              <button type="button" class="link" onClick=${logout}>${t("nav_logout")}</button>`
          : link("/login", "nav_login")}
        <span class="langs" role="group" aria-label=${t("language")}>
          ${Object.entries(LANGS).map(
            ([code, name]) => html`<a href=${withLang(code)} lang=${code} hreflang=${code} aria-current=${code === lang ? "true" : undefined}>${name}</a>`
          )}
        </span>
      </div>
    </header>
    ${online ? null : html`<p class="banner" role="status">${t("offline_banner")}</p>`}
  `;
}

function App() {
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const hit = pages.find(([re]) => re.test(path));
    if (!hit) return setError(t("not_found"));
    const m = path.match(hit[0]);
    hit[1]().then((mod) => setPage({ View: mod.default, params: m.slice(1) }), (e) => setError(String(e)));
  }, []);
  return html`
    <${Header} path=${path} />
    <main id="main" tabindex="-1">
      ${error ? html`<p role="alert">${error}</p>` : page ? html`<${page.View} params=${page.params} />` : html`<p>${t("loading")}</p>`}
    </main>
  `;
}

render(html`<${App} />`, document.getElementById("app"));

if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
