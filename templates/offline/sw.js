// Patroli's service worker (version {{ version }}): the officer's app works without signal.
// Pages: network first (a slow link gives up after a few seconds), then the copy kept here.
// Static files: kept copy first. API reads: network first, then the kept copy. Writes are never
// cached or replayed here: the outbox in the page sends them (see outbox.js).
"use strict";
const VERSION = "{{ version }}";
const SHELL = {{ shell|safe }};
const OUTBOX = "{{ outbox }}";
const PAGES = "patroli-pages";
const STATIC = "patroli-static-" + VERSION;
const API = "patroli-api";
const SLOW_LINK_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC).then(async (cache) => {
      const pages = await caches.open(PAGES);
      await Promise.all(SHELL.map(async (url) => {
        try {
          const response = await fetch(url, { credentials: "same-origin" });
          if (response.ok && !response.redirected) {
            await (url.startsWith("/static/") ? cache : pages).put(url, response);
          }
        } catch (error) { /* offline at install: kept on the next visit */ }
      }));
    }).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(
      keys.filter((k) => k.startsWith("patroli-static-") && k !== STATIC).map((k) => caches.delete(k))
    )).then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  // Logging out: forget the pages (they hold the unit's data); the outbox stays in IndexedDB.
  if (event.data === "forget") {
    event.waitUntil(Promise.all([caches.delete(PAGES), caches.delete(API)]));
  }
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("slow")), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

async function networkFirst(request, cacheName, fallback) {
  const cache = await caches.open(cacheName);
  const fetching = fetch(request);
  try {
    const response = await withTimeout(fetching, SLOW_LINK_MS);
    if (response.ok && !response.redirected) {
      cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const kept = (await cache.match(request)) || (await cache.match(request, { ignoreSearch: true }));
    if (kept) {
      fetching.then((late) => { if (late.ok && !late.redirected) cache.put(request, late); }).catch(() => {});
      return kept;
    }
    if (fallback) {
      const page = await cache.match(fallback);
      if (page) return page;
    }
    try { return await fetching; } catch (e) { return Response.error(); }
  }
}

async function keptFirst(request) {
  const kept = await caches.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) (await caches.open(STATIC)).put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(keptFirst(request));
  } else if (request.mode === "navigate" && url.pathname.startsWith("/app/")) {
    event.respondWith(networkFirst(request, PAGES, OUTBOX));
  } else if (url.pathname.startsWith("/api/v1/")) {
    event.respondWith(networkFirst(request, API, null));
  }
});
