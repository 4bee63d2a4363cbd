// Exercise library and protocol builder: small progressive enhancements.
// Every page works without this script; it only hides what does not apply.
(function () {
  "use strict";

  // Template form: the load-ladder fields apply to retro treadmill kinds only.
  // Hidden fields are also disabled, so they are not submitted.
  var ladderFields = document.querySelector(".bs-ladder-fields[data-ladder-kinds]");
  var kind = document.querySelector(".bs-template-form select[name='kind']");
  if (ladderFields && kind) {
    var ladderKinds = ladderFields.getAttribute("data-ladder-kinds").split(" ");
    var toggle = function () {
      var applies = ladderKinds.indexOf(kind.value) !== -1;
      ladderFields.hidden = !applies;
      ladderFields.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !applies;
      });
    };
    kind.addEventListener("change", toggle);
    toggle();
  }

  // Ladder form: once a value changes, the preview on screen is out of date,
  // so saving is disabled until the therapist previews again.
  var ladderForm = document.querySelector("form[data-ladder-form]");
  if (ladderForm) {
    var save = ladderForm.querySelector("[data-save-button]");
    var note = ladderForm.querySelector("[data-stale-note]");
    if (save) {
      ladderForm.addEventListener("input", function () {
        save.disabled = true;
        if (note) { note.hidden = false; }
      });
    }
  }
})();
