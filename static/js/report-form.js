// Report form: suggest villages as the resident types, and take the phone's location.
(function () {
  "use strict";
  var input = document.querySelector("[data-village]");
  var list = document.getElementById("village-options");
  var timer = null;
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
            });
          })
          .catch(function () {});
      }, 250);
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
          document.getElementById("id_lat").value = pos.coords.latitude.toFixed(6);
          document.getElementById("id_lon").value = pos.coords.longitude.toFixed(6);
          status.textContent = locate.dataset.done + " (±" + Math.round(pos.coords.accuracy) + " m)";
        },
        function () { status.textContent = locate.dataset.fail; },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
      );
    });
  }
})();
