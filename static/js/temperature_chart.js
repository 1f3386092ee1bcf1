// A machine's temperature history (fragments/temperature_chart.html), drawn with the
// vendored Chart.js. The server sends at most ~300 points per window: each is a time
// bucket's mean, with its minimum and maximum drawn as a band.
(function () {
  "use strict";

  var REFRESH_MS = 2 * 60 * 1000;
  var LABELS = { "24h": "24 h", "7d": "7 days" };
  var SPANS_MS = { "24h": 24 * 3600 * 1000, "7d": 7 * 24 * 3600 * 1000 };

  // Ticks on local clock boundaries: every 3 hours for a day, every midnight for a week.
  function localTicks(min, max, windowKey) {
    var day = windowKey !== "24h";
    var at = new Date(min);
    at.setMinutes(0, 0, 0);
    if (day) {
      at.setHours(0);
    }
    var ticks = [];
    while (at.getTime() <= max) {
      if (at.getTime() >= min && (day || at.getHours() % 3 === 0)) {
        ticks.push({ value: at.getTime() });
      }
      if (day) {
        at.setDate(at.getDate() + 1);
      } else {
        at.setHours(at.getHours() + 1);
      }
    }
    return ticks;
  }

  function tickText(ms, windowKey) {
    var options = windowKey === "24h"
      ? { hour: "2-digit", minute: "2-digit" }
      : { weekday: "short", day: "numeric" };
    return new Date(ms).toLocaleString(undefined, options);
  }

  function timeText(ms) {
    var options = { weekday: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
    return new Date(ms).toLocaleString(undefined, options);
  }

  function kelvinText(value) {
    return (value >= 1 ? value.toFixed(2) : value.toPrecision(3)).replace(/\.?0+$/, "") + " K";
  }

  function points(series, field) {
    return series.map(function (p) {
      return { x: Date.parse(p.t), y: p[field] };
    });
  }

  function datasets(series) {
    return [
      { label: "Lowest", data: points(series, "min"), borderWidth: 0, pointRadius: 0, fill: false },
      {
        label: "Highest",
        data: points(series, "max"),
        borderWidth: 0,
        pointRadius: 0,
        backgroundColor: "rgba(37, 99, 235, 0.15)",
        fill: "-1",
      },
      {
        label: "Mean",
        data: points(series, "k"),
        borderColor: "rgb(37, 99, 235)",
        borderWidth: 2,
        pointRadius: 0,
        pointHitRadius: 6,
        fill: false,
      },
    ];
  }

  function options(windowKey, nowMs) {
    return {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "nearest", axis: "x", intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: {
          filter: function (item) { return item.datasetIndex === 2; },
          callbacks: {
            title: function (items) { return items.length ? timeText(items[0].parsed.x) : ""; },
            label: function (item) {
              var raw = item.chart.data.datasets;
              var low = raw[0].data[item.dataIndex].y;
              var high = raw[1].data[item.dataIndex].y;
              var text = "Mean " + kelvinText(item.parsed.y);
              return low === high ? text : text + " (" + kelvinText(low) + " – " + kelvinText(high) + ")";
            },
          },
        },
      },
      scales: {
        x: {
          type: "linear",
          min: nowMs - SPANS_MS[windowKey],
          max: nowMs,
          afterBuildTicks: function (axis) { axis.ticks = localTicks(axis.min, axis.max, windowKey); },
          ticks: { autoSkip: false, callback: function (value) { return tickText(value, windowKey); } },
        },
        y: { ticks: { callback: kelvinText } },
      },
    };
  }

  function setup(section) {
    var canvas = section.querySelector("canvas");
    var status = section.querySelector("[data-chart-status]");
    var buttons = section.querySelectorAll("[data-window]");
    var state = { windowKey: "24h", data: null, chart: null };

    function draw() {
      var series = state.data.series[state.windowKey] || [];
      var empty = series.length === 0;
      status.textContent = empty
        ? "No readings in the last " + LABELS[state.windowKey] + "."
        : state.data.current.stale
          ? "No recent reading: the latest is more than " + state.data.stale_after_minutes + " min old."
          : "";
      if (state.chart) {
        state.chart.destroy();
      }
      state.chart = new window.Chart(canvas, {
        type: "line",
        data: { datasets: datasets(series) },
        options: options(state.windowKey, Date.parse(state.data.now)),
      });
    }

    function load() {
      fetch(section.dataset.url, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          state.data = data;
          draw();
        })
        .catch(function () {
          status.textContent = "The temperature history could not be loaded; it is retried shortly.";
        });
    }

    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        state.windowKey = button.dataset.window;
        buttons.forEach(function (other) {
          var chosen = other === button;
          other.setAttribute("aria-pressed", chosen ? "true" : "false");
          other.classList.toggle("secondary", !chosen);
        });
        if (state.data) {
          draw();
        }
      });
    });
    load();
    window.setInterval(function () {
      if (!document.hidden) {
        load();
      }
    }, REFRESH_MS);
  }

  function start() {
    document.querySelectorAll("[data-temperature-chart]").forEach(function (section) {
      if (window.Chart) {
        setup(section);
      } else {
        section.querySelector("[data-chart-status]").textContent = "The chart library did not load.";
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
