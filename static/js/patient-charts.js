// The therapist's patient page: pain over time with step changes marked, and weekly training days.
// The series come from the same helper as the patient's own history chart (patients.selectors.pain_by_day).
(function () {
  "use strict";
  var source = document.getElementById("patient-chart-data");
  if (!source || !window.Chart || !window.BackstepCharts) { return; }
  var data = JSON.parse(source.textContent);
  // Days and numbers in the page's language (3 Dez., 3,5): Chart.js formats ticks and tooltips with `locale`;
  // the day's wording is the one every chart shares (chart-dates.js).
  var lang = window.BackstepCharts.lang;
  var day = window.BackstepCharts.day;

  var pain = document.getElementById("pain-chart");
  if (pain && data.labels && data.labels.length) {
    // Step changes sit on the top line of the chart, on their day (or the next day that has a point):
    // a step up as a triangle pointing up, a step down as one pointing down, in another colour.
    var changeAt = {};
    var ups = data.labels.map(function () { return null; });
    var downs = ups.slice();
    (data.changes || []).forEach(function (change) {
      var i = data.dates.indexOf(change.date);
      if (i === -1) { i = data.dates.findIndex(function (date) { return date > change.date; }); }
      if (i === -1) { return; }
      changeAt[i] = change;
      (change.direction === "down" ? downs : ups)[i] = 10;
      (change.direction === "down" ? ups : downs)[i] = null;
    });
    var line = function (label, values, color, dash) {
      return { type: "line", label: label, data: values, borderColor: color, backgroundColor: color,
               spanGaps: true, borderDash: dash || [], tension: 0.2, pointRadius: 2 };
    };
    var marks = function (label, values, color, rotation) {
      return { type: "scatter", label: label, data: values, pointStyle: "triangle", rotation: rotation,
               pointRadius: 7, borderColor: color, backgroundColor: color, clip: false };
    };
    new window.Chart(pain, {
      data: {
        labels: data.dates ? data.dates.map(day) : data.labels,
        datasets: [
          line(pain.dataset.labelDuring, data.during, "#b42318"),
          line(pain.dataset.labelAfter, data.after, "#e08a00", [6, 3]),
          line(pain.dataset.labelMorning, data.morning, "#0f5e63", [2, 3]),
          marks(pain.dataset.labelUp, ups, "#3b2a80", 0),
          marks(pain.dataset.labelDown, downs, "#c4320a", 180)
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, locale: lang,
        layout: { padding: { top: 10 } },
        scales: { y: { min: 0, max: 10, ticks: { stepSize: 1 } },
                  x: { type: "category", ticks: { maxTicksLimit: 10 } } },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (ctx) {
            if (ctx.dataset.type === "scatter") {
              var change = changeAt[ctx.dataIndex];
              return change ? interpolate(gettext("%(source)s: %(level)s (%(load)s)"),
                { source: change.source, level: change.level, load: change.load }, true) : "";
            }
            return interpolate(gettext("%(series)s: %(pain)s/10"),
              { series: ctx.dataset.label, pain: ctx.formattedValue }, true);
          } } }
        }
      }
    });
  }

  var weeks = document.getElementById("adherence-chart");
  if (weeks && data.weeks) {
    new window.Chart(weeks, {
      data: {
        labels: data.weeks.labels,
        datasets: [
          { type: "bar", label: weeks.dataset.labelDone, data: data.weeks.done, backgroundColor: "#0f5e63", order: 2 },
          // The plan in whole training days a week, as a line over the bars.
          { type: "line", label: weeks.dataset.labelPlanned, data: data.weeks.planned, borderColor: "#c4320a",
            backgroundColor: "#c4320a", borderDash: [6, 3], stepped: "middle", pointRadius: 0, order: 1 }
        ]
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, locale: lang,
                 scales: { y: { beginAtZero: true, ticks: { stepSize: 1, precision: 0 } } },
                 plugins: { legend: { position: "bottom" } } }
    });
  }
})();
