// Camera scanning for /check: the browser's BarcodeDetector where present, else the vendored
// @zxing/library (loaded only when the citizen taps "Scan"). Without JavaScript, or without a
// camera, the page still works: type the code or send a photo.
(function () {
  "use strict";
  var script = document.currentScript;
  var fallback = script && script.getAttribute("data-fallback");
  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }
  ready(function () {
    var button = document.querySelector("[data-scan]");
    var box = document.querySelector("[data-scanner]");
    var form = document.querySelector("[data-code-form]");
    if (!button || !box || !form || !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) return;
    button.hidden = false;
    var video = box.querySelector("video"), stream = null, reader = null, running = false;
    function done(text) {
      stop();
      form.querySelector("input[name=code]").value = text;
      form.submit();
    }
    function stop() {
      running = false;
      if (reader) { try { reader.reset(); } catch (e) {} reader = null; }
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      box.hidden = true; button.hidden = false;
    }
    function withDetector() {
      var detector = new window.BarcodeDetector({ formats: ["data_matrix", "qr_code", "ean_13", "code_128"] });
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
        stream = s; video.srcObject = s; return video.play();
      }).then(function () {
        running = true;
        (function tick() {
          if (!running) return;
          detector.detect(video).then(function (codes) {
            if (codes.length) done(codes[0].rawValue); else setTimeout(tick, 200);
          }, function () { setTimeout(tick, 400); });
        })();
      });
    }
    function withLibrary() {
      return new Promise(function (resolve, reject) {
        if (window.ZXing) return resolve();
        var s = document.createElement("script"); s.src = fallback; s.onload = resolve; s.onerror = reject;
        document.head.appendChild(s);
      }).then(function () {
        reader = new window.ZXing.BrowserMultiFormatReader();
        running = true;
        return reader.decodeFromVideoDevice(null, video, function (result) {
          if (result && running) done(result.getText());
        });
      });
    }
    button.addEventListener("click", function () {
      button.hidden = true; box.hidden = false;
      var start = ("BarcodeDetector" in window) ? withDetector() : withLibrary();
      start.catch(function () { stop(); });
    });
    box.querySelector("[data-scan-stop]").addEventListener("click", stop);
  });
})();
