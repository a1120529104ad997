/* Salamat — small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Copy buttons: <button data-copy-target="#id" data-copied-label="Copied">; hidden until JS runs.
  function setUpCopyButtons(root) {
    root.querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.hidden = false;
      if (button.dataset.copyReady) return;
      button.dataset.copyReady = "1";
      button.addEventListener("click", function () {
        var field = document.querySelector(button.dataset.copyTarget);
        if (!field) return;
        var done = function () {
          var original = button.textContent;
          button.textContent = button.dataset.copiedLabel || original;
          setTimeout(function () { button.textContent = original; }, 2000);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done);
        } else {
          field.select();
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  // Forms that ask before doing something irreversible: <form data-confirm="Really?">.
  // "{name}" in the message is replaced by what the form's field `name` holds now (a chosen
  // option's text, a date as dd.mm.yyyy), so a confirmation can say what exactly is signed.
  function filledIn(form, message) {
    return message.replace(/\{(\w+)\}/g, function (whole, name) {
      var field = form.elements[name];
      if (!field) return whole;
      if (field.tagName === "SELECT") return field.selectedIndex >= 0 ? field.options[field.selectedIndex].text : "";
      var value = field.value || "…";
      var iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      return iso ? iso[3] + "." + iso[2] + "." + iso[1] : value;
    });
  }
  document.addEventListener("submit", function (event) {
    // A button may ask for itself (<button data-confirm>): one form, several decisions.
    var submitter = event.submitter;
    var message = (submitter && submitter.dataset && submitter.dataset.confirm) ||
      (event.target.dataset && event.target.dataset.confirm);
    if (message && !window.confirm(filledIn(event.target, message))) event.preventDefault();
  });

  // Close open menus (<details data-menu>) on a click elsewhere or on Escape.
  function closeMenus(except) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest && event.target.closest("details[data-menu]"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeMenus(null);
  });

  document.addEventListener("DOMContentLoaded", function () { setUpCopyButtons(document); });
  document.addEventListener("htmx:afterSwap", function (event) { setUpCopyButtons(event.target); });
})();
