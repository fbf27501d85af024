// The public API, relative to the page's origin. The token lives in localStorage so that a
// reload or a closed tab keeps the volunteer signed in; nothing else secret is stored.

const API = "/api/v1";
const TOKEN_KEY = "doorstep.token";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function token() {
  return localStorage.getItem(TOKEN_KEY);
}

export function forget() {
  localStorage.removeItem(TOKEN_KEY);
}

async function call(method, path, { json, form } = {}) {
  const headers = {};
  const saved = token();
  if (saved) headers.Authorization = `Bearer ${saved}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  }
  const response = await fetch(API + path, { method, headers, body });
  const isJson = (response.headers.get("content-type") || "").includes("json");
  const data = isJson ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
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
