// Recovery Planner portal: the few behaviours plain HTML lacks. htmx does the rest.
(function () {
  "use strict";
  // "Select all" checkbox in a table header selects the row checkboxes of the same name.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("input[data-select-all]")) {
      var name = box.getAttribute("data-select-all");
      var form = box.closest("form") || document;
      form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (b) {
        b.checked = box.checked;
      });
    }
  });
  // htmx sends Django's CSRF token with every request it makes.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("meta[name=csrf-token]");
    if (token) { event.detail.headers["X-CSRFToken"] = token.getAttribute("content"); }
  });
})();
