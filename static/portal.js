// Recovery Planner portal: the few behaviours plain HTML lacks. htmx does the rest.
// No inline scripts or styles anywhere (the Content-Security-Policy refuses them): what a
// template cannot say in HTML and portal.css is done here.
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
    // A field whose change alters what the app form may offer: the form re-renders (htmx
    // listens for "refresh" on it; an event filter in hx-trigger would need eval).
    if (box.matches && box.matches("[data-refresh]") && window.htmx) {
      var owner = box.closest("[hx-trigger=refresh]");
      if (owner) { window.htmx.trigger(owner, "refresh"); }
    }
  });
  // "Go back" links (a javascript: URL would be refused by the Content-Security-Policy).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
  // htmx sends Django's CSRF token with every request it makes.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("meta[name=csrf-token]");
    if (token) { event.detail.headers["X-CSRFToken"] = token.getAttribute("content"); }
  });
  // Progress bars: data-width="37" is 37 % wide (a style attribute would be inline style).
  function widths(root) {
    if (!root || !root.querySelectorAll) { return; }
    var bars = Array.prototype.slice.call(root.querySelectorAll("[data-width]"));
    if (root.matches && root.matches("[data-width]")) { bars.push(root); }
    bars.forEach(function (bar) {
      var value = parseFloat(bar.getAttribute("data-width"));
      if (isFinite(value)) { bar.style.width = Math.max(0, Math.min(100, value)) + "%"; }
    });
  }
  // Set before the first paint of new content (htmx swaps), so the bar does not grow from 0.
  new MutationObserver(function (records) {
    records.forEach(function (record) { record.addedNodes.forEach(widths); });
  }).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", function () { widths(document); });
})();
