// api.js - the JSON API, with the signed-in user's token (kept in localStorage; the CSP
// forbids every script but ours). Errors carry the server's code and message.

const TOKEN = "truce.token";
const ME = "truce.me";

export const session = {
  get token() {
    return localStorage.getItem(TOKEN);
  },
  get me() {
    try {
      return JSON.parse(localStorage.getItem(ME) || "null");
    } catch {
      return null;
    }
  },
  set(token, me) {
    localStorage.setItem(TOKEN, token);
    localStorage.setItem(ME, JSON.stringify(me));
  },
  clear() {
    localStorage.removeItem(TOKEN);
    localStorage.removeItem(ME);
  },
};

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error && body.error.code;
    this.body = body;
  }
}

// fetch with the token; JSON in, JSON out. A network failure throws a TypeError (offline).
export async function api(path, { method = "GET", body, headers = {}, raw = false, signal } = {}) {
  const h = { ...headers };
  if (session.token) h.Authorization = `Bearer ${session.token}`;
  let payload = body;
  if (body !== undefined && !(body instanceof Blob) && !(body instanceof ArrayBuffer)) {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers: h, body: payload, signal, cache: "no-store" });
  if (raw) return res;
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    if (res.status === 401 && session.token) session.clear();
    throw new ApiError(res.status, json);
  }
  return json;
}
