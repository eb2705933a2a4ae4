/* Unit map (org/map.html) and the small map of one unit (org/unit_detail.html).
 *
 * Vector boundaries from /api/v1/org/units.geojson drawn with Leaflet (served locally);
 * a base tile layer only when the page names a tile server (data-tile-url). Clicking a
 * polygon drills down (street -> communities -> grids); clicking anywhere asks the locate
 * API which grid the point is in. When the tile server draws in GCJ-02 (data-crs), the
 * GeoJSON is requested in GCJ-02 and clicked points are sent with crs=gcj02.
 */
(function () {
  "use strict";
  if (typeof L === "undefined") return;

  var STYLE = {
    base: { color: "#0b4f8a", weight: 2, opacity: 0.9, fillColor: "#3f83c9", fillOpacity: 0.12 },
    hover: { weight: 3, fillOpacity: 0.28 },
    selected: { color: "#b3261e", weight: 3, fillColor: "#e0675f", fillOpacity: 0.22 },
    context: { color: "#0b4f8a", weight: 3, opacity: 0.9, fill: false, dashArray: "6 5", interactive: false },
  };

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : {};
  }

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }

  function number(n) {
    return typeof n === "number" ? n.toLocaleString(document.documentElement.lang || undefined) : "";
  }

  var el = window.grassroots.el;

  function baseMap(container, opts) {
    var elderly = document.documentElement.classList.contains("elderly");
    var map = L.map(container, {
      zoomControl: true,
      attributionControl: !!container.dataset.tileUrl,
      zoomSnap: 0.25,
      scrollWheelZoom: opts && opts.scrollWheelZoom !== false,
      tap: true,
    });
    window.grassroots.baseLayer(map, container);
    if (elderly) container.classList.add("map-elderly");
    return map;
  }

  function unitUrl(template, code) {
    return template.replace("CODE", encodeURIComponent(code));
  }

  function factsList(strings, p) {
    var levels = strings.levels || {};
    var rows = [
      [strings.code, p.code],
      [strings.level, levels[p.level] || p.level],
      [strings.population, number(p.population)],
      [strings.households, number(p.households)],
    ];
    if (p.area_km2 != null) rows.push([strings.area, String(p.area_km2)]);
    var dl = el("dl", { className: "facts compact" });
    rows.forEach(function (r) {
      dl.appendChild(el("div", {}, [el("dt", { text: r[0] }), el("dd", { text: r[1] })]));
    });
    return dl;
  }

  /* ---------------------------------------------------------------- the map page -- */
  function initUnitMap(container) {
    var strings = readJSON("map-strings");
    var crs = container.dataset.crs === "gcj02" ? "gcj02" : "wgs84";
    var geojsonUrl = container.dataset.geojsonUrl;
    var locateUrl = container.dataset.locateUrl;
    var unitTemplate = container.dataset.unitUrl;
    var listEl = document.getElementById("unit-list");
    var listTitle = document.getElementById("unit-list-title");
    var crumbsEl = document.querySelector("#map-breadcrumbs ol");
    var panel = document.getElementById("unit-panel");
    var result = document.getElementById("locate-result");

    var map = baseMap(container);
    map.setView([39.9, 116.4], 12);
    window.grUnitMap = map;

    var layer = null; // the current level's polygons
    var contextLayer = null; // outline of the unit we drilled into
    var layersByCode = {};
    var selectedCode = null;
    var clickMarker = null;
    // stack of {code, name, feature}; the root first (its feature may be unknown)
    var trail = [];
    if (container.dataset.rootCode) {
      trail.push({ code: container.dataset.rootCode, name: container.dataset.rootName, feature: null });
    }

    function request(url) {
      return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    }

    function geojsonFor(parentCode) {
      var params = new URLSearchParams();
      if (parentCode) params.set("parent", parentCode);
      if (crs !== "wgs84") params.set("crs", crs);
      var q = params.toString();
      return request(geojsonUrl + (q ? "?" + q : "")).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      });
    }

    function renderCrumbs() {
      crumbsEl.textContent = "";
      trail.forEach(function (step, i) {
        var last = i === trail.length - 1;
        var a = el("a", { href: unitUrl(unitTemplate, step.code), text: step.name });
        if (last) a.setAttribute("aria-current", "page");
        a.addEventListener("click", function (ev) {
          ev.preventDefault();
          trail = trail.slice(0, i + 1);
          show(step.code);
        });
        crumbsEl.appendChild(el("li", {}, [a]));
      });
    }

    function renderPanel(feature) {
      panel.textContent = "";
      if (!feature) {
        panel.hidden = true;
        return;
      }
      var p = feature.properties;
      panel.appendChild(el("h2", { className: "panel-title", text: p.name }));
      panel.appendChild(factsList(strings, p));
      panel.appendChild(
        el("a", { className: "button small", href: unitUrl(unitTemplate, p.code), text: strings.details })
      );
      panel.hidden = false;
    }

    function renderList(features, parentName) {
      listEl.textContent = "";
      listTitle.textContent = parentName ? fmt(strings.children_of, { name: parentName }) : strings.top;
      if (!features.length) {
        listEl.appendChild(el("li", { className: "empty", text: strings.no_children }));
        return;
      }
      features.forEach(function (f) {
        var p = f.properties;
        var levels = strings.levels || {};
        var a = el("a", { className: "unit-item", href: unitUrl(unitTemplate, p.code), "data-code": p.code }, [
          el("span", { className: "unit-name", text: p.name }),
          el("span", { className: "unit-meta" }, [
            el("span", { className: "badge", text: levels[p.level] || p.level }),
            " " + strings.population + " " + number(p.population),
          ]),
        ]);
        a.addEventListener("click", function (ev) {
          ev.preventDefault();
          choose(f);
        });
        a.addEventListener("mouseenter", function () { highlight(p.code, true); });
        a.addEventListener("mouseleave", function () { highlight(p.code, false); });
        listEl.appendChild(el("li", {}, [a]));
      });
    }

    function highlight(code, on) {
      var lyr = layersByCode[code];
      if (!lyr || code === selectedCode) return;
      lyr.setStyle(on ? STYLE.hover : STYLE.base);
    }

    function select(code) {
      if (selectedCode && layersByCode[selectedCode]) layersByCode[selectedCode].setStyle(STYLE.base);
      selectedCode = code;
      if (code && layersByCode[code]) {
        layersByCode[code].setStyle(STYLE.selected);
        layersByCode[code].bringToFront();
      }
      listEl.querySelectorAll(".unit-item").forEach(function (a) {
        if (a.dataset.code === code) a.setAttribute("aria-current", "true");
        else a.removeAttribute("aria-current");
      });
    }

    // "金阳社区第1网格" inside 金阳社区 is labelled "第1网格" on the map.
    function shortName(name) {
      var parent = trail.length ? trail[trail.length - 1].name : "";
      if (parent && name.indexOf(parent) === 0 && name.length > parent.length) {
        return name.slice(parent.length);
      }
      return name;
    }

    function draw(collection) {
      if (layer) map.removeLayer(layer);
      layersByCode = {};
      selectedCode = null;
      var many = collection.features.length > 40;
      layer = L.geoJSON(collection, {
        style: function () { return STYLE.base; },
        onEachFeature: function (feature, lyr) {
          layersByCode[feature.properties.code] = lyr;
          lyr.bindTooltip(shortName(feature.properties.name), {
            permanent: !many,
            direction: "center",
            className: "unit-label",
            opacity: 1,
          });
          lyr.on("mouseover", function () { highlight(feature.properties.code, true); });
          lyr.on("mouseout", function () { highlight(feature.properties.code, false); });
          // the click also reaches the map, which asks the locate API
          lyr.on("click", function () { choose(feature); });
        },
      }).addTo(map);
      var bounds = layer.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12], animate: false });
    }

    function drawContext(feature) {
      if (contextLayer) map.removeLayer(contextLayer);
      contextLayer = feature ? L.geoJSON(feature, { style: function () { return STYLE.context; } }).addTo(map) : null;
    }

    // Drill into a unit (or select it when it has no children drawn).
    function choose(feature) {
      var p = feature.properties;
      if (p.level === "grid") {
        select(p.code);
        renderPanel(feature);
        return;
      }
      geojsonFor(p.code)
        .then(function (collection) {
          if (!collection.features.length) {
            select(p.code);
            renderPanel(feature);
            return;
          }
          trail.push({ code: p.code, name: p.name, feature: feature });
          apply(collection, feature);
        })
        .catch(function () { result.textContent = strings.load_failed; });
    }

    function apply(collection, feature) {
      drawContext(feature);
      draw(collection);
      var current = trail.length ? trail[trail.length - 1] : null;
      renderList(collection.features, current ? current.name : "");
      renderCrumbs();
      renderPanel(feature);
      map.invalidateSize();
    }

    function show(code) {
      var step = trail.length ? trail[trail.length - 1] : null;
      geojsonFor(code)
        .then(function (collection) { apply(collection, step ? step.feature : null); })
        .catch(function () { result.textContent = strings.load_failed; });
    }

    function locate(latlng) {
      if (clickMarker) map.removeLayer(clickMarker);
      clickMarker = L.circleMarker(latlng, {
        radius: 7, color: "#ffffff", weight: 2, fillColor: "#b3261e", fillOpacity: 1, interactive: false,
      }).addTo(map);
      var params = new URLSearchParams({ lon: latlng.lng.toFixed(7), lat: latlng.lat.toFixed(7) });
      if (crs !== "wgs84") params.set("crs", crs);
      result.classList.remove("is-error");
      result.textContent = strings.locating;
      request(locateUrl + "?" + params.toString())
        .then(function (r) {
          return r.json().then(function (body) { return { ok: r.ok, body: body }; });
        })
        .then(function (res) {
          if (!res.ok) {
            result.classList.add("is-error");
            result.textContent = (res.body && res.body.message) || strings.locate_failed;
            return;
          }
          var units = res.body.units || {};
          var names = ["grid", "community", "street"]
            .map(function (level) { return units[level] && units[level].name; })
            .filter(Boolean);
          result.textContent = "";
          result.appendChild(el("span", { className: "locate-label", text: strings.located }));
          result.appendChild(el("strong", { className: "locate-names", text: names.join(" · ") }));
        })
        .catch(function () {
          result.classList.add("is-error");
          result.textContent = strings.locate_failed;
        });
    }

    map.on("click", function (ev) { locate(ev.latlng); });

    // Start: the root's children (the page's server-rendered list already shows them).
    var start = trail.length ? trail[0].code : "";
    result.dataset.ready = "0";
    geojsonFor(start)
      .then(function (collection) {
        drawContext(null);
        draw(collection);
        var rootName = trail.length ? trail[0].name : "";
        renderList(collection.features, rootName);
        renderCrumbs();
        container.dataset.ready = "1";
      })
      .catch(function () { result.textContent = strings.load_failed; });
  }

  /* ------------------------------------------------------- the unit detail map -- */
  function initMiniMap(container) {
    var data = readJSON("unit-geojson");
    var map = baseMap(container, { scrollWheelZoom: false });
    var own = container.dataset.code;
    var template = container.dataset.unitUrl;
    var layer = L.geoJSON(data, {
      style: function (f) {
        return f.id === own
          ? { color: "#b3261e", weight: 3, fillColor: "#e0675f", fillOpacity: 0.08 }
          : STYLE.base;
      },
      onEachFeature: function (f, lyr) {
        if (f.id === own) return;
        lyr.bindTooltip(f.properties.name, { direction: "center", className: "unit-label" });
        lyr.on("click", function () { window.location.href = unitUrl(template, f.properties.code); });
      },
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10], animate: false });
    container.dataset.ready = "1";
  }

  function boot() {
    var big = document.getElementById("unit-map");
    if (big) initUnitMap(big);
    var mini = document.getElementById("unit-minimap");
    if (mini) initMiniMap(mini);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
