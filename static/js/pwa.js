// The patient's phone as an app (loaded on patient pages only, see base.html):
// - registers the service worker (/sw.js, pwa/sw.js), which keeps these pages for offline use;
// - says "Offline — last updated <time>" when the worker served this page from the phone;
// - asks the worker to keep the other phone pages ready once this one opened online;
// - offers a reload when a new release is ready (the worker never swaps files under an open page);
// - opens and closes the menu (the only Bootstrap script these pages needed).
(function () {
  "use strict";
  var script = document.currentScript;
  var banner = document.querySelector(".bs-offline");
  var update = document.querySelector(".bs-update");
  var status = document.querySelector(".bs-outbox");
  var owner = status ? status.dataset.owner : "";

  // --- the menu button (data-bs-toggle="collapse") ------------------------------------
  document.querySelectorAll("[data-bs-toggle=collapse]").forEach(function (button) {
    var target = document.querySelector(button.dataset.bsTarget);
    if (!target) { return; }
    button.addEventListener("click", function () {
      var open = !target.classList.contains("show");
      target.classList.toggle("show", open);
      button.setAttribute("aria-expanded", String(open));
    });
  });

  function randomUuid() {  // version 4, for browsers without crypto.randomUUID
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  // --- served from the phone? ------------------------------------------------------------
  var cachedAt = document.body.dataset.bsOffline;
  if (cachedAt !== undefined) {
    // A kept page carries the entry id the server gave it when it was kept: every opening of it is a
    // new form fill, so it gets its own (one form fill = one entry).
    document.querySelectorAll("form[data-offline] [name=client_uuid]").forEach(function (field) {
      field.value = crypto.randomUUID ? crypto.randomUUID() : randomUuid();
    });
  }
  if (banner && cachedAt !== undefined) {
    var when = new Date(cachedAt);
    var text = isNaN(when.getTime()) ? banner.dataset.msgUnknown
      : banner.dataset.msg.replace("{time}", when.toLocaleString(document.documentElement.lang || [], { dateStyle: "medium", timeStyle: "short" }));
    banner.querySelector(".bs-offline-text").textContent = text;
    banner.hidden = false;
    // Back online: the page is out of date, say so with a way to refresh.
    window.addEventListener("online", function () { banner.querySelector(".bs-offline-reload").hidden = false; });
    banner.querySelector(".bs-offline-reload").addEventListener("click", function () { window.location.reload(); });
  }

  if (!("serviceWorker" in navigator) || !script || !script.dataset.sw) { return; }
  var sw = navigator.serviceWorker;

  // Entries still to send come first on a weak connection: keeping pages waits until they went.
  function sending() {
    try {
      return JSON.parse(localStorage.getItem("backstep-outbox") || "[]").some(function (item) {
        return item.owner === owner;
      });
    } catch (e) { return false; }
  }
  function warm(tries) {
    tries = tries || 0;
    if (!owner || !navigator.onLine || cachedAt !== undefined || !sw.controller) { return; }
    if (sending() && tries < 10) { window.setTimeout(function () { warm(tries + 1); }, 1000); return; }
    sw.controller.postMessage({ type: "warm", owner: owner, language: document.documentElement.lang });
  }

  function offerUpdate(registration) {
    if (!update || !registration.waiting || !sw.controller) { return; }
    update.hidden = false;
    update.querySelector("button").addEventListener("click", function () {
      if (registration.waiting) { registration.waiting.postMessage({ type: "skip-waiting" }); }
    });
  }

  var reloading = false;
  sw.addEventListener("controllerchange", function () {
    // The first worker took over this page: keep the other pages ready. A new release took
    // over after "Reload": reload once, so the page and its files are the same release.
    if (update && !update.hidden && !reloading) { reloading = true; window.location.reload(); return; }
    warm();
  });

  window.addEventListener("load", function () {
    sw.register(script.dataset.sw, { scope: "/" }).then(function (registration) {
      offerUpdate(registration);
      registration.addEventListener("updatefound", function () {
        var installing = registration.installing;
        if (!installing) { return; }
        installing.addEventListener("statechange", function () {
          if (installing.state === "installed") { offerUpdate(registration); }
        });
      });
      warm();
    }).catch(function () { /* no worker (private mode, old browser): the pages still work online */ });
  });
})();
