// The session form's "See how it's done": shows the drawing or video of the exercise chosen in the list.
// Without this script the one chosen when the page opened stays shown.
(function () {
  "use strict";
  var select = document.querySelector(".bs-log-form select[name=exercise]");
  var figures = document.querySelectorAll("[data-figure-for]");
  if (!select || !figures.length) { return; }
  function show() {
    figures.forEach(function (figure) {
      var chosen = figure.getAttribute("data-figure-for") === select.value;
      figure.hidden = !chosen;
      if (!chosen) {
        figure.querySelectorAll("video").forEach(function (video) { video.pause(); });
      }
    });
  }
  select.addEventListener("change", show);
  show();
})();
