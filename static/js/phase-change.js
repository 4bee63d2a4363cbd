// Phase-change form: show the entry criteria of the phase chosen (without JavaScript every phase's are shown).
(function () {
  "use strict";
  document.querySelectorAll("form.bs-phase-change").forEach(function (form) {
    var select = form.querySelector("select[name=phase]");
    if (!select) { return; }
    function show() {
      form.querySelectorAll(".bs-phase-criteria").forEach(function (block) {
        block.hidden = block.dataset.phase !== select.value;
      });
    }
    select.addEventListener("change", show);
    show();
  });
})();
