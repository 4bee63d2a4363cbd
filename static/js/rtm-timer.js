// Remote-monitoring timer: keep the running clock ticking. The timer itself lives on the server (start and stop
// are plain form posts), so a reload shows it again from the elapsed time the page was rendered with.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  document.querySelectorAll("[data-rtm-elapsed]").forEach(function (clock) {
    var rendered = parseInt(clock.dataset.rtmElapsed, 10) || 0;
    var loaded = Date.now();
    function show() {
      var s = rendered + Math.floor((Date.now() - loaded) / 1000);
      clock.textContent = Math.floor(s / 3600) + ":" + pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60);
    }
    show();
    window.setInterval(show, 1000);
  });
})();
