/* Reading codes with the phone camera, shared by the scanning pages and the citizen check.

   The browser's BarcodeDetector is used where it reads DataMatrix (Chrome on Android, macOS);
   elsewhere (Safari on iPhone, Firefox, Chrome on Linux/Windows) the vendored zxing-wasm
   (zxing-cpp compiled to WebAssembly: any position and rotation, GS1 separators intact) decodes
   the frames. It weighs ~430 KB gzipped, so it is fetched only when a camera is opened in such a
   browser, never with the page, and only from this site: its two URLs come from this script's
   data-zxing (the .js) and data-zxing-wasm (the .wasm) attributes, {% static %} URLs that follow
   the hashed names in production.

   window.SalamatBarcode:
     canUseCamera()          -> whether the page may offer a camera button at all
     getDetector()           -> Promise of {kind: "native"|"zxing", detect(source)}; detect takes a
                                video, canvas, image or ImageBitmap and resolves to
                                [{rawValue, format}] like BarcodeDetector.detect
     start(video, onCodes)   -> opens the back camera into `video` and calls onCodes([...]) for
                                every frame where codes are seen; Promise of {kind, stop()}
     failure(error)          -> "denied" (camera permission refused) or "unavailable"

   Every rawValue is kept as the symbol holds it — the GS (0x1D) separators of a GS1 DataMatrix
   included, which the server's parser needs. The FNC1 that only marks a symbol as GS1 is not
   reported (some readers send it as a leading GS: dropped), as BarcodeDetector does. */
(function () {
  "use strict";

  var script = document.currentScript;
  var libraryUrl = script && script.getAttribute("data-zxing");
  var wasmUrl = script && script.getAttribute("data-zxing-wasm");
  var GS = String.fromCharCode(29);
  var FORMATS = ["data_matrix", "qr_code", "ean_13", "code_128"];
  var ZXING_FORMATS = { DataMatrix: "data_matrix", QRCode: "qr_code", EAN13: "ean_13", Code128: "code_128" };
  var MAX_SIDE = 1280; // frames are scaled down to this before zxing reads them
  var detectorPromise = null;
  var libraryPromise = null;

  function cleaned(raw, format) {
    if (format === "data_matrix" && raw.charAt(0) === GS) return raw.slice(1);
    return raw;
  }

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = url;
      tag.async = true;
      tag.onload = resolve;
      tag.onerror = function () { reject(new Error("could not load " + url)); };
      document.head.appendChild(tag);
    });
  }

  // The library and its WebAssembly, compiled and ready (so that a missing file shows at once).
  function loadLibrary() {
    if (!libraryPromise) {
      if (!libraryUrl || !wasmUrl) return Promise.reject(new Error("barcode.js needs data-zxing and data-zxing-wasm"));
      libraryPromise = (window.ZXingWASM ? Promise.resolve() : loadScript(libraryUrl)).then(function () {
        var zxing = window.ZXingWASM;
        if (!zxing) throw new Error("ZXingWASM did not load");
        return zxing.prepareZXingModule({
          overrides: {
            locateFile: function (path, prefix) { return /\.wasm$/.test(path) ? wasmUrl : prefix + path; },
          },
          fireImmediately: true,
        }).then(function () { return zxing; });
      });
      libraryPromise.catch(function () { libraryPromise = null; }); // a later tap may retry
    }
    return libraryPromise;
  }

  function nativeDetector() {
    var Native = window.BarcodeDetector;
    if (!Native || typeof Native.getSupportedFormats !== "function") return Promise.resolve(null);
    return Native.getSupportedFormats().then(function (supported) {
      if (supported.indexOf("data_matrix") === -1) return null; // GS1 DataMatrix is what packages carry
      var detector = new Native({ formats: FORMATS.filter(function (f) { return supported.indexOf(f) !== -1; }) });
      return {
        kind: "native",
        detect: function (source) {
          return detector.detect(source).then(function (found) {
            return found.map(function (code) { return { rawValue: cleaned(code.rawValue, code.format), format: code.format }; });
          });
        },
      };
    }).catch(function () { return null; });
  }

  function sizeOf(source) {
    return {
      width: source.videoWidth || source.naturalWidth || source.width || 0,
      height: source.videoHeight || source.naturalHeight || source.height || 0,
    };
  }

  function zxingDetector(zxing) {
    var options = {
      formats: Object.keys(ZXING_FORMATS),
      textMode: "Plain", // the symbol's own characters, GS separators included (not "(01)…" HRI)
      tryHarder: true,
      maxNumberOfSymbols: 4,
    };
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    return {
      kind: "zxing",
      detect: function (source) {
        var size = sizeOf(source);
        if (!size.width || !size.height) return Promise.resolve([]);
        var scale = Math.min(1, MAX_SIDE / Math.max(size.width, size.height));
        var w = Math.max(1, Math.round(size.width * scale)), h = Math.max(1, Math.round(size.height * scale));
        if (canvas.width !== w) canvas.width = w;
        if (canvas.height !== h) canvas.height = h;
        context.drawImage(source, 0, 0, w, h);
        return zxing.readBarcodes(context.getImageData(0, 0, w, h), options).then(function (results) {
          return results.filter(function (r) { return r.isValid && ZXING_FORMATS[r.format]; }).map(function (r) {
            var format = ZXING_FORMATS[r.format];
            return { rawValue: cleaned(r.text, format), format: format };
          });
        });
      },
    };
  }

  function getDetector() {
    if (!detectorPromise) {
      detectorPromise = nativeDetector().then(function (native) {
        return native || loadLibrary().then(zxingDetector);
      });
      detectorPromise.catch(function () { detectorPromise = null; });
    }
    return detectorPromise;
  }

  function stopStream(stream) {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
  }

  function openCamera(video) {
    return navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    }).then(function (stream) {
      video.setAttribute("playsinline", "");
      video.muted = true;
      video.srcObject = stream;
      return Promise.resolve(video.play()).then(function () { return stream; }, function (error) {
        stopStream(stream);
        throw error;
      });
    });
  }

  function start(video, onCodes) {
    var cameraPromise = openCamera(video);
    return Promise.all([getDetector(), cameraPromise]).then(function (both) {
      var detector = both[0], stream = both[1], running = true, timer = null;
      function tick() {
        timer = null;
        if (!running) return;
        var frame;
        try {
          frame = video.readyState >= 2 ? detector.detect(video) : Promise.resolve([]);
        } catch (e) {
          frame = Promise.resolve([]); // a frame that cannot be read yet: the next one may
        }
        function next() { if (running) timer = setTimeout(tick, detector.kind === "native" ? 200 : 100); }
        frame.then(function (found) {
          if (running && found.length) onCodes(found);
        }).then(next, next);
      }
      tick();
      return {
        kind: detector.kind,
        stop: function () {
          running = false;
          if (timer) clearTimeout(timer);
          stopStream(stream);
          video.srcObject = null;
        },
      };
    }, function (error) {
      cameraPromise.then(stopStream, function () {}); // the camera opened but the decoder did not load
      throw error;
    });
  }

  function failure(error) {
    var name = error && error.name;
    return name === "NotAllowedError" || name === "SecurityError" ? "denied" : "unavailable";
  }

  function canUseCamera() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  window.SalamatBarcode = { canUseCamera: canUseCamera, getDetector: getDetector, start: start, failure: failure };
})();
