/* Resident report page (cases/public/report.html) and the "done" page.
 *
 * Progressive enhancement only: without script the form posts an address, a category
 * and photos, and the server checks everything again.
 *
 * - Where: a Leaflet map (served locally) with the grid boundaries; a tap sets the point,
 *   "use my location" asks the browser. The point is kept in the map's display system
 *   (data-crs; the hidden crs field tells the server) and the locate API says which
 *   grid/community it is in, or that it is outside our jurisdiction.
 * - What: the description suggests categories (/cases/report/suggest/?q=); the best one
 *   is preselected until the person chooses one themselves.
 * - Photos: taken or chosen photos are collected (several camera shots add up), shown,
 *   and checked for count, size and type before sending.
 */
(function () {
  "use strict";

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : {};
  }

  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)[sd]/g, function (_m, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }

  var el = window.grassroots.el;


  /* ------------------------------------------------------------ field messages -- */
  function setFieldError(field, message) {
    if (!field) return;
    var holder = field.closest(".field") || field.closest(".step");
    var id = field.id + "-client-error";
    var existing = document.getElementById(id);
    if (!message) {
      if (existing) existing.remove();
      if (!holder.querySelector(".field-error:not([data-client])")) field.removeAttribute("aria-invalid");
      return;
    }
    if (!existing) {
      existing = el("p", { className: "field-error", id: id, "data-client": "1" });
      holder.appendChild(existing);
    }
    existing.textContent = message;
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", id);
  }

  /* ------------------------------------------------------------------ the map -- */
  function initWhere(form, strings) {
    var container = document.getElementById("report-map");
    var result = document.getElementById("where-result");
    var lonInput = document.getElementById("id_lon");
    var latInput = document.getElementById("id_lat");
    var crsInput = document.getElementById("id_crs");
    var address = document.getElementById("id_address");
    var state = { outside: false, message: "" };
    if (!container || typeof L === "undefined") return state;

    var crs = container.dataset.crs === "gcj02" ? "gcj02" : "wgs84";
    var elderly = document.documentElement.classList.contains("elderly");
    var map = L.map(container, {
      zoomControl: true,
      attributionControl: !!container.dataset.tileUrl,
      zoomSnap: 0.25,
      scrollWheelZoom: false,
      tap: true,
    });
    window.grReportMap = map;
    window.grassroots.baseLayer(map, container);
    if (elderly) container.classList.add("map-elderly");
    map.setView([39.9, 116.4], 12);

    var marker = null;
    var requestId = 0;
    var onLocated = null;

    function showResult(text, isError, names) {
      result.classList.toggle("is-error", !!isError);
      result.classList.toggle("is-ok", !isError && !!names);
      result.textContent = "";
      if (names) {
        result.appendChild(el("span", { className: "locate-label", text: text }));
        result.appendChild(el("strong", { className: "locate-names", text: names }));
      } else {
        result.textContent = text;
      }
    }

    function locate(lng, lat) {
      var id = ++requestId;
      var params = new URLSearchParams({ lon: lng.toFixed(7), lat: lat.toFixed(7) });
      if (crs !== "wgs84") params.set("crs", crs);
      showResult(strings.locating, false);
      fetch(container.dataset.locateUrl + "?" + params.toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (r) {
          return r.json().then(function (body) { return { ok: r.ok, body: body }; });
        })
        .then(function (res) {
          if (id !== requestId) return;
          if (!res.ok) {
            state.outside = true;
            state.message = (res.body && res.body.message) || strings.locate_failed;
            if (gridLayer) {
              map.removeLayer(gridLayer);
              gridLayer = null;
            }
            showResult(state.message, true);
            return;
          }
          state.outside = false;
          state.message = "";
          var units = res.body.units || {};
          var names = ["grid", "community", "street"]
            .map(function (level) { return units[level] && units[level].name; })
            .filter(Boolean)
            .join(" · ");
          showResult(strings.located, false, names);
          setFieldError(address, "");
          if (onLocated) onLocated(units);
        })
        .catch(function () {
          if (id !== requestId) return;
          showResult(strings.locate_failed, true);
        });
    }

    function setPoint(latlng, options) {
      var radius = elderly ? 14 : 11;
      if (marker) marker.setLatLng(latlng);
      else {
        marker = L.circleMarker(latlng, {
          radius: radius, color: "#ffffff", weight: 3, fillColor: "#b3261e", fillOpacity: 1, interactive: false,
        }).addTo(map);
      }
      lonInput.value = latlng.lng.toFixed(7);
      latInput.value = latlng.lat.toFixed(7);
      crsInput.value = crs;
      if (options && options.pan) map.setView(latlng, Math.max(map.getZoom(), 16));
      locate(latlng.lng, latlng.lat);
    }

    map.on("click", function (ev) { setPoint(ev.latlng); });

    var STYLE = {
      outline: { color: "#0b4f8a", weight: elderly ? 2.5 : 1.5, opacity: 0.8, fillColor: "#3f83c9", fillOpacity: 0.06 },
      grid: { color: "#0b4f8a", weight: elderly ? 2 : 1, opacity: 0.7, dashArray: "4 4", fill: false },
      chosen: { color: "#17663a", weight: elderly ? 4 : 3, opacity: 1, fillColor: "#17663a", fillOpacity: 0.12 },
    };
    var gridLayer = null;
    var gridRequests = {};

    function geojson(query) {
      var params = new URLSearchParams(query);
      if (crs !== "wgs84") params.set("crs", crs);
      return fetch(container.dataset.geojsonUrl + "?" + params.toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      }).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      });
    }

    // The grids of the community the point is in, the point's own grid highlighted.
    function showGrids(units) {
      if (!units.community || !units.grid) return;
      var code = units.community.code;
      gridRequests[code] = gridRequests[code] || geojson({ parent: code });
      gridRequests[code].then(function (collection) {
        if (gridLayer) map.removeLayer(gridLayer);
        gridLayer = L.geoJSON(collection, {
          interactive: false,
          style: function (f) { return f.properties.code === units.grid.code ? STYLE.chosen : STYLE.grid; },
        }).addTo(map);
        if (marker) marker.bringToFront();
      }).catch(function () { /* the outline is enough */ });
    }
    onLocated = showGrids;

    // Outline: the communities (a few dozen polygons, cheap on a phone); where they have
    // no boundaries of their own, the grids.
    geojson({ level: "community" })
      .then(function (collection) {
        return collection.features.length ? collection : geojson({ level: "grid" });
      })
      .then(function (collection) {
        var layer = L.geoJSON(collection, {
          interactive: false,
          style: function () { return STYLE.outline; },
        }).addTo(map);
        layer.bringToBack();
        var bounds = layer.getBounds();
        if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8], animate: false });
        if (marker) {
          marker.bringToFront();
          map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15), { animate: false });
        }
        container.dataset.ready = "1";
      })
      .catch(function () {
        container.dataset.ready = "1";
      });

    // A point kept from an earlier attempt (the form came back with a message).
    var lon0 = parseFloat(lonInput.value);
    var lat0 = parseFloat(latInput.value);
    if (isFinite(lon0) && isFinite(lat0) && (crsInput.value || crs) === crs) {
      setPoint(L.latLng(lat0, lon0), { pan: true });
    }

    var button = document.getElementById("use-location");
    if (button) {
      button.addEventListener("click", function () {
        if (!navigator.geolocation) {
          showResult(strings.geo_unsupported, true);
          return;
        }
        showResult(strings.geo_working, false);
        navigator.geolocation.getCurrentPosition(
          function (pos) {
            var lng = pos.coords.longitude;
            var lat = pos.coords.latitude;
            if (crs === "wgs84") {
              setPoint(L.latLng(lat, lng), { pan: true });
              return;
            }
            // The device gives WGS84; the server (the one place that converts) says where
            // that point is drawn on this base map.
            var params = new URLSearchParams({ lon: lng.toFixed(7), lat: lat.toFixed(7) });
            fetch(container.dataset.locateUrl + "?" + params.toString(), {
              headers: { Accept: "application/json" },
              credentials: "same-origin",
            })
              .then(function (r) { return r.json(); })
              .then(function (body) {
                var shown = body && body.display;
                if (shown) setPoint(L.latLng(shown.lat, shown.lon), { pan: true });
                else showResult(body && body.message ? body.message : strings.geo_denied, true);
              })
              .catch(function () { showResult(strings.geo_denied, true); });
          },
          function () { showResult(strings.geo_denied, true); },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }

    state.hasPoint = function () { return !!(lonInput.value && latInput.value); };
    return state;
  }

  /* ---------------------------------------------------------- category suggestion -- */
  function initSuggest(form, strings) {
    var description = document.getElementById("id_description");
    var select = document.getElementById("id_category");
    var box = document.getElementById("suggestions");
    var button = document.getElementById("suggest-button");
    var counter = document.getElementById("description-count");
    var max = parseInt(form.dataset.maxDescription, 10) || 2000;
    var timer = null;
    var lastQuery = "";
    // The category was chosen by the person (not preselected by us): leave it alone.
    var chosenByPerson = !!select.value;

    function markChosen() {
      box.querySelectorAll(".chip").forEach(function (chip) {
        var on = chip.dataset.category === select.value;
        chip.classList.toggle("is-chosen", on);
        chip.setAttribute("aria-pressed", on ? "true" : "false");
      });
    }

    function choose(value, byPerson) {
      select.value = value;
      if (byPerson) chosenByPerson = true;
      markChosen();
      if (select.value) setFieldError(select, "");
    }

    function render(list) {
      box.textContent = "";
      if (!list.length) {
        box.appendChild(el("p", { className: "suggest-title", text: strings.suggest_none }));
        return;
      }
      box.appendChild(el("p", { className: "suggest-title", text: strings.suggest_title }));
      var ul = el("ul", { className: "chips", role: "list" });
      list.forEach(function (s) {
        var chip = el("button", { type: "button", className: "chip", "data-category": String(s.id) }, [
          s.name,
          s.group ? el("span", { className: "chip-group", text: s.group }) : null,
        ]);
        ul.appendChild(el("li", {}, [chip]));
      });
      box.appendChild(ul);
      if (!chosenByPerson) choose(String(list[0].id), false);
      markChosen();
    }

    function fetchSuggestions(force) {
      var q = description.value.trim();
      if (q.length < 2) {
        if (force) {
          box.textContent = "";
          box.appendChild(el("p", { className: "suggest-title", text: strings.suggest_short }));
        }
        return;
      }
      if (!force && q === lastQuery) return;
      lastQuery = q;
      if (force) {
        box.textContent = "";
        box.appendChild(el("p", { className: "suggest-title", text: strings.suggesting }));
      }
      fetch(form.dataset.suggestUrl + "?" + new URLSearchParams({ q: q }).toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (q !== lastQuery) return;
          render(body.suggestions || []);
        })
        .catch(function () { /* the list is still there */ });
    }

    function count() {
      if (counter) counter.textContent = fmt(strings.chars, { n: description.value.length, max: max });
    }

    box.addEventListener("click", function (ev) {
      var chip = ev.target.closest(".chip");
      if (chip) choose(chip.dataset.category, true);
    });
    select.addEventListener("change", function () {
      chosenByPerson = !!select.value;
      markChosen();
      if (select.value) setFieldError(select, "");
    });
    description.addEventListener("input", function () {
      count();
      clearTimeout(timer);
      timer = setTimeout(function () { fetchSuggestions(false); }, 700);
    });
    description.addEventListener("blur", function () { fetchSuggestions(false); });
    if (button) {
      button.addEventListener("click", function (ev) {
        ev.preventDefault();
        fetchSuggestions(true);
      });
    }
    markChosen();
    count();
  }

  /* ------------------------------------------------------------------- photos -- */
  function initPhotos(form, strings) {
    var camera = document.getElementById("id_photos_camera");
    var gallery = document.getElementById("id_photos");
    var list = document.getElementById("photo-previews");
    var status = document.getElementById("photo-status");
    var clear = document.getElementById("photos-clear");
    var maxCount = parseInt(form.dataset.maxPhotos, 10) || 9;
    var maxBytes = (parseInt(form.dataset.maxPhotoMb, 10) || 10) * 1024 * 1024;
    var store = [];
    var canCollect = typeof DataTransfer !== "undefined";
    var problem = "";

    function sync() {
      if (!canCollect) return;
      try {
        var dt = new DataTransfer();
        store.forEach(function (f) { dt.items.add(f); });
        gallery.files = dt.files;
        camera.value = "";
      } catch (e) {
        canCollect = false;
      }
    }

    function check() {
      problem = "";
      if (store.length > maxCount) problem = fmt(strings.photo_too_many, { n: maxCount });
      store.some(function (f) {
        if (f.type && f.type.indexOf("image/") !== 0) {
          problem = fmt(strings.photo_not_image, { name: f.name });
          return true;
        }
        if (f.size > maxBytes) {
          problem = fmt(strings.photo_too_big, { name: f.name, mb: maxBytes / 1048576 });
          return true;
        }
        return false;
      });
      setFieldError(gallery, problem);
      return problem;
    }

    function render() {
      list.querySelectorAll("img").forEach(function (img) { URL.revokeObjectURL(img.src); });
      list.textContent = "";
      store.forEach(function (file, i) {
        var remove = el("button", { type: "button", className: "photo-remove", "aria-label": strings.remove_photos + " " + (i + 1), text: "×" });
        remove.addEventListener("click", function () {
          store.splice(i, 1);
          sync();
          render();
        });
        var thumb = file.type && file.type.indexOf("image/") === 0
          ? el("img", { src: URL.createObjectURL(file), alt: file.name })
          : el("span", { className: "photo-file", text: file.name });
        list.appendChild(el("li", { className: "photo-preview" }, [thumb, canCollect ? remove : null]));
      });
      status.textContent = store.length ? fmt(strings.photo_count, { n: store.length }) : "";
      clear.hidden = !store.length;
      check();
    }

    function add(input) {
      var files = Array.prototype.slice.call(input.files || []);
      if (canCollect) store = store.concat(files);
      else store = Array.prototype.slice.call(camera.files || []).concat(Array.prototype.slice.call(gallery.files || []));
      sync();
      render();
    }

    camera.addEventListener("change", function () { add(camera); });
    gallery.addEventListener("change", function () {
      // Our own sync() sets gallery.files too; only a person's choice fires "change".
      add(gallery);
    });
    clear.addEventListener("click", function () {
      store = [];
      camera.value = "";
      gallery.value = "";
      render();
    });
    return { problem: function () { return check(); } };
  }

  /* ------------------------------------------------------------- the whole form -- */
  function initReport(form) {
    var strings = readJSON("report-strings");
    var where = initWhere(form, strings);
    initSuggest(form, strings);
    var photos = initPhotos(form, strings);
    var submit = document.getElementById("report-submit");
    var status = document.getElementById("form-status");

    form.addEventListener("submit", function (ev) {
      var submitter = ev.submitter;
      if (submitter && submitter.name === "suggest") return;
      var address = document.getElementById("id_address");
      var description = document.getElementById("id_description");
      var select = document.getElementById("id_category");
      var first = null;
      function fail(field, message) {
        setFieldError(field, message);
        if (message && !first) first = field;
      }
      var hasPoint = where.hasPoint ? where.hasPoint() : false;
      if (hasPoint && where.outside) fail(address, where.message);
      else fail(address, hasPoint || address.value.trim() ? "" : strings.need_location);
      fail(description, description.value.trim().length >= 5 ? "" : strings.need_description);
      fail(select, select.value ? "" : strings.need_category);
      var photoProblem = photos.problem();
      if (photoProblem && !first) first = document.getElementById("id_photos");
      if (first) {
        ev.preventDefault();
        status.hidden = false;
        status.textContent = strings.fix_errors;
        var section = first.closest(".step") || first;
        section.scrollIntoView({ block: "start" });
        if (first.type !== "file") first.focus({ preventScroll: true });
        return;
      }
      status.hidden = true;
      submit.disabled = true;
      submit.textContent = strings.sending;
    });
    // Back from the next page: the button works again.
    window.addEventListener("pageshow", function () { submit.disabled = false; });

    var errors = document.getElementById("report-errors");
    if (errors) {
      var firstError = form.querySelector(".step.has-error");
      if (firstError) firstError.scrollIntoView({ block: "start" });
    }
  }

  /* ------------------------------------------------------------- the done page -- */
  function initDone(button) {
    var code = document.getElementById("tracking-code");
    button.addEventListener("click", function () {
      var text = code.dataset.code;
      var done = function () { button.textContent = button.dataset.copied; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () {});
      } else {
        var range = document.createRange();
        range.selectNodeContents(code);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }
    });
  }

  function boot() {
    var form = document.getElementById("report-form");
    if (form) initReport(form);
    var copy = document.getElementById("copy-code");
    if (copy) initDone(copy);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
