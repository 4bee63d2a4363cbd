// A questionnaire on the phone (outcomes.phone_views): one question per screen, each answer saved as it is
// given — on the phone (localStorage) at once, and to the server's draft when the connection allows.
// Unsent answers and a submit made offline are sent again when the phone is back online; the server keeps one
// response per occasion, so sending twice never makes two.
(function () {
  "use strict";
  var status = document.querySelector(".bs-q-status");
  var say = function (text) { if (status) { status.textContent = text; } };
  var csrf = function (form) { return form.querySelector("input[name=csrfmiddlewaretoken]").value; };
  var owner = function (form) { return form.querySelector("input[name=outbox_owner]").value; };
  var post = function (url, form, fields) {
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrf(form));
    body.append("outbox_owner", owner(form));
    Object.keys(fields).forEach(function (name) {
      [].concat(fields[name]).forEach(function (value) { body.append(name, value === null ? "" : value); });
    });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                        headers: { "Accept": "application/json", "X-CSRFToken": csrf(form) } });
  };

  var activities = document.getElementById("bs-q-activities");
  if (activities) {
    activities.addEventListener("submit", function (event) {
      event.preventDefault();
      var names = [].map.call(activities.querySelectorAll("input[name=activity]"), function (i) { return i.value; })
        .filter(function (v) { return v.trim(); });
      post(activities.action, activities, { item: "", activity: names }).then(function (r) {
        if (r.ok) { window.location.reload(); } else { say(gettext("Please name at least one activity (at most five).")); }
      }).catch(function () { say(gettext("You are offline. Connect to the internet to continue.")); });
    });
  }

  var form = document.getElementById("bs-questionnaire");
  if (!form) { return; }
  var key = form.dataset.key;
  var draft = JSON.parse(document.getElementById("bs-q-draft").textContent || "{}");
  var kept = {};
  try { kept = JSON.parse(window.localStorage.getItem(key) || "{}"); } catch (e) { kept = {}; }
  var state = { answers: Object.assign({}, draft, kept.answers || {}), pending: kept.pending || {},
                submitting: !!kept.submitting };
  var keep = function () {
    try { window.localStorage.setItem(key, JSON.stringify(state)); } catch (e) { /* private mode: server only */ }
  };
  var screens = [].slice.call(form.querySelectorAll(".bs-q-screen"));
  var questions = screens.filter(function (s) { return s.dataset.item; });
  var progress = form.querySelector(".bs-q-progress");
  var current = 0;

  var show = function (index) {
    current = Math.max(0, Math.min(index, screens.length - 1));
    screens.forEach(function (s, i) { s.classList.toggle("bs-q-current", i === current); });
    if (progress) {
      progress.textContent = current < questions.length ?
        interpolate(gettext("Question %(number)s of %(total)s"), { number: current + 1, total: questions.length }, true) :
        gettext("Ready to send");
    }
    var first = screens[current].querySelector("input:checked, input.bs-q-number, input, button");
    if (first && screens[current].contains(document.activeElement) === false) { first.focus({ preventScroll: true }); }
    window.scrollTo(0, 0);
  };

  var restore = function () {
    questions.forEach(function (screen) {
      var value = state.answers[screen.dataset.item];
      if (value === undefined || value === null) { return; }
      var radio = screen.querySelector("input[type=radio][value='" + value + "']");
      if (radio) { radio.checked = true; }
      var number = screen.querySelector(".bs-q-number");
      if (number) { number.value = value; screen.querySelector(".bs-q-range").value = value; }
    });
  };

  var sendOne = function (item) {
    return post(form.dataset.saveUrl, form, { item: item, value: state.answers[item] }).then(function (r) {
      if (r.ok || r.status === 400 || r.status === 409) { delete state.pending[item]; keep(); }
      if (r.ok) { say(gettext("Saved.")); } else if (r.status !== 0) { say(gettext("That answer was not accepted; please check it.")); }
    }).catch(function () { say(gettext("Offline: your answers are kept on this phone and will be sent when you are back.")); });
  };
  var flush = function () {
    var items = Object.keys(state.pending);
    return items.reduce(function (chain, item) { return chain.then(function () { return sendOne(item); }); },
      Promise.resolve()).then(function () { if (state.submitting) { submit(); } });
  };

  var answer = function (item, raw) {
    state.answers[item] = raw === "" ? null : parseInt(raw, 10);
    state.pending[item] = true;
    keep();
    sendOne(item);
  };

  var submit = function () {
    state.submitting = true;
    keep();
    var fields = {};
    Object.keys(state.answers).forEach(function (item) { fields["a:" + item] = state.answers[item]; });
    say(gettext("Sending…"));
    post(form.action, form, fields).then(function (r) {
      return r.json().then(function (body) { return { r: r, body: body }; });
    }).then(function (result) {
      if (result.r.ok) {
        window.localStorage.removeItem(key);
        window.location.assign(result.body.done);
        return;
      }
      state.submitting = false;
      keep();
      var errors = result.body.errors || {};
      say(Object.keys(errors).map(function (k) { return [].concat(errors[k]).join(" "); }).join(" ") ||
          gettext("Your answers could not be sent."));
    }).catch(function () {
      say(gettext("Offline: your answers are kept on this phone and will be sent as soon as you are back online."));
    });
  };

  form.classList.add("bs-q-js");
  restore();
  form.addEventListener("change", function (event) {
    var screen = event.target.closest(".bs-q-screen");
    if (!screen || !screen.dataset.item || !event.target.name) { return; }
    answer(screen.dataset.item, event.target.value);
    if (event.target.type === "radio") { window.setTimeout(function () { show(current + 1); }, 150); }
  });
  form.addEventListener("input", function (event) {
    if (event.target.classList.contains("bs-q-range")) {
      var number = document.getElementById(event.target.dataset.for);
      number.value = event.target.value;
      number.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  form.addEventListener("click", function (event) {
    if (event.target.closest(".bs-q-next")) { show(current + 1); }
    if (event.target.closest(".bs-q-back")) { show(current - 1); }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });
  window.addEventListener("online", flush);

  var firstOpen = questions.findIndex(function (s) {
    var v = state.answers[s.dataset.item];
    return v === undefined || v === null;
  });
  show(firstOpen === -1 ? questions.length : firstOpen);
  if (navigator.onLine && (Object.keys(state.pending).length || state.submitting)) { flush(); }
})();
