// The language menu sends its form when a language is chosen (a file, not an onchange attribute:
// the Content-Security-Policy runs no inline script).
(function () {
  "use strict";
  var select = document.querySelector("select[data-submit-on-change]");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
})();
