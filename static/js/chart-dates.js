// One way to write a chart's day, shared by every chart page (history, patient page, questionnaires): the day and
// the short month in the page's language ("3 Dez.", "3 dic", "Dec 3"), with the year only when it is not this one.
// Loaded (deferred) before the chart scripts, which read window.BackstepCharts.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;
  var thisYear = new Date().getFullYear();
  function day(iso) {
    var date = new Date(iso + "T00:00:00");
    var words = { day: "numeric", month: "short" };
    if (date.getFullYear() !== thisYear) { words.year = "numeric"; }
    return date.toLocaleDateString(lang, words);
  }
  window.BackstepCharts = { day: day, lang: lang };
})();
