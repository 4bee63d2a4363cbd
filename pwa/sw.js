// Backstep's service worker: the patient's phone pages open without a connection.
//
// Bundled by scripts/build-assets.mjs (esbuild) from the pinned Workbox modules into
// assets/pwa/sw-bundle.js. The worker itself is /sw.js (patients.views.pwa), which sets
// self.BACKSTEP (this release's precache list, the page allowlist, the sign-out URL) and
// imports this bundle: a new release changes /sw.js, so the browser installs the new worker.
//
// What is cached, and for whom:
// - static files of the patient pages: precached per release (Workbox precaching; old
//   entries are deleted when the new release activates, so old and new never mix);
// - the patient pages in BACKSTEP.pages only (today, log, check-in, history), and only when the
//   server marked the answer with the signed-in patient's opaque owner tag (X-Backstep-Owner).
//   They go into a cache named after that tag, and are served only while that tag is the
//   phone's current patient. Another patient's page, staff pages, /api/ and every other
//   answer pass through untouched, never cached.
// - signing out (the sign-out form's POST) deletes that patient's pages and queued entries
//   at once, online or not; offline, the sign-out itself is sent first thing when back online.
import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from "workbox-precaching";
import { Queue } from "workbox-background-sync";

const CFG = self.BACKSTEP;
const PAGES = "backstep-pages-";
// Pages kept by this release: they link to this release's static files.
const PAGES_PREFIX = `${PAGES}${CFG.version}-`;
const STATE_CACHE = "backstep-state";
const OWNER_KEY = "/__backstep/owner";
const LOGOUT_KEY = "/__backstep/pending-logout";
const WARMED_KEY = "/__backstep/warmed";
const LANGUAGE_KEY = "/__backstep/language";
const OWNER_HEADER = "X-Backstep-Owner";
const BACKGROUND_HEADER = "X-Backstep-Background";
const CACHED_AT_HEADER = "X-Backstep-Cached-At";
const NETWORK_TIMEOUT_MS = 4000;

precacheAndRoute(CFG.precache);
cleanupOutdatedCaches();

// --- small state kept in the Cache API (no IndexedDB needed) ------------------------------
async function readState(key) {
  const response = await (await caches.open(STATE_CACHE)).match(key);
  return response ? response.text() : "";
}
async function writeState(key, value) {
  const cache = await caches.open(STATE_CACHE);
  if (value) { await cache.put(key, new Response(value)); } else { await cache.delete(key); }
}
const currentOwner = () => readState(OWNER_KEY);

async function deletePageCaches(keep) {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name.startsWith(PAGES) && name !== keep)
    .map((name) => caches.delete(name)));
}

// --- entries queued for Background Sync ----------------------------------------------------
// The page keeps every entry in its outbox (localStorage) and also hands it here, so Chrome can
// send it when the connection returns even if no page is open. The server saves an entry once
// per client UUID, so the page's own resend and this one never make two.
const outbox = new Queue("backstep-outbox", { onSync: replayOutbox, maxRetentionTime: 60 * 24 * 7 });

function refusedForNow(response) {
  return response.type === "opaqueredirect" || [401, 403, 429].includes(response.status) || response.status >= 500;
}

async function replayOutbox() {
  // A page of the app is open: it sends the entries itself (outbox.js) and tells this worker which
  // went. Try again later (the browser retries a failed sync), for when the app is closed.
  if ((await self.clients.matchAll({ type: "window" })).length) { throw new Error("a page sends them"); }
  const owner = await currentOwner();
  let entry;
  while ((entry = await outbox.shiftRequest())) {
    // Only the current patient's entries; another patient's wait in their outbox on the phone.
    if (!owner || entry.metadata?.owner !== owner) { continue; }
    let response;
    try {
      response = await fetch(entry.request.clone());
    } catch (error) {
      await outbox.unshiftRequest(entry);
      throw error;  // still offline: Background Sync tries again later
    }
    if (refusedForNow(response)) { await outbox.unshiftRequest(entry); return; }
  }
}

async function dropQueued(unwanted) {
  const keep = [];
  let entry;
  while ((entry = await outbox.shiftRequest())) {
    if (!unwanted(entry.metadata || {})) { keep.push(entry); }
  }
  for (const entry of keep) { await outbox.pushRequest(entry); }
}

