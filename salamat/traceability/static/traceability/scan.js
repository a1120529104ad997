/* Scanning pages: a keyboard-wedge scanner types a code and Enter into the focused field; a phone
   may scan with its camera (BarcodeDetector, where the browser has it). Every code is kept exactly
   as received — GS (0x1D) separators included — and checked at once by the server (htmx). */
(function () {
  "use strict";

  var GS = String.fromCharCode(29);

  function display(raw) { return raw.split(GS).join("\u2039GS\u203A"); } // GS shown as ‹GS›

  function setUp() {
    var form = document.getElementById("scan-form");
    if (!form) return;
    var input = form.querySelector("[data-scan-input]");
    var list = form.querySelector("[data-list]");
    var template = document.getElementById("scan-row-template");
    var countEl = form.querySelector("[data-count]");
    var badEl = form.querySelector("[data-bad]");
    var emptyEl = form.querySelector("[data-empty]");

    function codes() {
      return Array.prototype.map.call(list.querySelectorAll("input[name=codes]"), function (el) { return el.value; });
    }

    function refresh() {
      var rows = list.querySelectorAll("[data-row]:not(.dup)");
      countEl.textContent = rows.length;
      badEl.textContent = list.querySelectorAll("[data-row].bad, [data-row].dup").length;
      emptyEl.hidden = list.children.length > 0;
    }

    function addCode(raw) {
      if (!raw) return;
      var li = template.content.firstElementChild.cloneNode(true);
      li.querySelector(".scan-code").textContent = display(raw);
      var hidden = li.querySelector("input[name=codes]");
      var result = li.querySelector(".scan-result");
      if (codes().indexOf(raw) !== -1) {
        // A second scan of the same package: flagged, never sent twice.
        hidden.remove();
        li.classList.add("dup");
        result.removeAttribute("hx-post");
        result.removeAttribute("hx-trigger");
        result.innerHTML = "";
        var span = document.createElement("span");
        span.className = "scan-status bad";
        span.dataset.reason = "duplicate_code";
        span.textContent = "\u2717 " + form.dataset.dupLabel;
        result.appendChild(span);
      } else {
        hidden.value = raw;
        result.setAttribute("hx-post", form.dataset.checkUrl);
        result.setAttribute("hx-vals", JSON.stringify({ code: raw }));
      }
      list.insertBefore(li, list.firstChild);
      if (window.htmx) window.htmx.process(li);
      refresh();
    }

    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      var raw = input.value;
      input.value = "";
      addCode(raw);
    });

    // Extra fields (box code, batch…): Enter moves to the scan field instead of submitting.
    form.querySelectorAll("#scan-extra input").forEach(function (field) {
      field.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); input.focus(); }
      });
    });

    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove]");
      if (!button) return;
      button.closest("[data-row]").remove();
      refresh();
      input.focus();
    });

    document.body.addEventListener("htmx:afterSwap", function (event) {
      var row = event.target.closest && event.target.closest("[data-row]");
      if (!row) return;
      var status = row.querySelector("[data-ok]");
      row.classList.toggle("ok", !!status && status.dataset.ok === "1");
      row.classList.toggle("bad", !!status && status.dataset.ok === "0");
      refresh();
    });

    form.addEventListener("submit", function (event) {
      if (codes().length === 0) { event.preventDefault(); input.focus(); }
    });

    setUpCamera(form, addCode);
    refresh();
  }

  function setUpCamera(form, addCode) {
    var button = form.querySelector("[data-camera]");
    if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
    var dialog = form.querySelector("[data-camera-dialog]");
    var video = form.querySelector("[data-camera-video]");
    var stream = null, timer = null, last = "", lastAt = 0;
    button.hidden = false;

    function stop() {
      if (timer) clearInterval(timer);
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null; timer = null;
      if (dialog.open) dialog.close();
    }

    button.addEventListener("click", function () {
      window.BarcodeDetector.getSupportedFormats().then(function (supported) {
        var wanted = ["data_matrix", "qr_code", "code_128", "ean_13"].filter(function (f) { return supported.indexOf(f) !== -1; });
        var detector = new window.BarcodeDetector({ formats: wanted });
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
          stream = s;
          video.srcObject = s;
          dialog.showModal();
          return video.play().then(function () {
            timer = setInterval(function () {
              detector.detect(video).then(function (found) {
                found.forEach(function (code) {
                  var now = Date.now();
                  if (code.rawValue === last && now - lastAt < 2500) return; // the same code still in view
                  last = code.rawValue; lastAt = now;
                  addCode(code.rawValue);
                  if (navigator.vibrate) navigator.vibrate(60);
                });
              });
            }, 300);
          });
        });
      }).catch(function () { stop(); });
    });
    form.querySelector("[data-camera-close]").addEventListener("click", stop);
    dialog.addEventListener("close", stop);
  }

  document.addEventListener("DOMContentLoaded", setUp);
})();
