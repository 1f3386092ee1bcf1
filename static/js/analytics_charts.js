// Charts on the staff usage page (templates/staff/analytics.html), drawn with the vendored
// Chart.js from the JSON the page embeds (#analytics-data). The tables hold the same figures.
(function () {
  "use strict";

  var MAX_BARS = 15; // the busiest members; the table lists everyone

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas && window.Chart) {
      new window.Chart(canvas, config);
    }
  }

  function utilization(data) {
    return {
      type: "line",
      data: {
        labels: data.weeks,
        datasets: data.utilization.map(function (row) {
          return { label: row.machine, data: row.percent, spanGaps: false, tension: 0.2 };
        }),
      },
      options: {
        maintainAspectRatio: false,
        plugins: { title: { display: true, text: "Utilization per week (%)" } },
        scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } },
      },
    };
  }

  function hoursBars(rows, title) {
    var shown = rows.slice(0, MAX_BARS);
    return {
      type: "bar",
      data: {
        labels: shown.map(function (row) { return row.name; }),
        datasets: [{ label: "Running hours", data: shown.map(function (row) { return row.hours; }) }],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, title: { display: true, text: title } },
        scales: { x: { min: 0, title: { display: true, text: "h" } } },
      },
    };
  }

  function start() {
    var source = document.getElementById("analytics-data");
    if (!source) {
      return;
    }
    var data = JSON.parse(source.textContent);
    draw("utilization-chart", utilization(data));
    draw("members-chart", hoursBars(data.members, "Running hours per member"));
    draw("departments-chart", hoursBars(data.departments, "Running hours per department"));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
