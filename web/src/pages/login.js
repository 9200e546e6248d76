// Sign in: a token for this browser, kept until sign-out.
import { html, useState } from "../ui.js";
import { t } from "../i18n.js";
import { api, session } from "../api.js";

export default function Login() {
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const fd = new FormData(e.target);
    setError(null);
    try {
      const r = await api("/api/v1/login", { method: "POST", body: { user: fd.get("user"), password: fd.get("password"), label: "web" } });
      const me = await fetch("/api/v1/me", { headers: { Authorization: `Bearer ${r.token}` } }).then((x) => x.json());
      session.set(r.token, me);
      const next = new URLSearchParams(location.search).get("next");
      location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
    } catch (err) {
      setError(err.message);
    }
  };
  return html`
    <h1>${t("login_title")}</h1>
    <form onSubmit=${submit} method="post" action="/login">
      <label for="user">${t("user")}</label>
      <input id="user" name="user" autocomplete="username" required dir="auto" />
      <label for="password">${t("password")}</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      <button type="submit">${t("nav_login")}</button>
      ${error ? html`<p class="notice bad" role="alert">${t("login_failed", { msg: error })}</p>` : null}
    </form>
  `;
}
