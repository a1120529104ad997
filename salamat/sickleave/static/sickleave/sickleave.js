/* Sick-leave forms: show the fields a choice needs (family care, hospital stay). Works without it. */
(function () {
  "use strict";
  function update(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (block) {
      var rule = block.dataset.showWhen.split("=");
      var field = form.querySelector('[name="' + rule[0] + '"]');
      block.hidden = !!field && field.value !== rule[1];
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-show-when]")) return;
      update(form);
      form.addEventListener("change", function () { update(form); });
    });
  });
})();
