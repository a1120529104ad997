/* Scanning pages: a keyboard-wedge scanner types a code and Enter into the focused field; a phone
   may scan with its camera (salamat/barcode.js: BarcodeDetector, else the vendored ZXing). Every code
   is kept exactly as received — GS (0x1D) separators included — and checked at once by the
   server (htmx). */
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
      return li;
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

  // The camera: codes read from the video go through addCode exactly as a scanner's would. A code
  // stays in view for many frames, so it is added once while seen; out of view for SEEN_MS and
  // back, it is added again (and flagged as scanned twice, like a second wedge scan).
  var SEEN_MS = 2500;

  function setUpCamera(form, addCode) {
    var button = form.querySelector("[data-camera]");
    var barcode = window.SalamatBarcode;
    if (!button || !barcode || !barcode.canUseCamera()) return;
    var dialog = form.querySelector("[data-camera-dialog]");
    var video = dialog.querySelector("[data-camera-video]");
    var status = dialog.querySelector("[data-camera-status]");
    var lastBox = dialog.querySelector("[data-camera-last]");
    var session = null, open = false, seen = {}, lastRow = null;
    button.hidden = false;

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("error", !!isError);
      status.setAttribute("role", isError ? "alert" : "status");
    }

    function showLast() {
      lastBox.innerHTML = "";
      if (!lastRow) { lastBox.hidden = true; return; }
      lastBox.hidden = false;
      lastBox.className = "camera-last " + (lastRow.classList.contains("ok") ? "ok" : lastRow.classList.contains("bad") || lastRow.classList.contains("dup") ? "bad" : "");
      lastBox.appendChild(lastRow.querySelector(".scan-code").cloneNode(true));
      var verdict = lastRow.querySelector(".scan-status");
      if (verdict) lastBox.appendChild(verdict.cloneNode(true));
    }

    function onCodes(found) {
      var now = Date.now();
      found.forEach(function (code) {
        var raw = code.rawValue;
        if (!raw) return;
        var before = seen[raw];
        seen[raw] = now;
        if (before && now - before < SEEN_MS) return; // still the same code in view
        lastRow = addCode(raw);
        showLast();
        if (navigator.vibrate) navigator.vibrate(60);
      });
    }

    function stop() {
      open = false;
      if (session) { session.stop(); session = null; }
      if (dialog.open) dialog.close();
    }

    button.addEventListener("click", function () {
      open = true; seen = {}; lastRow = null;
      showLast();
      video.hidden = false;
      say(form.dataset.cameraStarting);
      dialog.showModal();
      barcode.start(video, onCodes).then(function (started) {
        if (!open) { started.stop(); return; } // closed while starting
        session = started;
        dialog.dataset.detector = started.kind;
        say(form.dataset.cameraHint);
      }, function (error) {
        if (!open) return;
        video.hidden = true;
        say(barcode.failure(error) === "denied" ? form.dataset.cameraDenied : form.dataset.cameraUnavailable, true);
      });
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (lastRow && event.target.closest && event.target.closest("[data-row]") === lastRow) showLast();
    });
    dialog.querySelector("[data-camera-close]").addEventListener("click", stop);
    dialog.addEventListener("close", stop);
  }

  document.addEventListener("DOMContentLoaded", setUp);
})();
