// The report page's charts: weekly trends and the late-order heatmap (ECharts).
// A click on a heatmap cell opens the orders behind it.
(function () {
  "use strict";
  function start() {
    var source = document.getElementById("report-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var L = data.labels;
    var charts = [];
    function chart(id, option) {
      var el = document.getElementById(id);
      if (!el) return null;
      var c = window.echarts.init(el, null, { renderer: "canvas" });
      c.setOption(option);
      charts.push(c);
      el.dataset.ready = "1";
      return c;
    }
    var grid = { left: 44, right: 16, top: 36, bottom: 28 };
    function line(name, values) {
      return { name: name, type: "line", data: values, connectNulls: false, symbolSize: 6 };
    }
    chart("trend-rates", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v.toFixed(1) + "%"; } },
      legend: { top: 0 },
      grid: grid,
      xAxis: { type: "category", data: data.weeks },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [line(L.sla, data.sla), line(L.ftf, data.ftf), line(L.evaluation, data.evaluation)],
    });
    chart("trend-volumes", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: grid,
      xAxis: { type: "category", data: data.weeks },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: L.created, type: "bar", data: data.created },
        { name: L.closed, type: "bar", data: data.closed },
        line(L.backlog, data.backlog),
      ],
    });
    var hours = [];
    for (var h = 0; h < 24; h++) hours.push((h < 10 ? "0" : "") + h);
    var peak = 1;
    data.heat.forEach(function (p) { peak = Math.max(peak, p[2]); });
    var heat = chart("late-heatmap", {
      tooltip: { position: "top" },
      grid: { left: 64, right: 16, top: 10, bottom: 56 },
      xAxis: { type: "category", data: hours, splitArea: { show: true } },
      yAxis: { type: "category", data: data.weekdays, inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max: peak, calculable: false, orient: "horizontal", left: "center", bottom: 0,
                   inRange: { color: ["#fee2e2", "#dc2626"] } },
      series: [{ type: "heatmap", data: data.heat, label: { show: true } }],
    });
    if (heat) {
      heat.on("click", function (params) {
        var base = document.getElementById("late-heatmap").dataset.ordersUrl;
        window.location.href = base + "&m=" + encodeURIComponent("late." + params.value[1] + "." + params.value[0]);
      });
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
