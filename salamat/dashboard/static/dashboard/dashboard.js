/* Draws the tracked-packages chart from the numbers the page also shows as a table. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var canvas = document.getElementById("tracked-chart");
    var source = document.getElementById("tracked-data");
    if (!canvas || !source || !window.Chart) return;
    var d = JSON.parse(source.textContent);
    var chart = new window.Chart(canvas, {
      data: {
        labels: d.labels,
        datasets: [
          { type: "bar", label: d.names.introduced, data: d.introduced, backgroundColor: "#2e8b57", yAxisID: "daily" },
          { type: "bar", label: d.names.withdrawn, data: d.withdrawn, backgroundColor: "#c0392b", yAxisID: "daily" },
          { type: "line", label: d.names.in_circulation, data: d.in_circulation, borderColor: "#0d5c7d",
            backgroundColor: "#0d5c7d", pointRadius: 2, tension: 0.2, yAxisID: "total" }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          daily: { position: "left", beginAtZero: true, ticks: { precision: 0 } },
          total: { position: "right", beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
    canvas.dataset.rendered = "1";
    window.salamatTrackedChart = chart;
  });
})();
