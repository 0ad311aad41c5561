// Keyboard screening: I include, E exclude (with the chosen reason), M maybe, U undo.
(function () {
  "use strict";
  var form = document.getElementById("decide-form");
  var undo = document.getElementById("undo-form");
  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) { return; }
    var key = event.key.toLowerCase();
    var decision = { i: "include", e: "exclude", m: "maybe" }[key];
    if (decision && form) {
      event.preventDefault();
      var button = form.querySelector('button[value="' + decision + '"]');
      if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
    } else if (key === "u" && undo) {
      event.preventDefault();
      undo.submit();
    }
  });
}());
