/* Staff pages of the closed loop (templates/cases/staff/).
 *
 * - inbox: "select all" and a live count for bulk dispatch;
 * - case detail: a small Leaflet map with the case's point (already in the display CRS);
 * - patrol and intake: a point picker (device location or a tap on the map) filling the
 *   hidden lon/lat/crs fields; a category from "other" replaces the big buttons' choice;
 * - case map: the in-scope open cases as dots coloured by deadline state.
 * Everything works without script except the maps (forms fall back to the address).
 */
(function () {
  "use strict";

  var COLOURS = { on_time: "#17663a", yellow: "#b7791f", red: "#b3261e" };

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : {};
  }

  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }

  function hasLeaflet() {
    return typeof L !== "undefined";
  }

  function baseMap(container, opts) {
    var map = L.map(container, {
      zoomControl: true,
      attributionControl: !!container.dataset.tileUrl,
      scrollWheelZoom: !!(opts && opts.scrollWheelZoom),
      tap: true,
    });
    window.grassroots.baseLayer(map, container);
    return map;
  }

  /* The unit boundaries under a map, for context (never interactive). Resolves with the
   * layer, or null when there is none or it could not be loaded. */
  function drawBoundaries(map, container) {
    var url = container.dataset.boundaryUrl;
    if (!url) return Promise.resolve(null);
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (collection) {
        var labels = collection.features.length <= 30;
        var layer = L.geoJSON(collection, {
          interactive: false,
          style: function () {
            return { color: "#0b4f8a", weight: 1.5, opacity: 0.7, fillColor: "#3f83c9", fillOpacity: 0.06 };
          },
          onEachFeature: function (feature, lyr) {
            if (labels) {
              lyr.bindTooltip(feature.properties.name, {
                permanent: true,
                direction: "center",
                className: "unit-label",
                opacity: 0.9,
              });
            }
          },
        }).addTo(map);
        layer.bringToBack();
        return layer;
      })
      .catch(function () { return null; });
  }

  function dot(latlng, state, big) {
    return L.circleMarker(latlng, {
      radius: big ? 10 : 7,
      color: "#ffffff",
      weight: 2,
      fillColor: COLOURS[state] || COLOURS.on_time,
      fillOpacity: 0.95,
    });
  }

  /* ------------------------------------------------------------------ bulk dispatch -- */
  function initBulk() {
    var all = document.querySelector("[data-bulk-all]");
    var items = Array.prototype.slice.call(document.querySelectorAll("[data-bulk-item]"));
    var submit = document.querySelector("[data-bulk-submit]");
    var count = document.querySelector("[data-bulk-count]");
    if (!submit) return;
    function update() {
      var n = items.filter(function (i) { return i.checked; }).length;
      if (count) count.textContent = n ? "(" + n + ")" : "";
      submit.disabled = n === 0;
      if (all) all.checked = n > 0 && n === items.length;
    }
    if (all) {
      all.addEventListener("change", function () {
        items.forEach(function (i) { i.checked = all.checked; });
        update();
      });
    }
    items.forEach(function (i) { i.addEventListener("change", update); });
    update();
  }

  /* ----------------------------------------------------------- case detail mini map -- */
  function initMiniMap() {
    var box = document.getElementById("case-minimap");
    if (!box || !hasLeaflet()) return;
    var latlng = [parseFloat(box.dataset.lat), parseFloat(box.dataset.lon)];
    var map = baseMap(box);
    map.setView(latlng, 16);
    dot(latlng, "red", true).addTo(map);
    drawBoundaries(map, box).then(function () { box.dataset.ready = "1"; });
  }

  /* ------------------------------------------------------------------ point picker -- */
  function initPicker(root) {
    var strings = readJSON("picker-strings");
    var lonField = root.querySelector("[data-lon]");
    var latField = root.querySelector("[data-lat]");
    var crsField = root.querySelector("[data-crs-field]");
    var where = root.querySelector("[data-where]");
    var locateButton = root.querySelector("[data-geolocate]");
    var mapBox = root.querySelector("[data-picker-map]");
    var mapCrs = root.dataset.crs === "gcj02" ? "gcj02" : "wgs84";
    var map = null;
    var marker = null;

    function say(text, bad) {
      where.textContent = text;
      where.classList.toggle("is-error", !!bad);
    }

    function setPoint(lon, lat, crs, message) {
      lonField.value = lon.toFixed(7);
      latField.value = lat.toFixed(7);
      crsField.value = crs;
      say(message);
      if (map) {
        // a device point is WGS84; on a GCJ-02 base map it is drawn a little off, which
        // is only the marker: the stored point is exact.
        var latlng = [lat, lon];
        if (marker) marker.setLatLng(latlng);
        else marker = dot(latlng, "red", true).addTo(map);
        map.setView(latlng, Math.max(map.getZoom() || 0, 16));
      }
    }

    if (mapBox && hasLeaflet()) {
      map = baseMap(mapBox);
      var lat0 = parseFloat(root.dataset.centerLat);
      var lon0 = parseFloat(root.dataset.centerLon);
      if (isNaN(lat0) || isNaN(lon0)) map.setView([39.9, 116.4], 12);
      else map.setView([lat0, lon0], 15);
      map.on("click", function (ev) {
        setPoint(ev.latlng.lng, ev.latlng.lat, mapCrs, strings.picked);
      });
      if (lonField.value && latField.value) {
        var lat1 = parseFloat(latField.value);
        var lon1 = parseFloat(lonField.value);
        marker = dot([lat1, lon1], "red", true).addTo(map);
        map.setView([lat1, lon1], 16);
      }
      drawBoundaries(map, mapBox).then(function (layer) {
        if (layer && !marker) {
          var b = layer.getBounds();
          if (b.isValid()) map.fitBounds(b, { animate: false });
        }
        mapBox.dataset.ready = "1";
      });
      window.grPickerMap = map;
    } else if (mapBox) {
      mapBox.hidden = true;
    }

    function locate() {
      if (!navigator.geolocation) return;
      say(strings.locating);
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          setPoint(
            pos.coords.longitude,
            pos.coords.latitude,
            "wgs84",
            fmt(strings.located, { m: Math.round(pos.coords.accuracy || 0) })
          );
        },
        function () { say(strings.failed, true); },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    }

    if (locateButton && navigator.geolocation && root.dataset.locate === "1") {
      locateButton.hidden = false;
      locateButton.addEventListener("click", locate);
      if (!lonField.value) locate();
    }
  }

  /* ------------------------------------------------- patrol: the "other" category -- */
  function initOtherCategory() {
    var select = document.querySelector("[data-other-category]");
    if (!select) return;
    var form = select.form;
    select.addEventListener("change", function () {
      var radios = form.querySelectorAll("input[name=category]");
      var extra = form.querySelector("input[data-extra-category]");
      if (!select.value) {
        if (extra) extra.remove();
        return;
      }
      radios.forEach(function (r) { r.checked = false; });
      if (!extra) {
        extra = document.createElement("input");
        extra.type = "radio";
        extra.name = "category";
        extra.hidden = true;
        extra.setAttribute("data-extra-category", "");
        form.appendChild(extra);
      }
      extra.value = select.value;
      extra.checked = true;
    });
    form.querySelectorAll(".cs-cat-btn input").forEach(function (r) {
      r.addEventListener("change", function () { select.value = ""; });
    });
  }

  /* -------------------------------------------------------------------- case map -- */
  function initCasesMap() {
    var box = document.getElementById("cases-map");
    if (!box || !hasLeaflet()) return;
    var strings = readJSON("cases-map-strings");
    var status = document.getElementById("cases-map-status");
    var map = baseMap(box, { scrollWheelZoom: true });
    map.setView([39.9, 116.4], 12);
    window.grCasesMap = map;
    var boundaries = drawBoundaries(map, box);
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (collection) {
        var counts = { on_time: 0, yellow: 0, red: 0 };
        // red on top: draw the calm ones first
        var order = { on_time: 0, yellow: 1, red: 2 };
        var features = collection.features.slice().sort(function (a, b) {
          return order[a.properties.state] - order[b.properties.state];
        });
        var layer = L.featureGroup();
        features.forEach(function (f) {
          var p = f.properties;
          counts[p.state] = (counts[p.state] || 0) + 1;
          var c = f.geometry.coordinates;
          var m = dot([c[1], c[0]], p.state, false);
          var popup = document.createElement("div");
          var title = document.createElement("strong");
          title.textContent = p.category;
          var meta = document.createElement("div");
          meta.textContent = p.code + " · " + p.status + " · " + ((strings.states || {})[p.state] || "");
          var link = document.createElement("a");
          link.href = p.url;
          link.textContent = strings.open;
          popup.appendChild(title);
          popup.appendChild(meta);
          popup.appendChild(link);
          m.bindPopup(popup);
          layer.addLayer(m);
        });
        layer.addTo(map);
        Object.keys(counts).forEach(function (k) {
          var el = document.querySelector("[data-count='" + k + "']");
          if (el) el.textContent = String(counts[k]);
        });
        status.textContent = features.length ? fmt(strings.loaded, { n: features.length }) : strings.empty;
        return boundaries.then(function (outline) {
          var bounds = layer.getBounds();
          if (bounds.isValid()) map.fitBounds(bounds, { padding: [40, 40], maxZoom: 15, animate: false });
          else if (outline && outline.getBounds().isValid()) map.fitBounds(outline.getBounds(), { animate: false });
          box.dataset.ready = "1";
        });
      })
      .catch(function () {
        status.textContent = strings.failed;
        box.dataset.ready = "error";
      });
  }

  function boot() {
    initBulk();
    initMiniMap();
    document.querySelectorAll("[data-point-picker]").forEach(initPicker);
    initOtherCategory();
    initCasesMap();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
