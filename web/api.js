// The public API, relative to the page's origin. The token lives in localStorage so that a
// reload or a closed tab keeps the volunteer signed in; nothing else secret is stored.

const API = "/api/v1";
const TOKEN_KEY = "doorstep.token";

export class ApiError extends Error {
  constructor(status, problem, retryAfter = null) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter; // seconds, from a 503's or a 429's Retry-After
  }
}

export function token() {
  return localStorage.getItem(TOKEN_KEY);
}

export function forget() {
  localStorage.removeItem(TOKEN_KEY);
}

async function call(method, path, { json, form, etag } = {}) {
  const headers = {};
  if (etag) headers["If-None-Match"] = etag;
  const saved = token();
  if (saved) headers.Authorization = `Bearer ${saved}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  }
  const response = await fetch(API + path, { method, headers, body, cache: "no-store" });
  if (response.status === 304) return { notModified: true };
  const isJson = (response.headers.get("content-type") || "").includes("json");
  const data = isJson ? await response.json() : null;
  if (!response.ok) {
    const retry = Number(response.headers.get("retry-after")) || null;
    throw new ApiError(response.status, data, retry);
  }
  return etag === undefined ? data : { data, etag: response.headers.get("etag") };
}

export async function signIn(email, password, campaign) {
  const form = { username: email, password };
  if (campaign) form.campaign = campaign;
  const answer = await call("POST", "/auth/token", { form });
  localStorage.setItem(TOKEN_KEY, answer.access_token);
}

export async function useListCode(code, name) {
  const answer = await call("POST", "/auth/list_code", { json: { code, name } });
  localStorage.setItem(TOKEN_KEY, answer.access_token);
}

export async function signOut() {
  try {
    await call("POST", "/auth/logout");
  } catch {
    // a list-code token has no session to end; an expired one is gone already
  }
  forget();
}

export const myLists = () => call("GET", "/walk_lists?limit=100");

// The phone's copy of a list: `null` when the copy it has (`etag`) is still current.
export async function walkList(id, etag) {
  const answer = await call("GET", `/walk_lists/${id}`, { etag: etag || "" });
  return answer.notModified ? null : answer;
}

export const syncResults = (results) => call("POST", "/sync", { json: { results } });

// The list a sheet's printed number names, or null.
export async function findList(number) {
  const page = await call("GET", `/walk_lists?number=${encodeURIComponent(number)}`);
  return page.results[0] || null;
}

export const paperEntries = (listId, entries, replace) =>
  call("POST", `/walk_lists/${listId}/paper_entries`, { json: { entries, replace } });
