// Log-a-session page: large − / + steppers, and the plan's values when the exercise changes.
(function () {
  "use strict";
  document.querySelectorAll(".bs-stepper").forEach(function (group) {
    var input = group.querySelector("input");
    var step = parseFloat(group.dataset.step) || 1;
    var decimals = (String(group.dataset.step).split(".")[1] || "").length;
    // A decimal field takes the language's separator ("3,5" in German and Spanish) as well as a point.
    var separator = group.dataset.decimal || ".";
    function change(sign) {
      var value = parseFloat(input.value.replace(",", "."));
      if (isNaN(value)) { value = 0; }
      value = Math.round((value + sign * step) * 1000) / 1000;
      var min = input.min === "" ? -Infinity : parseFloat(input.min);
      var max = input.max === "" ? Infinity : parseFloat(input.max);
      input.value = Math.min(Math.max(value, min), max).toFixed(decimals).replace(".", separator);
      input.dataset.touched = "1";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    group.querySelectorAll("button").forEach(function (button) { button.hidden = false; });
    group.querySelector(".bs-step-down").addEventListener("click", function () { change(-1); });
    group.querySelector(".bs-step-up").addEventListener("click", function () { change(1); });
    input.addEventListener("input", function () { input.dataset.touched = "1"; });
  });

  // Each exercise logs what it is measured in: minutes (with speed and incline on a treadmill), or sets
  // of reps or holds. Show only those fields; a change of exercise fills in the plan's values. The
  // values already on the page (typed, restored after going back, or sent back with an error) are kept.
  // The entry's id. A browser puts a field back, when the patient goes back to the page, only if its value
  // differs from the page's own; so the page's value is cleared (the id stays the field's value). Going back
  // and saving again then sends the same entry (stored once, or refused if changed), never a second one.
  var entry = document.querySelector(".bs-log-form [name=client_uuid]");
  if (entry) {
    var id = entry.value;
    entry.value = id;
    entry.defaultValue = "";
    entry.value = id;
  }

  var data = document.getElementById("bs-prefill");
  var select = document.querySelector("select[name=exercise]");
  if (!data || !select) { return; }
  var prefill = JSON.parse(data.textContent);
  var groups = document.querySelectorAll("[data-logged]");
  function show(values) {
    groups.forEach(function (group) {
      // A field the server refused stays in view, so its message can be read and the value corrected.
      group.hidden = !(group.dataset.logged in values) && !group.querySelector(".is-invalid");
    });
  }
  select.addEventListener("change", function () {
    var values = prefill[select.value] || {};
    show(values);
    groups.forEach(function (group) {
      var input = group.querySelector("input");
      if (input && group.dataset.logged in values) { input.value = values[group.dataset.logged]; }
    });
  });
  show(prefill[select.value] || {});
  // Going back to this page, the browser puts the patient's choices back after the script ran.
  window.addEventListener("pageshow", function () { show(prefill[select.value] || {}); });
})();
