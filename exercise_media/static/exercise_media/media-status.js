// A video's conversion on the media pages: polls its status and moves the progress bar; when the video is
// ready or has failed, the page is loaded again to show it (or the reason). Works without this script too:
// reloading the page shows the same.
(function () {
  "use strict";
  var boxes = document.querySelectorAll(".bs-media-status[data-status-url]");
  boxes.forEach(function (box) {
    if (box.dataset.status === "failed") { return; }
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-status-text]");
    var label = box.querySelector("[data-status-label]");
    function poll() {
      fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (state) {
          if (!state) { window.setTimeout(poll, 5000); return; }
          if (state.status === "ready" || state.status === "failed") { window.location.reload(); return; }
          if (bar) { bar.value = state.progress; }
          if (label) { label.textContent = state.label; }
          if (text) {
            var percent = new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "percent" })
              .format(state.progress / 100);
            text.textContent = interpolate(gettext("%(percent)s done"), { percent: percent }, true);
          }
          window.setTimeout(poll, 2000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1500);
  });
})();
