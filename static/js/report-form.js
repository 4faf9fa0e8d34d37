// Report form: suggest villages as the resident types, and take the phone's location.
(function () {
  "use strict";
  var input = document.querySelector("[data-village]");
  var list = document.getElementById("village-options");
  var timer = null;
  var places = {};
  var picker = mapPicker();
  if (input && list && window.fetch) {
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 3) return;
      timer = setTimeout(function () {
        fetch("/lapor/desa/?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            list.innerHTML = "";
            data.items.forEach(function (item) {
              var option = document.createElement("option");
              option.value = item.label;
              list.appendChild(option);
              places[item.label] = item;
            });
          })
          .catch(function () {});
      }, 250);
    });
    input.addEventListener("change", function () {
      var place = places[input.value];
      if (place && place.lat !== null && picker) picker.centre(place.lat, place.lng);
    });
  }
  var locate = document.getElementById("locate");
  var status = document.getElementById("locate-status");
  if (locate) {
    if (!("geolocation" in navigator)) { locate.hidden = true; return; }
    locate.addEventListener("click", function () {
      status.textContent = locate.dataset.busy;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          if (picker) picker.place(pos.coords.latitude, pos.coords.longitude, true);
          else setPoint(pos.coords.latitude, pos.coords.longitude);
          status.textContent = locate.dataset.done + " (±" + Math.round(pos.coords.accuracy) + " m)";
        },
        function () { status.textContent = locate.dataset.fail; },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
      );
    });
  }

  function setPoint(lat, lng) {
    document.getElementById("id_lat").value = lat === null ? "" : lat.toFixed(6);
    document.getElementById("id_lon").value = lng === null ? "" : lng.toFixed(6);
  }

  // A Leaflet map on our own boundary layer (no tiles unless configured): tap to set the point.
  function mapPicker() {
    var box = document.getElementById("map");
    if (!box || !window.L) return null;
    box.hidden = false;
    document.getElementById("map-help").hidden = false;
    var clear = document.getElementById("map-clear");
    var map = L.map(box, { attributionControl: !!box.dataset.tiles });
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
    }
    map.setView([parseFloat(box.dataset.lat), parseFloat(box.dataset.lng)], 10);
    fetch(box.dataset.boundaries)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (shapes) {
        if (!shapes) return;
        var layer = L.geoJSON(shapes, {
          style: function (f) {
            return f.properties.tingkat === 3
              ? { color: "#0b3d91", weight: 2, fill: false }
              : { color: "#5b6675", weight: 1, fillColor: "#dfe7f5", fillOpacity: 0.5 };
          },
          onEachFeature: function (f, l) { l.bindTooltip(f.properties.nama); }
        }).addTo(map);
        if (!marker) map.fitBounds(layer.getBounds());
      })
      .catch(function () {});
    var marker = null;
    function place(lat, lng, zoom) {
      if (!marker) {
        marker = L.marker([lat, lng], { draggable: true }).addTo(map);
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          setPoint(p.lat, p.lng);
        });
      } else {
        marker.setLatLng([lat, lng]);
      }
      setPoint(lat, lng);
      clear.hidden = false;
      if (zoom) map.setView([lat, lng], 15);
    }
    map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, false); });
    clear.addEventListener("click", function () {
      if (marker) map.removeLayer(marker);
      marker = null;
      setPoint(null, null);
      clear.hidden = true;
    });
    return {
      place: place,
      centre: function (lat, lng) { map.setView([lat, lng], 13); }
    };
  }
})();
