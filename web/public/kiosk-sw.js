/*
 * The kiosk's service worker (scope /kiosk): the kiosk page and its files
 * are kept in a cache named after the build, so that the kiosk starts with
 * no network. The page itself is fetched from the network first (a new
 * build shows up at the next start) and from the cache when that fails;
 * the hashed files never change and come from the cache. Nothing else is
 * touched: GraphQL goes to the network, and the page's own queue
 * (IndexedDB) deals with failures. The build writes the file list and the
 * version in (web/vite.config.mts).
 */
const VERSION = 'par-kiosk-__VERSION__';
const PRECACHE = "__PRECACHE__";

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('par-kiosk-') && n !== VERSION).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === '/kiosk') {
    event.respondWith(
      fetch(request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(VERSION).then((cache) => cache.put('/kiosk', copy));
        }
        return response;
      }).catch(() => caches.match('/kiosk', { ignoreSearch: true }).then((cached) => cached || Response.error())),
    );
    return;
  }
  if (PRECACHE.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((cached) => cached || fetch(request)));
  }
});
