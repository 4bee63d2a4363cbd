// The patient page's questionnaire charts (outcomes panel): each instrument's score over time, on its own
// scale, next to pain during sessions (0-10, right axis) from the page's pain chart data.
(function () {
  "use strict";
  var source = document.getElementById("outcome-chart-data");
  if (!source || !window.Chart || !window.BackstepCharts) { return; }
  var series = JSON.parse(source.textContent);
  // Days and numbers in the page's language (3 Dez., 3,5): Chart.js formats ticks and tooltips with `locale`;
  // the day's wording is the one every chart shares (chart-dates.js).
  var lang = window.BackstepCharts.lang;
  var day = window.BackstepCharts.day;
  var painSource = document.getElementById("patient-chart-data");
  var pain = painSource ? JSON.parse(painSource.textContent) : {};
  var painAt = {};
  (pain.dates || []).forEach(function (date, i) { painAt[date] = (pain.during || [])[i]; });

  series.forEach(function (one) {
    var canvas = document.querySelector("canvas.bs-outcome-chart[data-instrument='" + one.id + "']");
    if (!canvas) { return; }
    var first = one.dates[0];
    var dates = Object.keys(painAt).filter(function (d) { return d >= first; }).concat(one.dates);
    dates = dates.filter(function (d, i) { return dates.indexOf(d) === i; }).sort();
    var scoreAt = {};
    one.dates.forEach(function (d, i) { scoreAt[d] = one.values[i] === null ? null : Number(one.values[i]); });
    new window.Chart(canvas, {
      data: {
        labels: dates.map(day),
        datasets: [
          { type: "line", label: one.title, yAxisID: "y", spanGaps: true, borderColor: "#3b2a80",
            backgroundColor: "#3b2a80", pointRadius: 4,
            data: dates.map(function (d) { return d in scoreAt ? scoreAt[d] : null; }) },
          { type: "line", label: canvas.dataset.labelPain, yAxisID: "pain", spanGaps: true, borderColor: "#b42318",
            backgroundColor: "#b42318", borderDash: [4, 3], pointRadius: 1,
            data: dates.map(function (d) { return d in painAt ? painAt[d] : null; }) }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, locale: lang,
        scales: {
          y: { min: Number(one.minimum), max: Number(one.maximum), title: { display: true, text: one.title } },
          pain: { position: "right", min: 0, max: 10, grid: { drawOnChartArea: false } },
          x: { type: "category", ticks: { maxTicksLimit: 8 } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
  });
})();