// --- signing out --------------------------------------------------------------------------
async function forgetPatient() {
  const owner = await currentOwner();
  await writeState(OWNER_KEY, "");
  await writeState(WARMED_KEY, "");
  await deletePageCaches(null);
  if (owner) { await dropQueued((entry) => entry.owner === owner); }
}

async function signOut(request) {
  const body = await request.clone().text();
  await forgetPatient();
  try {
    return await fetch(request);
  } catch (error) {
    // Offline: the phone forgets the patient now; the server session ends when back online.
    await writeState(LOGOUT_KEY, body);
    return Response.redirect(CFG.login, 303);
  }
}

async function sendPendingSignOut() {
  const body = await readState(LOGOUT_KEY);
  if (!body) { return; }
  const response = await fetch(CFG.logout, {
    method: "POST", body, credentials: "same-origin", redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  if (response.type === "opaqueredirect" || response.ok) { await writeState(LOGOUT_KEY, ""); }
}

// --- patient pages ------------------------------------------------------------------------
function pageKey(url) {
  const { origin, pathname } = new URL(url);
  return origin + pathname;  // one copy per page: the last one seen (the last history view)
}
function isPatientPage(url) {
  const { origin, pathname } = new URL(url);
  return origin === self.location.origin && CFG.pages.includes(pathname);
}

// Keep a patient page the server marked as the signed-in patient's; a different patient
// than before means a new person on this phone: the previous one's pages go.
async function keepPage(request, response) {
  const owner = response.headers.get(OWNER_HEADER);
  if (!owner || response.status !== 200 || response.redirected || !/^[0-9a-f]{32}$/.test(owner)) { return; }
  if (owner !== await currentOwner()) {
    await deletePageCaches(PAGES_PREFIX + owner);
    await writeState(OWNER_KEY, owner);
  }
  const headers = new Headers(response.headers);
  headers.set(CACHED_AT_HEADER, new Date().toISOString());
  headers.delete("Content-Encoding");  // the body kept is the decoded one
  headers.delete("Content-Length");
  const body = await response.blob();
  await (await caches.open(PAGES_PREFIX + owner)).put(pageKey(request.url),
    new Response(body, { status: 200, headers }));
}

// The cached copy, marked for the page's script (static/js/pwa.js shows the offline banner).
async function cachedPage(url) {
  const owner = await currentOwner();
  if (!owner) { return null; }
  const cached = await (await caches.open(PAGES_PREFIX + owner)).match(pageKey(url), { ignoreVary: true });
  if (!cached) { return null; }
  const html = await cached.text();
  const stamp = cached.headers.get(CACHED_AT_HEADER) || "";
  // A message in the kept copy ("Your morning answer is saved.") was for the moment the page was fetched
  // online: opened offline later it would report something that did not just happen, so it is left out.
  const quiet = html.replace(/<!--bs-messages-->[\s\S]*?<!--\/bs-messages-->/g, "");
  const marked = quiet.replace("<body ", `<body data-bs-offline="${stamp.replace(/[^0-9TZ:.-]/g, "")}" `);
  return new Response(marked, { status: 200, headers: cached.headers });
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); });
  });
}

// The offline page in the language of the last page this phone opened online (every language's is precached,
// so a language change needs no new worker: the next page seen online decides).
async function offlinePage() {
  const language = await readState(LANGUAGE_KEY);
  const url = CFG.offlinePages[language] || CFG.offlinePages[CFG.language];
  return (await matchPrecache(url)) || Response.error();
}
async function rememberLanguage(response) {
  const language = (response.headers.get("Content-Language") || "").toLowerCase();
  if (language in CFG.offlinePages && language !== await readState(LANGUAGE_KEY)) {
    await writeState(LANGUAGE_KEY, language);
  }
}

