/* The shipment inbox: a count saved on this device (scan.js keeps it) is said on its shipment. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-count-saved]").forEach(function (badge) {
      var draft = null;
      try { draft = JSON.parse(window.localStorage.getItem("salamat.scan:" + badge.dataset.countSaved)); } catch (e) { return; }
      var count = draft && draft.codes ? draft.codes.length : 0;
      if (!count) return;
      badge.textContent = badge.dataset.label.replace("{count}", count);
      badge.hidden = false;
    });
  });
})();
