// The therapist's patient page: pain over time with step changes marked, and weekly training days.
(function () {
  "use strict";
  var source = document.getElementById("patient-chart-data");
  if (!source || !window.Chart) { return; }
  var data = JSON.parse(source.textContent);

  var pain = document.getElementById("pain-chart");
  if (pain && data.labels && data.labels.length) {
    var changeIndex = {};
    (data.changes || []).forEach(function (change) { changeIndex[change.date] = change; });
    var changes = data.labels.map(function (label) { return changeIndex[label] ? 10 : null; });
    // A change on a day without a session still needs a place on the axis: put it on the nearest later day.
    (data.changes || []).forEach(function (change) {
      if (data.labels.indexOf(change.date) === -1) {
        var i = data.labels.findIndex(function (label) { return label > change.date; });
        if (i >= 0) { changes[i] = 10; changeIndex[data.labels[i]] = change; }
      }
    });
    var line = function (label, values, color, dash) {
      return { type: "line", label: label, data: values, borderColor: color, backgroundColor: color,
               spanGaps: true, borderDash: dash || [], tension: 0.2, pointRadius: 2 };
    };
    new window.Chart(pain, {
      data: {
        labels: data.labels,
        datasets: [
          line(pain.dataset.labelDuring, data.during, "#b42318"),
          line(pain.dataset.labelAfter, data.after, "#e08a00", [6, 3]),
          line(pain.dataset.labelMorning, data.morning, "#0f5e63", [2, 3]),
          { type: "scatter", label: pain.dataset.labelChanges, data: changes, pointStyle: "triangle",
            pointRadius: 7, borderColor: "#3b2a80", backgroundColor: "#3b2a80" }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { min: 0, max: 10.5, ticks: { stepSize: 1 } }, x: { type: "category", ticks: { maxTicksLimit: 10 } } },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (ctx) {
            if (ctx.dataset.type === "scatter") {
              var change = changeIndex[ctx.label];
              return change ? change.source + ": " + change.level + " (" + change.load + ")" : "";
            }
            return ctx.dataset.label + ": " + ctx.parsed.y + "/10";
          } } }
        }
      }
    });
  }

  var weeks = document.getElementById("adherence-chart");
  if (weeks && data.weeks) {
    new window.Chart(weeks, {
      type: "bar",
      data: {
        labels: data.weeks.labels,
        datasets: [
          { label: weeks.dataset.labelDone, data: data.weeks.done, backgroundColor: "#0f5e63" },
          { label: weeks.dataset.labelPlanned, data: data.weeks.prescribed, backgroundColor: "#8fd3c9" }
        ]
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { y: { beginAtZero: true, ticks: { stepSize: 1 } } }, plugins: { legend: { position: "bottom" } } }
    });
  }
})();
