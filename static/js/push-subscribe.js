// Reminders page: subscribe this phone to Web Push once the app's service worker is registered.
// Without a service worker (the app not installed/opened yet) the page says so and offers nothing.
(function () {
  "use strict";
  var panel = document.getElementById("push-panel");
  if (!panel || !panel.dataset.vapidKey) return;
  var status = document.getElementById("push-status");
  var enable = document.getElementById("push-enable");
  var disable = document.getElementById("push-disable");
  var subscribeForm = document.getElementById("push-subscribe-form");
  var unsubscribeForm = document.getElementById("push-unsubscribe-form");

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  // Fill the page's hidden form and post it (form fields, with its CSRF token).
  function post(form, values) {
    Object.keys(values).forEach(function (name) { form.elements[name].value = values[name]; });
    return fetch(form.action, {method: "POST", credentials: "same-origin", body: new FormData(form)});
  }

  function show(subscribed) {
    enable.hidden = subscribed;
    disable.hidden = !subscribed;
    status.textContent = subscribed ? gettext("Notifications are on for this phone.") : gettext("Notifications are off for this phone.");
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    status.textContent = gettext("This browser cannot show notifications. On an iPhone, add Backstep to the home screen first.");
    return;
  }
  navigator.serviceWorker.getRegistration().then(function (registration) {
    if (!registration) return;  // the default text asks to install/open the app
    return navigator.serviceWorker.ready.then(function (ready) {
      return ready.pushManager.getSubscription().then(function (existing) {
        show(!!existing);
        enable.addEventListener("click", function () {
          ready.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(panel.dataset.vapidKey)})
            .then(function (subscription) {
              var json = subscription.toJSON();
              return post(subscribeForm, {endpoint: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth});
            })
            .then(function (response) {
              if (!response.ok) throw new Error("refused");
              show(true);
            })
            .catch(function () { status.textContent = gettext("Notifications could not be turned on. Check the browser's permission for this site."); });
        });
        disable.addEventListener("click", function () {
          ready.pushManager.getSubscription().then(function (subscription) {
            if (!subscription) return show(false);
            return post(unsubscribeForm, {endpoint: subscription.endpoint})
              .then(function () { return subscription.unsubscribe(); })
              .then(function () { show(false); });
          });
        });
      });
    });
  });
})();
