// The dashboard map: our own layers (village polygons or centroids coloured by risk, visits,
// concerns, incidents, an H3 heat layer), each fetched as GeoJSON for the filters in the URL.
// A tile layer is drawn only when the server names one (PATROLI_TILE_URL).
(function () {
  "use strict";
  var box = document.getElementById("dash-map");
  var configNode = document.getElementById("dash-map-config");
  if (!box || !configNode || !window.L || !window.fetch) return;
  var config = JSON.parse(configNode.textContent);
  var labels = config.labels;
  var query = box.dataset.query;
  var LEVEL = { low: "#1e7b34", medium: "#d98e04", high: "#b3261e", "": "#8a94a3" };
  var SEVERITY = { green: "#1e7b34", yellow: "#d98e04", red: "#b3261e" };
  var RESPONSE = { positive: "#1e7b34", neutral: "#5b6675", negative: "#b3261e", "": "#0b3d91" };

  box.hidden = false;
  document.getElementById("dash-legend").hidden = false;
  var map = L.map(box, { attributionControl: !!box.dataset.tiles, preferCanvas: true });
  if (box.dataset.tiles) {
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
  }
  map.setView([-0.95, 116.7], 9);
  var note = L.control({ position: "bottomleft" });
  note.onAdd = function () {
    var div = L.DomUtil.create("div", "map-note");
    div.hidden = true;
    return div;
  };
  note.addTo(map);

  function get(layer) {
    return fetch(config.layers[layer] + "?" + query, {
      headers: { Accept: "application/geo+json" }, credentials: "same-origin"
    }).then(function (r) { return r.ok ? r.json() : { features: [] }; });
  }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value === null || value === undefined ? "" : String(value);
    return span.innerHTML;
  }

  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleString(document.documentElement.lang || "id", {
      day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit"
    });
  }

  function pointPopup(p, extra) {
    return '<a href="' + text(p.url) + '"><strong>' + text(p.title) + "</strong></a><br>" +
      text(when(p.when)) + (extra ? "<br>" + extra : "");
  }

  function villagePopup(p) {
    return "<strong>" + text(p.name) + "</strong>" +
      (p.risk !== null ? "<br>" + text(labels.risk) + ": " + text(p.risk) + " · " + text(p.level_label) : "") +
      "<br>" + text(p.sites) + " " + text(labels.sites) + " · " + text(p.visits) + " " + text(labels.visits_n) +
      "<br>" + text(p.concerns) + " " + text(labels.open) + " · " + text(p.incidents) + " " + text(labels.incidents_n);
  }

  function truncated(data) {
    if (!data.truncated) return;
    var div = note.getContainer();
    div.hidden = false;
    div.textContent = labels.truncated
      .replace("%(shown)s", data.features.length).replace("%(total)s", data.total);
  }

  var villages = L.layerGroup();
  var overlays = {};
  overlays[labels.villages] = villages;
  var lazy = {
    visits: function (data) {
      return L.geoJSON(data, {
        pointToLayer: function (f, ll) {
          return L.circleMarker(ll, { radius: 5, weight: 1, color: "#fff", fillOpacity: 0.9,
            fillColor: RESPONSE[f.properties.response] || RESPONSE[""] });
        },
        onEachFeature: function (f, l) { l.bindPopup(pointPopup(f.properties)); }
      });
    },
    concerns: function (data) {
      return L.geoJSON(data, {
        pointToLayer: function (f, ll) {
          return L.circleMarker(ll, { radius: 6, weight: 2, color: "#7a4e00", fillColor: "#ffd166", fillOpacity: 0.9 });
        },
        onEachFeature: function (f, l) { l.bindPopup(pointPopup(f.properties, text(f.properties.status_label))); }
      });
    },
    incidents: function (data) {
      return L.geoJSON(data, {
        pointToLayer: function (f, ll) {
          return L.circleMarker(ll, { radius: 8, weight: 2, color: "#fff", fillOpacity: 1,
            fillColor: SEVERITY[f.properties.severity] || "#b3261e" });
        },
        onEachFeature: function (f, l) { l.bindPopup(pointPopup(f.properties, text(f.properties.severity_label))); }
      });
    },
    heat: function (data) {
      return L.geoJSON(data, {
        style: function (f) {
          return { stroke: false, fillColor: "#b3261e", fillOpacity: 0.15 + 0.55 * f.properties.weight };
        },
        onEachFeature: function (f, l) { l.bindTooltip(String(f.properties.count)); }
      });
    }
  };
  var shown = { visits: true, incidents: true, concerns: false, heat: false };
  Object.keys(lazy).forEach(function (name) {
    var group = L.layerGroup();
    group.layerName = name;
    overlays[labels[name]] = group;
    if (shown[name]) group.addTo(map);
  });
  villages.addTo(map);
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);

  function fill(group) {
    if (group.loaded || !group.layerName) return;
    group.loaded = true;
    get(group.layerName).then(function (data) {
      truncated(data);
      group.addLayer(lazy[group.layerName](data));
    });
  }
  map.on("overlayadd", function (e) { fill(e.layer); });
  Object.keys(overlays).forEach(function (k) { if (map.hasLayer(overlays[k])) fill(overlays[k]); });

  // Villages: polygons where we ship them, matched by code; centroids elsewhere.
  var shapes = box.dataset.boundaries
    ? fetch(box.dataset.boundaries).then(function (r) { return r.ok ? r.json() : null; }).catch(function () { return null; })
    : Promise.resolve(null);
  Promise.all([get("villages"), shapes]).then(function (both) {
    var data = both[0], polygons = both[1];
    var byCode = {};
    data.features.forEach(function (f) { byCode[f.properties.code] = f; });
    var drawn = {};
    if (polygons) {
      var outline = L.geoJSON(polygons, {
        filter: function (f) { return f.properties.tingkat === 3 || byCode[f.properties.kode]; },
        style: function (f) {
          if (f.properties.tingkat === 3) return { color: "#0b3d91", weight: 2, fill: false };
          var p = byCode[f.properties.kode].properties;
          return { color: "#fff", weight: 1, fillColor: LEVEL[p.level] || LEVEL[""], fillOpacity: 0.45 };
        },
        onEachFeature: function (f, l) {
          var v = byCode[f.properties.kode];
          if (v) { drawn[f.properties.kode] = true; l.bindPopup(villagePopup(v.properties)); l.bindTooltip(v.properties.name); }
        }
      });
      villages.addLayer(outline);
    }
    var dots = L.geoJSON({ type: "FeatureCollection", features: data.features.filter(function (f) { return !drawn[f.properties.code]; }) }, {
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { radius: 9, weight: 1, color: "#fff", fillOpacity: 0.75,
          fillColor: LEVEL[f.properties.level] || LEVEL[""] });
      },
      onEachFeature: function (f, l) { l.bindPopup(villagePopup(f.properties)); l.bindTooltip(f.properties.name); }
    });
    villages.addLayer(dots);
    var bounds = L.latLngBounds([]);
    villages.eachLayer(function (l) { if (l.getBounds && l.getLayers().length) bounds.extend(l.getBounds()); });
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12], maxZoom: 13 });
    box.dataset.villages = String(data.features.length);
    box.dataset.polygons = String(Object.keys(drawn).length);
    box.dataset.ready = "1";
  });
})();
