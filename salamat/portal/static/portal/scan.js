// Camera scanning for /check through salamat/barcode.js (the browser's BarcodeDetector where it
// reads DataMatrix, else the vendored zxing-wasm, fetched only when the citizen taps "Scan").
// The first code read is checked like a typed one. Without JavaScript, or without a camera, the
// page still works: type the code or send a photo.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }
  ready(function () {
    var barcode = window.SalamatBarcode;
    var button = document.querySelector("[data-scan]");
    var box = document.querySelector("[data-scanner]");
    var form = document.querySelector("[data-code-form]");
    if (!barcode || !button || !box || !form || !barcode.canUseCamera()) return;
    var video = box.querySelector("video");
    var status = box.querySelector("[data-scan-status]");
    var stopButton = box.querySelector("[data-scan-stop]");
    var session = null, open = false;
    button.hidden = false;

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("error", !!isError);
      status.setAttribute("role", isError ? "alert" : "status");
    }
    function release() {
      open = false;
      if (session) { session.stop(); session = null; }
    }
    function stop() {
      release();
      box.hidden = true; button.hidden = false;
    }
    function done(text) {
      release(); // the box stays, saying the code is being checked, while the page loads
      video.hidden = true; stopButton.hidden = true;
      say(box.dataset.checking);
      form.querySelector("input[name=code]").value = text;
      form.submit();
    }
    button.addEventListener("click", function () {
      open = true;
      button.hidden = true; box.hidden = false; video.hidden = false; stopButton.hidden = false;
      say(box.dataset.starting);
      barcode.start(video, function (found) {
        if (open && found[0].rawValue) done(found[0].rawValue);
      }).then(function (started) {
        if (!open) { started.stop(); return; } // stopped while starting
        session = started;
        box.dataset.detector = started.kind;
        say(box.dataset.hint);
      }, function (error) {
        if (!open) return;
        open = false;
        // Nothing to stop: the message stays, and the scan button to try again.
        video.hidden = true; stopButton.hidden = true; button.hidden = false;
        say(barcode.failure(error) === "denied" ? box.dataset.denied : box.dataset.unavailable, true);
      });
    });
    stopButton.addEventListener("click", stop);
  });
})();