async function navigate(event) {
  const { request } = event;
  const patientPage = isPatientPage(request.url);
  try {
    await sendPendingSignOut();
    const network = fetch(request);
    // A patient page waits for the network a few seconds at most (a basement with one bar).
    const response = patientPage ? await withTimeout(network, NETWORK_TIMEOUT_MS) : await network;
    if (patientPage) { event.waitUntil(keepPage(request, response.clone())); }
    if (response.status === 200) { event.waitUntil(rememberLanguage(response)); }
    // The sign-in page answered 200: nobody is signed in (a session that ended on the server, a
    // sign-out this worker did not see): the phone no longer opens anyone's pages offline.
    if (new URL(request.url).pathname === CFG.login && response.status === 200) { event.waitUntil(forgetPatient()); }
    return response;
  } catch (error) {
    return (patientPage && await cachedPage(request.url)) || offlinePage();
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  // The offline pages themselves are precached files: Workbox's own route answers them.
  if (request.mode !== "navigate" || url.origin !== self.location.origin || url.pathname.startsWith(CFG.offline)) { return; }
  if (request.method === "POST" && url.pathname === CFG.logout) {
    event.respondWith(signOut(request));
  } else if (request.method === "GET") {
    event.respondWith(navigate(event));
  }
});

// --- keeping the other patient pages ready -----------------------------------------------
// After a page opened online, fetch the other allowlisted pages (at most every WARM_EVERY_MS, or at once
// when the page's language changed), so today's plan, the log form, the check-in and the history all open
// offline later, in the patient's language.
const WARM_EVERY_MS = 10 * 60 * 1000;
// The page says whose it is, but only the server's mark on each page fetched decides what is kept.
async function warm(owner, language) {
  const [who, when, said] = (await readState(WARMED_KEY)).split(" ");
  const lang = (language || "").replace(/[^a-z-]/gi, "");
  if (who === owner && said === lang && Date.now() - Number(when) < WARM_EVERY_MS) { return; }
  await writeState(WARMED_KEY, `${owner} ${Date.now()} ${lang}`);
  if (lang in CFG.offlinePages) { await writeState(LANGUAGE_KEY, lang); }
  await warmAll();
}
async function warmAll() {
  for (const path of CFG.pages) {
    // Marked as the worker's own fetch: the server leaves the patient's messages for the page they open.
    const request = new Request(path, { credentials: "same-origin", redirect: "manual", headers: { [BACKGROUND_HEADER]: "1" } });
    try { await keepPage(request, await fetch(request)); } catch (error) { return; }
  }
}

async function queueEntry(data) {
  await dropQueued((entry) => entry.uuid === data.uuid);  // saved again from the same form: one entry
  const request = new Request(data.url, {
    method: "POST", body: data.body, credentials: "same-origin", redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
               "X-CSRFToken": data.csrf || "" },
  });
  await outbox.pushRequest({ request, metadata: { owner: data.owner, uuid: data.uuid } });
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (event.origin && event.origin !== self.location.origin) { return; }
  if (data.type === "warm" && data.owner) { event.waitUntil(warm(data.owner, data.language)); }
  if (data.type === "queue" && data.owner) {
    event.waitUntil(currentOwner().then((owner) => owner === data.owner && queueEntry(data)));
  }
  if (data.type === "sent" && data.uuid) { event.waitUntil(dropQueued((entry) => entry.uuid === data.uuid)); }
  if (data.type === "skip-waiting") { self.skipWaiting(); }
});

// A new release keeps the current patient's pages again while installing (online), so they link
// to its own static files; on activate the previous release's pages and files go.
self.addEventListener("install", (event) => {
  event.waitUntil(currentOwner().then((owner) => owner && warmAll()).catch(() => undefined));
});
self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(PAGES) && !name.startsWith(PAGES_PREFIX))
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

// --- Web Push (reminders app) -----------------------------------------------------------
// PUSH HANDLER for reminders/ (issue 15, part 2). The payload is JSON {title, body, url}; a
// tap opens (or focuses) url, which must be on this site. Kept here so the reminders app
// needs no change to this file.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = { body: event.data.text() }; }
  const url = safeUrl(data.url);
  event.waitUntil(self.registration.showNotification(data.title || "Backstep", {
    body: data.body || "", icon: CFG.icon, badge: CFG.icon, data: { url }, tag: data.tag || undefined,
  }));
});

function safeUrl(url) {
  try {
    const parsed = new URL(url || "/today/", self.location.origin);
    return parsed.origin === self.location.origin ? parsed.href : new URL("/today/", self.location.origin).href;
  } catch (error) {
    return new URL("/today/", self.location.origin).href;
  }
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = safeUrl(event.notification.data && event.notification.data.url);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => client.url === url) || windows[0];
    if (open) {
      if (open.url !== url && "navigate" in open) { await open.navigate(url); }
      return open.focus();
    }
    return self.clients.openWindow(url);
  })());
});
