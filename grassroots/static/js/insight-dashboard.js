/* The leader's dashboard (insight/dashboard.html): ECharts charts and a Leaflet map drawn
 * from the figures embedded in the page (json_script "insight-dashboard-data", the same
 * figures as /api/v1/insight/dashboard/). Every chart drills down: a month, a category or
 * a channel opens the case list with that filter; a sub-area opens its own dashboard (a
 * grid: its cases). The map shows H3 cells coloured by volume over the sub-areas'
 * boundaries (vector only; a tile layer only when the page names a tile server).
 * Charts re-size with the window; in elderly mode they use larger text.
 */
(function () {
  "use strict";

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var data = readJSON("insight-dashboard-data");
  var strings = readJSON("insight-dashboard-strings") || {};
  if (!data) return;
  var elderly = document.documentElement.classList.contains("elderly");
  var font = elderly ? 16 : 12;
  var charts = [];
  var COLORS = ["#0b4f8a", "#b3261e", "#17663a", "#b26a00", "#6a3d9a", "#2f6f9f", "#8a5300", "#4f5d6b", "#c2185b", "#00796b", "#8d99a6"];

  function go(url) {
    if (url) window.location.assign(url);
  }

  function chart(id, option, onClick) {
    var node = document.getElementById(id);
    if (!node || typeof echarts === "undefined") return null;
    var instance = echarts.init(node, null, { renderer: "svg" });
    option.color = COLORS;
    option.textStyle = { fontSize: font, fontFamily: "inherit" };
    option.animation = false;
    instance.setOption(option);
    if (onClick) instance.on("click", onClick);
    charts.push(instance);
    node.dataset.ready = "1";
    return instance;
  }

  function axisLabel() {
    return { fontSize: font, color: "#1c2530" };
  }

  /* trend: this period against the same months last year */
  chart(
    "id-chart-trend",
    {
      tooltip: { trigger: "axis" },
      legend: { data: [strings.this_period, strings.last_year], textStyle: { fontSize: font } },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.trend.map(function (s) { return s.label; }), axisLabel: axisLabel() },
      yAxis: { type: "value", minInterval: 1, axisLabel: axisLabel() },
      series: [
        { name: strings.this_period, type: "line", data: data.trend.map(function (s) { return s.received; }), symbolSize: elderly ? 10 : 7, lineStyle: { width: 3 } },
        { name: strings.last_year, type: "line", data: data.trend.map(function (s) { return s.last_year; }), symbolSize: elderly ? 9 : 6, lineStyle: { type: "dashed", width: 2 } },
      ],
    },
    function (params) {
      var slice = data.trend[params.dataIndex];
      if (slice && params.seriesIndex === 0) go(slice.url);
    }
  );

  /* categories: horizontal bars, largest on top ("other" stays in the table) */
  var categories = data.categories.filter(function (s) { return s.key !== "other"; }).reverse();
  chart(
    "id-chart-categories",
    {
      tooltip: { trigger: "item" },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, axisLabel: axisLabel() },
      yAxis: { type: "category", data: categories.map(function (s) { return s.label; }), axisLabel: { fontSize: font, color: "#1c2530", width: elderly ? 120 : 100, overflow: "truncate" } },
      series: [{ type: "bar", name: strings.received, data: categories.map(function (s) { return s.received; }), itemStyle: { color: COLORS[0] }, label: { show: true, position: "right", fontSize: font } }],
    },
    function (params) {
      var slice = categories[params.dataIndex];
      if (slice) go(slice.url);
    }
  );

  /* channels: a ring (labels beside it when there is room, otherwise the legend) */
  var channelNode = document.getElementById("id-chart-channels");
  var narrow = channelNode && channelNode.clientWidth < 480;
  chart(
    "id-chart-channels",
    {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0, textStyle: { fontSize: font } },
      series: [
        {
          type: "pie",
          name: strings.received,
          radius: ["38%", "66%"],
          center: ["50%", "44%"],
          label: { show: !narrow, fontSize: font, formatter: "{b}\n{d}%" },
          data: data.channels.map(function (s) { return { name: s.label, value: s.received }; }),
        },
      ],
    },
    function (params) {
      var slice = data.channels[params.dataIndex];
      if (slice) go(slice.url);
    }
  );

  /* sub-areas: bars, click to drill down */
  var areas = data.areas.slice().sort(function (a, b) { return a.received - b.received; });
  chart(
    "id-chart-areas",
    {
      tooltip: { trigger: "item" },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, axisLabel: axisLabel() },
      yAxis: { type: "category", data: areas.map(function (a) { return a.name; }), axisLabel: { fontSize: font, color: "#1c2530", width: elderly ? 130 : 110, overflow: "truncate" } },
      series: [{ type: "bar", name: strings.received, data: areas.map(function (a) { return a.received; }), itemStyle: { color: COLORS[5] }, label: { show: true, position: "right", fontSize: font } }],
    },
    function (params) {
      var area = areas[params.dataIndex];
      if (area) go(area.url);
    }
  );

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () {
      charts.forEach(function (c) { c.resize(); });
    }, 150);
  });

  /* the map */
  var container = document.getElementById("id-map");
  if (!container || typeof L === "undefined") return;
  var status = document.getElementById("id-map-status");
  var map = L.map(container, { zoomSnap: 0.25, scrollWheelZoom: false, attributionControl: !!container.dataset.tileUrl });
  window.grassroots.baseLayer(map, container);
  container.dataset.ready = "1";

  var max = data.cells.reduce(function (m, c) { return Math.max(m, c.received); }, 0);
  var RAMP = ["#fff3c4", "#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"];
  function colour(n) {
    if (!max) return RAMP[0];
    var i = Math.min(RAMP.length - 1, Math.floor((Math.sqrt(n) / Math.sqrt(max)) * (RAMP.length - 1) + 0.0001));
    return RAMP[i];
  }
  var cells = L.layerGroup();
  var bounds = null;
  data.cells.forEach(function (c) {
    var latlngs = c.boundary.map(function (p) { return [p[1], p[0]]; });
    var polygon = L.polygon(latlngs, { stroke: true, color: "#7a3b00", weight: 0.5, opacity: 0.5, fillColor: colour(c.received), fillOpacity: 0.7 });
    polygon.bindTooltip(c.received + " " + (strings.cases || ""), { sticky: true });
    polygon.addTo(cells);
    bounds = bounds ? bounds.extend(polygon.getBounds()) : polygon.getBounds();
  });
  cells.addTo(map);

  var byCode = {};
  data.areas.forEach(function (a) { byCode[a.code] = a; });

  function fit(extra) {
    var b = bounds;
    if (extra && extra.isValid()) b = b ? b.extend(extra) : extra;
    if (b && b.isValid()) map.fitBounds(b, { padding: [8, 8] });
    else map.setView([39.9, 116.4], 11);
  }

  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var box = window.grassroots.el("div", { className: "id-legend" }, [strings.legend || ""]);
    [0, 0.25, 0.5, 1].forEach(function (share) {
      var n = Math.round(max * share * share);
      box.appendChild(window.grassroots.el("span", { className: "id-legend-step" }, [
        window.grassroots.el("i", { style: "background:" + colour(n) }),
        String(n),
      ]));
    });
    return box;
  };
  if (max) legend.addTo(map);

  var url = container.dataset.boundaryUrl;
  if (!url) {
    fit(null);
    return;
  }
  fetch(url, { headers: { Accept: "application/geo+json, application/json" }, credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    })
    .then(function (collection) {
      var layer = L.geoJSON(collection, {
        style: function (feature) {
          var own = feature.properties.code === data.unit.code;
          return { color: own ? "#b3261e" : "#0b4f8a", weight: own ? 3 : 2, fill: !!byCode[feature.properties.code], fillOpacity: 0.02, opacity: 0.9 };
        },
        onEachFeature: function (feature, shape) {
          var area = byCode[feature.properties.code];
          var label = feature.properties.name + (area ? "：" + area.received + " " + (strings.cases || "") : "");
          shape.bindTooltip(label, { sticky: true });
          if (area && area.url) {
            shape.on("click", function () { go(area.url); });
          }
        },
      }).addTo(map);
      layer.bringToBack();
      fit(layer.getBounds());
    })
    .catch(function () {
      if (status) status.textContent = strings.map_failed || "";
      fit(null);
    });
})();
