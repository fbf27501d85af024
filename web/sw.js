// The service worker: the app shell from the cache, so that the app opens with no network
// (airplane mode). The lists and the outbox live in IndexedDB (store.js); API calls go to
// the network as they are.

const SHELL = "doorstep-shell-v1";
const FILES = [
  "/app/",
  "/app/app.js",
  "/app/api.js",
  "/app/canvass.js",
  "/app/store.js",
  "/app/sync.js",
  "/app/ui.js",
  "/app/style.css",
  "/app/manifest.webmanifest",
  "/app/vendor/idb/index.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  if (!url.pathname.startsWith("/app/")) return; // the API: always the network
  // Pages of the app (/app/lists/3, /app/go/CODE) are the shell; files are themselves.
  const key = event.request.mode === "navigate" ? "/app/" : url.pathname;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok && event.request.mode !== "navigate") {
          const copy = response.clone();
          caches.open(SHELL).then((cache) => cache.put(key, copy));
        }
        return response;
      })
      .catch(() => caches.match(key).then((hit) => hit || Response.error())),
  );
});
