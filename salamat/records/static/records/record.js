/* The record's pages: keyboard-first suggestion lists (ICD-10 codes, medicines) and printing.
   Every page works without this file; it only makes picking from the suggestions quick. */
(function () {
  "use strict";

  function options(input) {
    var box = document.getElementById(input.getAttribute("aria-controls"));
    return box ? Array.prototype.slice.call(box.querySelectorAll("[role=option]")) : [];
  }

  function close(input) {
    var box = document.getElementById(input.getAttribute("aria-controls"));
    if (box) box.innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function pick(input, option) {
    input.value = option.dataset.value;
    var field = input.closest(".rec-combo");
    var picked = field && field.querySelector("[data-picked]");
    if (picked) picked.textContent = option.dataset.title || "";
    if (input.dataset.productField) {
      var hidden = field.querySelector("input[name='" + input.dataset.productField + "']");
      if (hidden) hidden.value = option.dataset.product || "";
    }
    close(input);
  }

  function move(input, step) {
    var list = options(input);
    if (!list.length) return;
    var current = list.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    var next = (current + step + list.length) % list.length;
    list.forEach(function (o, i) { o.setAttribute("aria-selected", i === next ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", list[next].id);
    list[next].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-combo]")) return;
    var list = options(input);
    if (event.key === "ArrowDown") { event.preventDefault(); move(input, 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); move(input, -1); }
    else if (event.key === "Escape") { close(input); }
    else if (event.key === "Enter" && list.length) {
      // Enter picks the highlighted suggestion instead of submitting the form.
      event.preventDefault();
      pick(input, list.find(function (o) { return o.getAttribute("aria-selected") === "true"; }) || list[0]);
    }
  });

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.matches && input.matches("[data-combo]") && input.dataset.productField) {
      // Typed over a picked medicine: it is free text again until picked.
      var hidden = input.closest(".rec-combo").querySelector("input[name='" + input.dataset.productField + "']");
      if (hidden) hidden.value = "";
      var picked = input.closest(".rec-combo").querySelector("[data-picked]");
      if (picked) picked.textContent = "";
    }
  });

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest(".rec-suggest [role=option]");
    if (!option) return;
    event.preventDefault();
    var input = option.closest(".rec-combo").querySelector("[data-combo]");
    pick(input, option);
    input.focus();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var box = event.target;
    var input = box.id && document.querySelector("[aria-controls='" + box.id + "']");
    if (!input) return;
    var has = box.querySelector("[role=option]") !== null;
    input.setAttribute("aria-expanded", has ? "true" : "false");
    if (document.activeElement !== input) close(input);
  });

  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input.matches && input.matches("[data-combo]")) setTimeout(function () { close(input); }, 150);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });
})();
