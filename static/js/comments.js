// Reply buttons: set the parent and say whom the reader answers.
(function () {
  "use strict";
  var parent = document.getElementById("id_parent");
  var note = document.getElementById("replying");
  if (!parent || !note) return;
  document.querySelectorAll("button.reply").forEach(function (button) {
    button.addEventListener("click", function () {
      parent.value = button.dataset.parent;
      document.getElementById("replying-name").textContent = button.dataset.name;
      note.hidden = false;
      document.getElementById("id_body").focus();
    });
  });
  document.getElementById("cancel-reply").addEventListener("click", function () {
    parent.value = "";
    note.hidden = true;
  });
})();
