// Visit form: take the phone's location, add participant and concern rows.
(function () {
  "use strict";
  var locate = document.getElementById("locate");
  var status = document.getElementById("locate-status");
  if (locate) {
    if (!("geolocation" in navigator)) locate.hidden = true;
    locate.addEventListener("click", function () {
      status.textContent = locate.dataset.busy;
      locate.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          document.getElementById("id_lat").value = pos.coords.latitude.toFixed(6);
          document.getElementById("id_lon").value = pos.coords.longitude.toFixed(6);
          status.textContent = locate.dataset.done + " (±" + Math.round(pos.coords.accuracy) + " m)";
          locate.disabled = false;
        },
        function () {
          status.textContent = locate.dataset.fail;
          locate.disabled = false;
        },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
      );
    });
  }
  document.querySelectorAll("[data-add]").forEach(function (button) {
    button.addEventListener("click", function () {
      var prefix = button.dataset.prefix;
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var index = parseInt(total.value, 10);
      var html = document.getElementById(button.dataset.template).innerHTML.replace(/__prefix__/g, index);
      var holder = document.getElementById(button.dataset.add);
      holder.insertAdjacentHTML("beforeend", html);
      total.value = index + 1;
      var first = holder.lastElementChild.querySelector("input, select, textarea");
      if (first) first.focus();
    });
  });
})();
