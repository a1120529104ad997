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
        labels: d.display_labels || d.labels,
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

/* The product picker: type to search (the server suggests up to 20), arrows and Enter or a
   click to choose; the chosen product's id goes into the hidden field the form sends. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-picker]");
    if (!box) return;
    var input = box.querySelector("[data-picker-input]");
    var value = box.querySelector("[data-picker-value]");
    var list = box.querySelector("[data-picker-options]");
    var timer = null, active = -1, asked = "";

    function options() { return Array.prototype.slice.call(list.querySelectorAll("[role=option]")); }
    function close() {
      list.hidden = true; input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant"); active = -1;
    }
    function mark(i) {
      var all = options();
      if (!all.length) return;
      active = (i + all.length) % all.length;
      all.forEach(function (o, n) { o.setAttribute("aria-selected", n === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }
    function pick(option) {
      input.value = option.dataset.label;
      value.value = option.dataset.id;
      close();
      input.form.requestSubmit();
    }
    function search() {
      var q = input.value.trim();
      if (q.length < 2) { list.innerHTML = ""; close(); return; }
      asked = q;
      fetch(box.dataset.url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          if (asked !== q) return;  // an older answer, overtaken by typing
          list.innerHTML = html;
          list.hidden = !html.trim();
          input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
          active = -1;
        })
        .catch(close);
    }
    input.addEventListener("input", function () {
      value.value = "";  // the text no longer names the product that was picked
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); mark(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); mark(active - 1); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); pick(options()[active]); }
      else if (e.key === "Escape") { close(); }
    });
    list.addEventListener("mousedown", function (e) {
      var option = e.target.closest("[role=option]");
      if (option) { e.preventDefault(); pick(option); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  });
})();
