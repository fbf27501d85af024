// The outbox drains to POST /sync whenever the phone is online: in batches, with backoff on
// failure. Every item carries its client_id, so a batch sent twice is stored once.

import { ApiError, syncResults } from "./api.js";
import { settle, waiting } from "./store.js";

const BATCH = 100;
const MAX_WAIT_MS = 60_000;
let running = null;
let again = false;
let delay = 1_000;
let timer = null;
const listeners = new Set();

export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

async function changed(state) {
  for (const listener of listeners) await listener(state);
}

async function drainOnce() {
  for (;;) {
    const items = await waiting();
    if (!items.length) return "idle";
    const batch = items.slice(0, BATCH).map(({ state, message, ...item }) => item);
    const answer = await syncResults(batch);
    await settle(answer.results);
    await changed("sent");
  }
}

export function drain() {
  // one drain at a time; a call meanwhile (a knock saved while a batch was on its way) runs
  // another drain once this one has ended well, so that nothing saved meanwhile waits for the
  // next knock (after a failure, the backoff's timer runs the next one)
  if (running) {
    again = true;
    return running;
  }
  again = false;
  clearTimeout(timer);
  running = (async () => {
    try {
      const state = await drainOnce();
      delay = 1_000;
      await changed(state);
      if (again) setTimeout(drain, 0); // after `running` is cleared below
      return state;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        await changed("signed-out"); // the outbox stays; the volunteer signs in again
        return "signed-out";
      }
      const retryAfter = error instanceof ApiError ? error.retryAfter : null;
      const wait = retryAfter ? retryAfter * 1000 : delay;
      delay = Math.min(delay * 2, MAX_WAIT_MS);
      timer = setTimeout(drain, wait);
      await changed("offline");
      return "offline";
    } finally {
      running = null;
    }
  })();
  return running;
}

window.addEventListener("online", () => drain());
