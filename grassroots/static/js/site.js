/* Small progressive enhancements shared by every page, and the helpers the page scripts
 * share (loaded first: every script is deferred and runs in document order). */
(function () {
  "use strict";
  window.grassroots = {
    /* A DOM element with attributes ("text" and "className" are special) and children. */
    el: function (tag, attrs, children) {
      var node = document.createElement(tag);
      Object.keys(attrs || {}).forEach(function (k) {
        if (k === "text") node.textContent = attrs[k];
        else if (k === "className") node.className = attrs[k];
        else node.setAttribute(k, attrs[k]);
      });
      (children || []).forEach(function (c) {
        if (c != null) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
      });
      return node;
    },
    /* The base layer of a Leaflet map: the intranet tiles when MAP_TILE_URL is set,
     * otherwise a vector-only map. */
    baseLayer: function (map, container) {
      if (map.attributionControl) map.attributionControl.setPrefix(false);
      if (container.dataset.tileUrl) {
        L.tileLayer(container.dataset.tileUrl, {
          attribution: container.dataset.tileAttribution || "",
          maxZoom: 19,
        }).addTo(map);
      } else {
        container.classList.add("map-vector-only");
      }
    },
  };
  document.documentElement.classList.add("js");
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.submit();
    });
  });
})();
