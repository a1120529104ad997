/* Searchable pickers: a <select data-picker> gets a search field above it. Typing lists the
   matching options with what tells them apart (data-detail: a participant's type and address, a
   product's INN and form); choosing one sets the <select>, which stays the form's field (and the
   whole picker without this script). */
(function () {
  "use strict";

  var MAX_SHOWN = 8;

  function fold(text) { return (text || "").toLocaleLowerCase(); }

  function setUpOne(select) {
    if (select.dataset.pickerReady) return;
    select.dataset.pickerReady = "1";
    var id = select.id || ("picker-" + Math.random().toString(36).slice(2));
    var label = document.querySelector("label[for='" + select.id + "']");
    if (label && !label.id) label.id = id + "-label";
    var box = document.createElement("div");
    box.className = "picker";
    var input = document.createElement("input");
    input.type = "search";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.placeholder = select.dataset.pickerPlaceholder || "";
    // Named by its own hint, so the <select> alone answers to the field's label.
    input.setAttribute("aria-label", input.placeholder);
    if (label) input.setAttribute("aria-describedby", label.id || "");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-results");
    input.dataset.pickerSearch = "1";
    var list = document.createElement("ul");
    list.className = "picker-results";
    list.id = id + "-results";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var detail = document.createElement("small");
    detail.className = "picker-detail muted";
    box.appendChild(input);
    box.appendChild(list);
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(detail, select.nextSibling);
    var shown = [], active = -1;

    function showDetail() {
      var option = select.options[select.selectedIndex];
      detail.textContent = option && option.dataset.detail ? option.dataset.detail : "";
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      active = -1;
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
    }

    function choose(option) {
      select.value = option.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      input.value = "";
      close();
      showDetail();
      select.focus();
    }

    function search() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      list.innerHTML = "";
      shown = [];
      if (!words.length) { close(); return; }
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value || shown.length >= MAX_SHOWN) return;
        var text = fold(option.textContent + " " + (option.dataset.detail || ""));
        if (words.every(function (w) { return text.indexOf(w) !== -1; })) shown.push(option);
      });
      shown.forEach(function (option) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        var name = document.createElement("strong");
        name.textContent = option.textContent;
        li.appendChild(name);
        if (option.dataset.detail) {
          var sub = document.createElement("span");
          sub.textContent = option.dataset.detail;
          li.appendChild(sub);
        }
        li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(option); });
        list.appendChild(li);
      });
      if (!shown.length) {
        var none = document.createElement("li");
        none.className = "picker-none";
        none.textContent = select.dataset.pickerNone || "—";
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(shown.length ? 0 : -1);
    }

    input.addEventListener("input", search);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!shown.length) return;
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + shown.length) % shown.length);
      } else if (event.key === "Enter") {
        event.preventDefault();
        event.stopPropagation(); // not the form's: Enter here chooses
        if (active >= 0 && shown[active]) choose(shown[active]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
    select.addEventListener("change", showDetail);
    showDetail();
  }

  function setUp(root) {
    (root || document).querySelectorAll("select[data-picker]").forEach(setUpOne);
  }

  window.SalamatPicker = { setUp: setUp };
  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
})();
