// Pain over time on the history page (Chart.js from our own static files).
(function () {
  "use strict";
  var canvas = document.getElementById("pain-chart");
  var source = document.getElementById("pain-data");
  if (!canvas || !source || !window.Chart || !window.BackstepCharts) { return; }
  var data = JSON.parse(source.textContent);
  // Days and numbers in the page's language (3 Dez., 3,5): Chart.js formats ticks and tooltips with `locale`;
  // the day's wording is the one every chart shares (chart-dates.js).
  var lang = window.BackstepCharts.lang;
  var day = window.BackstepCharts.day;
  function series(label, values, color, dash) {
    return { label: label, data: values, borderColor: color, backgroundColor: color, spanGaps: true,
             borderDash: dash || [], tension: 0.2, pointRadius: 3 };
  }
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.dates ? data.dates.map(day) : data.labels,
      datasets: [
        series(canvas.dataset.labelDuring, data.during, "#b42318"),
        series(canvas.dataset.labelAfter, data.after, "#e08a00", [6, 3]),
        series(canvas.dataset.labelMorning, data.morning, "#0f5e63", [2, 3])
      ]
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false, locale: lang,
      scales: { y: { min: 0, max: 10, ticks: { stepSize: 2 } }, x: { ticks: { maxTicksLimit: 6 } } },
      plugins: { legend: { position: "bottom" } }
    }
  });
})();
