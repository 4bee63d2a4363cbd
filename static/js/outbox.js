// Backstep outbox: a logged session or check-in is never lost and never saved twice.
// Forms marked data-offline are sent with fetch. If the network fails, the entry is
// kept in this phone's localStorage and sent when the connection returns. Every
// entry carries its client UUID, so the server stores it exactly once however
// often it arrives. Without JavaScript the forms still post normally.
(function () {
  "use strict";
  var KEY = "backstep-outbox";
  var status = document.querySelector(".bs-outbox");

  function read() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function write(items) { localStorage.setItem(KEY, JSON.stringify(items)); }
  function say(kind, extra) {
    if (!status) { return; }
    status.hidden = false;
    status.className = "bs-outbox alert py-2 " + (kind === "failed" ? "alert-warning" : kind === "sent" ? "alert-success" : "alert-info");
    status.textContent = status.dataset["msg" + kind.charAt(0).toUpperCase() + kind.slice(1)] + (extra ? " " + extra : "");
  }
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function newUuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function post(item) {
    var body = new URLSearchParams();
    item.fields.forEach(function (pair) { if (pair[0] !== "csrfmiddlewaretoken") { body.append(pair[0], pair[1]); } });
    // redirect: "manual" — a signed-out session answers with a redirect to the sign-in page,
    // which must not be mistaken for a saved entry.
    return fetch(item.url, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    });
  }

  var flushing = false;
  function flush() {
    var items = read();
    if (flushing || !items.length || !navigator.onLine) { return; }
    flushing = true;
    say("sending");
    var failed = [];
    (function next() {
      var items = read();
      if (!items.length) {
        flushing = false;
        if (failed.length) { say("failed", failed.join(" ")); } else { say("sent"); }
        return;
      }
      var item = items[0];
      post(item).then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          flushing = false; say("signin"); return;  // keep it until the patient signs in again
        }
        if (response.status >= 500 || response.status === 429) {
          flushing = false; say("queued"); return;  // the server is busy or down: keep it, try later
        }
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {  // refused for good (400/409, e.g. a date now too old): tell, and drop it
            var errors = data.errors ? Object.keys(data.errors).map(function (k) {
              return data.errors[k].map(function (e) { return e.message; }).join(" ");
            }) : [];
            failed.push(errors.join(" ") || String(response.status));
          }
          write(read().filter(function (other) { return other.uuid !== item.uuid; }));
          next();
        });
      }).catch(function () { flushing = false; say("queued"); });  // still offline: keep it
    })();
  }

  function entriesOf(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    return Array.from(data.entries());
  }

  function queue(form, fields) {
    var uuidField = form.querySelector("[name=client_uuid]");
    var uuid = uuidField ? uuidField.value : newUuid();
    var items = read().filter(function (item) { return item.uuid !== uuid; });
    items.push({ url: form.action, fields: fields, uuid: uuid, kind: form.dataset.offline, savedAt: new Date().toISOString() });
    write(items);
    if (uuidField) { uuidField.value = newUuid(); }  // the next entry is a new one
    say("queued");
  }

  document.querySelectorAll("form[data-offline]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.busy) { return; }  // a double tap sends once
      form.dataset.busy = "1";
      var submitter = event.submitter;
      var fields = entriesOf(form, submitter);
      var done = function () { delete form.dataset.busy; };
      if (!navigator.onLine) { queue(form, fields); done(); return; }
      post({ url: form.action, fields: fields }).then(function (response) {
        if (response.type === "opaqueredirect" || response.status >= 500 || response.status === 429) {
          // Signed out, or the server cannot take it now: keep the entry on the phone.
          queue(form, fields); done();
          if (response.type === "opaqueredirect") { say("signin"); }
          return;
        }
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.ok && data.redirect) { window.location.assign(data.redirect); return; }
          // Refused: let the server show its messages beside the fields; nothing typed is lost.
          if (submitter && submitter.name) {
            var input = document.createElement("input");
            input.type = "hidden"; input.name = submitter.name; input.value = submitter.value;
            form.appendChild(input);
          }
          HTMLFormElement.prototype.submit.call(form);
        });
      }).catch(function () { queue(form, fields); done(); });  // the connection dropped: keep it here
    });
  });

  window.addEventListener("online", flush);
  if (read().length) { if (navigator.onLine) { flush(); } else { say("queued"); } }
})();
