// Special Week Classifier: the service worker that keeps the app usable offline.
//
// This file is a template. After a release build, `cargo xtask precache` (a Trunk
// post_build hook) writes dist/sw.js from it, putting the build's file list in place of
// the placeholder on the `const PRECACHE` line:
//   { "version": "<sha256 of the build>", "files": ["./", "index.html", ...] }
// The paths are relative to this script's URL, so one build works at the root of a host
// and under a sub-path such as /specialweek/. A new build has a new version, hence a new
// sw.js, which is what makes the browser install an update.
//
// install   download every file into the cache "special-week-<version>". Cache.addAll
//           is all or nothing: if one download fails the install fails, nothing is
//           kept, and the browser tries again on a later visit. So an active worker
//           always has the whole app, model included.
// activate  delete the caches of other versions, then take control of open pages.
// fetch     same-origin GET requests are answered from this version's cache first;
//           navigations inside the scope get the cached page; the rest goes to the
//           network. Every answer goes out with ISOLATION's headers, so the page is
//           cross-origin isolated (and runs the threaded worker) even on a host that
//           cannot set them; the page reloads once when this worker first takes control.
// message   {type: "SKIP_WAITING"}: the page asks a waiting update to take over.
//           {type: "VERSION"}: answer {type: "VERSION", version}.

const PRECACHE = __PRECACHE__;

// Cross-origin isolation: what a host that can set headers sends (see README, "Threads").
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const PREFIX = 'special-week-';
const CACHE = PREFIX + PRECACHE.version;
// The page itself, as the directory URL the service worker lives in.
const PAGE = new URL('./', self.location.href).href;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // "no-cache": ask the server (a 304 lets the HTTP cache supply the bytes) rather
    // than trust an HTTP-cached copy that may belong to an older build.
    const requests = PRECACHE.files.map(
      (path) => new Request(new URL(path, self.location.href), { cache: 'no-cache' }));
    await cache.addAll(requests);
    // First install: no page runs an older version, so take over at once and the first
    // visit is already offline ready. An update instead waits until the page sends
    // SKIP_WAITING (the user chose to reload into it).
    if (!self.registration.active) {
      await self.skipWaiting();
    }
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith(PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) {
    return; // Not ours: the browser handles it as if there were no service worker.
  }
  event.respondWith(cacheFirst(request));
});

async function cacheFirst(request) {
  const navigation = request.mode === 'navigate'
    && request.url.startsWith(self.registration.scope);
  let response = await caches.match(request, { cacheName: CACHE });
  if (!response && navigation) {
    // Any page address in the scope (with a query, say) gets the app.
    response = await caches.match(PAGE, { cacheName: CACHE });
  }
  return isolated(response || await fetch(request));
}

// A copy of a same-origin response with ISOLATION's headers added. The copy is never
// marked as redirected, which browsers refuse as the answer to a navigation (hosts that
// send /index.html to / produce those).
function isolated(response) {
  if (response.status === 0) {
    return response; // Opaque or an error: nothing to copy.
  }
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION)) {
    headers.set(name, value);
  }
  const bodyless = [101, 204, 205, 304].includes(response.status);
  return new Response(bodyless ? null : response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

self.addEventListener('message', (event) => {
  const type = event.data && event.data.type;
  if (type === 'SKIP_WAITING') {
    event.waitUntil(self.skipWaiting());
  } else if (type === 'VERSION') {
    const answer = { type: 'VERSION', version: PRECACHE.version };
    if (event.ports && event.ports[0]) {
      event.ports[0].postMessage(answer);
    } else if (event.source) {
      event.source.postMessage(answer);
    }
  }
});
