// Backstep outbox: a logged session or check-in is never lost, never saved twice, and never
// saved as someone else.
// Forms marked data-offline are sent with fetch. If the network fails, the entry is kept in
// this phone's localStorage and sent when the connection returns. Every entry carries
// - its client UUID: one per filled-in form (set when the page was shown, not per tap), so
//   Save tapped twice keeps one entry here, and the server stores it once however often it
//   arrives;
// - its owner: the opaque tag of the patient whose page it was filled in on (data-owner).
//   A phone may be shared, so a page sends only its own patient's entries, and the server
//   refuses an entry whose tag is not the signed-in patient's (409, code "other-account").
//   Other people's entries wait, untouched, until their owner signs in; the page says how
//   many (never whose, never what) and offers to delete them.
// Without JavaScript the forms still post normally, with the same tag.
(function () {
  "use strict";
  var KEY = "backstep-outbox";
  var OWNER_FIELD = "outbox_owner";
  var OTHER_ACCOUNT = "other-account";
  var status = document.querySelector(".bs-outbox");
  var aside = document.querySelector(".bs-outbox-aside");
  var owner = status ? status.dataset.owner : "";  // "" when nobody is signed in: nothing is ours

  function read() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function write(items) { localStorage.setItem(KEY, JSON.stringify(items)); }
  function ours(item) { return Boolean(owner) && item.owner === owner; }
  function tellWorker(message) {
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (worker) { worker.postMessage(message); }
  }
  // Sent (or refused for good): gone from here, and from the service worker's copy (Background Sync).
  function remove(uuid) {
    write(read().filter(function (item) { return item.uuid !== uuid; }));
    tellWorker({ type: "sent", uuid: uuid });
  }

  function say(kind, extra) {
    if (!status) { return; }
    status.hidden = false;
    status.className = "bs-outbox alert py-2 " + (kind === "failed" ? "alert-warning" : kind === "sent" ? "alert-success" : "alert-info");
    status.textContent = status.dataset["msg" + kind.charAt(0).toUpperCase() + kind.slice(1)] + (extra ? " " + extra : "");
  }
  // How many entries on this phone this page keeps aside: another account's, and (saved by an
  // older version of this script) entries with no owner at all, which no page will ever send.
  function showAside() {
    if (!aside) { return; }
    var items = read().filter(function (item) { return !ours(item); });
    var others = items.filter(function (item) { return item.owner; }).length;
    var unmatched = items.length - others;
    var words = [];
    var n = function (count, text) { return interpolate(text, { n: count }, true); };
    if (others && owner) {
      words.push(n(others, ngettext(
        "%(n)s entry saved on this phone by another account is waiting; it will be sent when that person signs in.",
        "%(n)s entries saved on this phone by another account are waiting; they will be sent when that person signs in.",
        others)));
    } else if (others) {
      words.push(n(others, ngettext(
        "%(n)s entry saved on this phone is waiting; it will be sent when the person who saved it signs in.",
        "%(n)s entries saved on this phone are waiting; they will be sent when the person who saved them signs in.",
        others)));
    }
    if (unmatched) {
      words.push(n(unmatched, ngettext(
        "%(n)s entry saved on this phone before an update cannot be matched to an account, so it will not be sent.",
        "%(n)s entries saved on this phone before an update cannot be matched to an account, so they will not be sent.",
        unmatched)));
    }
    aside.querySelector(".bs-outbox-aside-text").textContent = words.join(" ");
    aside.hidden = !words.length;
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  // Background Sync: the service worker gets a copy of the entry, so the phone sends it when the
  // connection returns even with Backstep closed. The server saves one entry per UUID, so this
  // copy and the page's own resend never make two.
  function handToWorker(item) {
    if (!item.owner) { return; }
    tellWorker({ type: "queue", url: item.url, body: encode(item).toString(), owner: item.owner,
                 uuid: item.uuid, csrf: csrfToken() });
  }
  function newUuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function encode(item) {
    var body = new URLSearchParams();
    item.fields.forEach(function (pair) {
      if (pair[0] !== "csrfmiddlewaretoken" && pair[0] !== OWNER_FIELD) { body.append(pair[0], pair[1]); }
    });
    body.append(OWNER_FIELD, item.owner);  // the server checks it is the signed-in patient's
    return body;
  }
  function post(item) {
    var body = encode(item);
    // redirect: "manual" — a signed-out session answers with a redirect to the sign-in page,
    // which must not be mistaken for a saved entry.
    return fetch(item.url, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    });
  }
  // Nobody (or nobody who may log) is signed in: the entry waits for its patient.
  function signedOut(response) {
    return response.type === "opaqueredirect" || response.status === 401 || response.status === 403;
  }
  function busy(response) { return response.status >= 500 || response.status === 429; }
  function answer(response) { return response.json().catch(function () { return {}; }); }

  var flushing = false;
  function flush() {
    if (flushing || !navigator.onLine || !read().some(ours)) { return; }
    flushing = true;
    say("sending");
    var failed = [];
    var stop = function (kind) { flushing = false; say(kind); };
    (function next() {
      var item = read().filter(ours)[0];
      if (!item) {
        flushing = false;
        if (failed.length) { say("failed", failed.join(" ")); } else { say("sent"); }
        return;
      }
      post(item).then(function (response) {
        if (signedOut(response)) { stop("signin"); return; }  // keep it until the patient signs in again
        if (busy(response)) { stop("queued"); return; }  // the server is busy or down: keep it, try later
        return answer(response).then(function (data) {
          // Someone else signed in since this page was shown (another tab): keep it for its patient.
          if (data.code === OTHER_ACCOUNT) { stop("signin"); return; }
          if (!response.ok) {  // refused for good (400/409, e.g. a date now too old): tell, and drop it
            var errors = data.errors ? Object.keys(data.errors).map(function (k) {
              return data.errors[k].map(function (e) { return e.message; }).join(" ");
            }) : [];
            failed.push(errors.join(" ") || String(response.status));
          }
          remove(item.uuid);
          next();
        });
      }).catch(function () { stop("queued"); });  // still offline: keep it
    })();
  }

  function entriesOf(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    return Array.from(data.entries());
  }

  // Keep a filled-in form on the phone. Its UUID is the form's, so saving the same form again
  // (a double tap, a change of mind before it was sent) replaces the entry instead of adding one.
  function queue(form, fields) {
    var uuidField = form.querySelector("[name=client_uuid]");
    if (!uuidField.value) { uuidField.value = newUuid(); }
    var uuid = uuidField.value;
    var items = read().filter(function (item) { return item.uuid !== uuid; });
    var item = { url: form.action, fields: fields, uuid: uuid, owner: owner, kind: form.dataset.offline,
                 savedAt: new Date().toISOString() };
    items.push(item);
    write(items);
    handToWorker(item);
    var another = form.querySelector("[data-outbox-another]");
    if (another) { another.hidden = false; }
    say("queued");
  }

  document.querySelectorAll("form[data-offline]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.busy) { return; }  // a double tap sends once
      form.dataset.busy = "1";
      var submitter = event.submitter;
      var fields = entriesOf(form, submitter);
      var keep = function (kind) {
        queue(form, fields);
        delete form.dataset.busy;
        if (kind) { say(kind); }
      };
      if (!owner) { keep("signin"); return; }
      if (!navigator.onLine) { keep(); return; }
      post({ url: form.action, fields: fields, owner: owner }).then(function (response) {
        // Signed out, or the server cannot take it now: keep the entry on the phone.
        if (signedOut(response)) { keep("signin"); return; }
        if (busy(response)) { keep(); return; }
        return answer(response).then(function (data) {
          if (data.code === OTHER_ACCOUNT) { keep("signin"); return; }
          if (response.ok && data.redirect) { window.location.assign(data.redirect); return; }
          // Refused: let the server show its messages beside the fields; nothing typed is lost.
          if (submitter && submitter.name) {
            var input = document.createElement("input");
            input.type = "hidden"; input.name = submitter.name; input.value = submitter.value;
            form.appendChild(input);
          }
          HTMLFormElement.prototype.submit.call(form);
        });
      }).catch(function () { keep(); });  // the connection dropped: keep it here
    });
    // "Log another session": a new, empty form (the plan's values) with a UUID of its own.
    var another = form.querySelector("[data-outbox-another]");
    if (another) {
      another.addEventListener("click", function () {
        form.reset();
        form.querySelector("[name=client_uuid]").value = newUuid();
        form.querySelectorAll("select").forEach(function (select) {
          select.dispatchEvent(new Event("change", { bubbles: true }));
        });
        another.hidden = true;
        form.scrollIntoView();
      });
    }
  });

  if (aside) {
    aside.querySelector(".bs-outbox-discard").addEventListener("click", function () {
      if (!window.confirm(aside.dataset.msgConfirm)) { return; }
      write(read().filter(ours));
      showAside();
    });
  }
  // Another tab of this browser changed the outbox (an entry sent, or deleted): keep the notice true.
  window.addEventListener("storage", function (event) { if (event.key === KEY) { showAside(); } });
  window.addEventListener("online", flush);
  showAside();
  if (read().some(ours)) { if (navigator.onLine) { flush(); } else { say("queued"); } }
})();
