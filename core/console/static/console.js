/* casecore console: countdowns, charts, small behaviours. Works without it; it only adds. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "zh-CN";

  function relative(due) {
    var seconds = (new Date(due).getTime() - Date.now()) / 1000;
    var abs = Math.abs(seconds), unit = "minute", value = seconds / 60;
    if (abs >= 86400) { unit = "day"; value = seconds / 86400; }
    else if (abs >= 3600) { unit = "hour"; value = seconds / 3600; }
    var fmt = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
    return fmt.format(Math.round(value), unit);
  }

  function tick() {
    document.querySelectorAll("[data-due]").forEach(function (el) {
      if (!window.Intl || !Intl.RelativeTimeFormat) return;
      el.textContent = relative(el.getAttribute("data-due"));
      var late = new Date(el.getAttribute("data-due")).getTime() <= Date.now();
      if (el.hasAttribute("data-live")) el.classList.toggle("late", late);
    });
  }

  function charts() {
    var holder = document.getElementById("chart-data");
    if (!holder || !window.Chart) return;
    var data = JSON.parse(holder.textContent);
    var palette = ["#1f5fbf", "#2e8b57", "#c47f00", "#8e44ad", "#b3261e", "#16a085", "#7f8c8d",
                   "#d35400", "#2c3e50", "#27ae60", "#e67e22", "#5d6d7e"];
    function bar(id, labels, datasets, stacked) {
      var el = document.getElementById(id);
      if (!el) return;
      new Chart(el, {
        type: "bar",
        data: { labels: labels, datasets: datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { display: datasets.length > 1 } },
          scales: { x: { stacked: !!stacked }, y: { stacked: !!stacked, beginAtZero: true,
                    ticks: { precision: 0 } } }
        }
      });
    }
    var L = data.labels;
    bar("chart-state", data.by_state.labels, [{ label: L.cases, data: data.by_state.values, backgroundColor: palette[0] }]);
    bar("chart-category", data.by_category.labels, [{ label: L.cases, data: data.by_category.values, backgroundColor: palette[1] }]);
    bar("chart-site", data.by_site.labels, [{ label: L.cases, data: data.by_site.values, backgroundColor: palette[2] }]);
    bar("chart-sla", data.sla.labels, [
      { label: L.met, data: data.sla.met, backgroundColor: "#2e8b57" },
      { label: L.breached, data: data.sla.breached, backgroundColor: "#b3261e" }
    ], true);
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
    charts();
  });
  document.addEventListener("htmx:afterSwap", tick);
})();
