// Log-a-session page: large − / + steppers, and the plan's values when the exercise changes.
(function () {
  "use strict";
  document.querySelectorAll(".bs-stepper").forEach(function (group) {
    var input = group.querySelector("input");
    var step = parseFloat(group.dataset.step) || 1;
    var decimals = (String(group.dataset.step).split(".")[1] || "").length;
    function change(sign) {
      var value = parseFloat(input.value);
      if (isNaN(value)) { value = 0; }
      value = Math.round((value + sign * step) * 1000) / 1000;
      var min = input.min === "" ? -Infinity : parseFloat(input.min);
      var max = input.max === "" ? Infinity : parseFloat(input.max);
      input.value = Math.min(Math.max(value, min), max).toFixed(decimals);
      input.dataset.touched = "1";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    group.querySelectorAll("button").forEach(function (button) { button.hidden = false; });
    group.querySelector(".bs-step-down").addEventListener("click", function () { change(-1); });
    group.querySelector(".bs-step-up").addEventListener("click", function () { change(1); });
    input.addEventListener("input", function () { input.dataset.touched = "1"; });
  });

  var data = document.getElementById("bs-prefill");
  var select = document.querySelector("select[name=exercise]");
  if (!data || !select) { return; }
  var prefill = JSON.parse(data.textContent);
  var loadFields = document.querySelector(".bs-load-fields");
  function apply() {
    var values = prefill[select.value] || {};
    loadFields.hidden = !("speed_kmh" in values);
    ["duration_min", "speed_kmh", "incline_pct"].forEach(function (name) {
      var input = document.querySelector("[name=" + name + "]");
      if (input && name in values) { input.value = values[name]; }
    });
  }
  select.addEventListener("change", apply);
  var first = prefill[select.value] || {};
  loadFields.hidden = !("speed_kmh" in first);
})();
