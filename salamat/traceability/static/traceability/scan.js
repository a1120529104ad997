/* Scanning pages: a keyboard-wedge scanner types a code and Enter into the focused field; a phone
   may scan with its camera (salamat/barcode.js: BarcodeDetector, else the vendored ZXing). Every code
   is kept exactly as received — GS (0x1D) separators included — and checked at once by the
   server (htmx). The list lives on the device (localStorage) until the server has recorded it:
   a lost connection or a reload loses nothing, and a submission waiting for the connection is
   sent again by itself under the same Idempotency-Key, so it is recorded exactly once. */
(function () {
  "use strict";

  var GS = String.fromCharCode(29);

  function display(raw) { return raw.split(GS).join("\u2039GS\u203A"); } // GS shown as ‹GS›

  // Storage on the device: the list being scanned, its extra fields, and a submission still
  // waiting for the connection ({key, pairs}). One entry per page and user.
  function deviceStore(key) {
    return {
      load: function () { try { return JSON.parse(window.localStorage.getItem(key)) || {}; } catch (e) { return {}; } },
      save: function (data) { try { window.localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* full or off */ } },
      clear: function () { try { window.localStorage.removeItem(key); } catch (e) { /* off */ } }
    };
  }

  // A short low tone for a refused code, for people who scan without looking at the screen.
  var audio = null;
  function beep(form) {
    form.dataset.beeps = String((+form.dataset.beeps || 0) + 1);
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      audio = audio || new Context();
      var tone = audio.createOscillator(), gain = audio.createGain(), t = audio.currentTime;
      tone.type = "square";
      tone.frequency.setValueAtTime(440, t);
      tone.frequency.setValueAtTime(220, t + 0.12);
      gain.gain.setValueAtTime(0.12, t);
      tone.connect(gain); gain.connect(audio.destination);
      tone.start(t); tone.stop(t + 0.32);
    } catch (e) { /* no sound: the row still says it */ }
  }

  // Browsers let a page make sound only after a person's gesture: the first key (a scanner's
  // counts) or touch opens the audio, so the beep of a check answered later can sound.
  function openAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = audio || new Context();
      if (audio.state === "suspended") audio.resume();
    } catch (e) { /* no sound */ }
  }
  document.addEventListener("keydown", openAudio, { once: true });
  document.addEventListener("pointerdown", openAudio, { once: true });

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  }

  function setUp() {
    var form = document.getElementById("scan-form");
    if (!form) return;
    var input = form.querySelector("[data-scan-input]");
    var list = form.querySelector("[data-list]");
    var template = document.getElementById("scan-row-template");
    var countEl = form.querySelector("[data-count]");
    var badEl = form.querySelector("[data-bad]");
    var emptyEl = form.querySelector("[data-empty]");
    var syncEl = form.querySelector("[data-sync]");
    var submit = form.querySelector("[data-submit]");
    var refusalBox = document.querySelector("[data-refusal-box]");
    var progressEl = document.querySelector("[data-progress]");
    var saved = deviceStore("salamat.scan:" + form.dataset.storeKey);
    var pending = null, sending = false, attempt = 0, retryTimer = null;

    function codes() {
      return Array.prototype.map.call(list.querySelectorAll("input[name=codes]"), function (el) { return el.value; });
    }

    function fieldValues() {
      var out = {};
      form.querySelectorAll("#scan-extra [name]").forEach(function (el) { out[el.name] = el.value; });
      return out;
    }

    function persist() {
      var data = { codes: codes().reverse(), fields: fieldValues(), pending: pending };
      if (!data.codes.length && !pending) saved.clear(); else saved.save(data);
    }

    // The receiving page: "5 of 60 scanned" (a box counts for the packages in it), per product and batch too.
    function progress() {
      if (!progressEl) return;
      var total = 0, groups = {};
      list.querySelectorAll("[data-row].ok [data-ok]").forEach(function (status) {
        var units = +(status.dataset.units || 1);
        total += units;
        if (status.dataset.group) groups[status.dataset.group] = (groups[status.dataset.group] || 0) + units;
      });
      progressEl.querySelector("[data-scanned]").textContent = total;
      progressEl.classList.toggle("complete", total >= +form.dataset.expected);
      document.querySelectorAll("[data-expected-group]").forEach(function (cell) {
        cell.textContent = groups[cell.dataset.expectedGroup] || 0;
        cell.closest("tr").classList.toggle("complete", (groups[cell.dataset.expectedGroup] || 0) >= +cell.dataset.of);
      });
      return total;
    }

    function refresh() {
      var rows = list.querySelectorAll("[data-row]:not(.dup)");
      countEl.textContent = rows.length;
      badEl.textContent = list.querySelectorAll("[data-row].bad, [data-row].dup").length;
      emptyEl.hidden = list.children.length > 0;
      progress();
    }

    function markDuplicate(li) {
      li.querySelector("input[name=codes]").remove();
      li.classList.add("dup");
      var result = li.querySelector(".scan-result");
      result.removeAttribute("hx-post");
      result.removeAttribute("hx-trigger");
      result.innerHTML = "";
      var span = document.createElement("span");
      span.className = "scan-status bad";
      span.dataset.reason = "duplicate_code";
      span.textContent = "\u2717 " + form.dataset.dupLabel;
      result.appendChild(span);
    }

    function addCode(raw, quiet) {
      if (!raw) return;
      var li = template.content.firstElementChild.cloneNode(true);
      li.querySelector(".scan-code").textContent = display(raw);
      var result = li.querySelector(".scan-result");
      if (codes().indexOf(raw) !== -1) {
        markDuplicate(li); // a second scan of the same package: flagged, never sent twice
        if (!quiet) beep(form);
      } else {
        li.querySelector("input[name=codes]").value = raw;
        result.setAttribute("hx-post", form.dataset.checkUrl);
        result.setAttribute("hx-vals", JSON.stringify({ code: raw }));
      }
      list.insertBefore(li, list.firstChild);
      if (window.htmx) window.htmx.process(li);
      refresh();
      if (!quiet) persist();
      return li;
    }

    // --- sending: kept on the device until the server has answered --------------------------------

    function say(state, text) {
      syncEl.hidden = !state;
      syncEl.className = "scan-sync " + (state || "");
      syncEl.dataset.state = state || "";
      syncEl.textContent = text || "";
    }

    function lock(on) {
      form.classList.toggle("locked", on);
      submit.disabled = on;
      input.readOnly = on;
      list.querySelectorAll("[data-row]").forEach(function (row) { row.classList.toggle("waiting", on); });
      list.querySelectorAll("[data-remove]").forEach(function (b) { b.disabled = on; });
      if (refusalBox && on) refusalBox.innerHTML = "";
    }

    function csrf() {
      var field = form.querySelector("[name=csrfmiddlewaretoken]");
      return field ? field.value : "";
    }

    function send() {
      if (!pending || sending) return;
      sending = true;
      window.clearTimeout(retryTimer);
      attempt += 1;
      say("sending", form.dataset.sendingLabel);
      var body = new URLSearchParams();
      pending.pairs.forEach(function (pair) { body.append(pair[0], pair[1]); });
      body.append("idempotency_key", pending.key);
      body.append("csrfmiddlewaretoken", csrf()); // this page's token: a reload may have renewed it
      window.fetch(form.getAttribute("action") || window.location.pathname, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrf() }
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        // A proxy's error page or a login page is not an answer: the list waits and is sent again.
        if (type.indexOf("application/json") === -1 || response.status >= 500) {
          // A login page or a refused CSRF token means the session ended, not the connection.
          throw { session: response.status === 403 || response.redirected };
        }
        return response.json().then(function (answer) { answered(response.status, answer); });
      }).catch(function (problem) {
        sending = false;
        if (!pending) return;
        var label = problem && problem.session ? form.dataset.sessionLabel : form.dataset.waitingLabel;
        say("waiting", label.replace("{count}", codes().length));
        var delay = Math.min(30000, 2000 * Math.pow(2, Math.min(attempt - 1, 4)));
        retryTimer = window.setTimeout(send, delay);
      });
    }

    function answered(status, answer) {
      sending = false;
      if (answer.ok) {
        pending = null;
        saved.clear();
        say("done", form.dataset.doneLabel);
        window.location.assign(answer.redirect);
        return;
      }
      // Refused: nothing was recorded; the list stays to be fixed and sent again (a new key).
      pending = null;
      lock(false);
      say("", "");
      if (answer.extra_html) {
        // The extra fields with their errors; what the person typed stays as typed.
        var values = fieldValues(), holder = document.createElement("div");
        holder.innerHTML = answer.extra_html;
        var fresh = holder.querySelector("#scan-extra");
        if (fresh) {
          form.querySelector("#scan-extra").replaceWith(fresh);
          if (window.SalamatPicker) window.SalamatPicker.setUp(fresh);
          Object.keys(values).forEach(function (name) {
            var field = fresh.querySelector("[name='" + name + "']");
            if (field) field.value = values[name];
          });
        }
      }
      Object.keys(answer.rows || {}).forEach(function (code) {
        list.querySelectorAll("[data-row]").forEach(function (row) {
          var hidden = row.querySelector("input[name=codes]");
          if (!hidden || hidden.value !== code) return;
          row.querySelector(".scan-result").innerHTML = answer.rows[code];
          row.classList.remove("ok");
          row.classList.add("bad");
        });
      });
      if (refusalBox) {
        if (answer.refusal_html) {
          refusalBox.innerHTML = answer.refusal_html;
        } else {
          refusalBox.innerHTML = '<div class="form-errors" role="alert" data-refusal><strong></strong></div>';
          refusalBox.querySelector("strong").textContent = answer.message;
        }
      }
      refresh();
      persist();
      beep(form);
      input.focus();
    }

    function confirmed() {
      // Receiving: what is not scanned is reported missing to the regulator; ask first.
      if (!progressEl) return true;
      var missing = +form.dataset.expected - progress();
      return missing <= 0 || window.confirm(form.dataset.confirmMissing.replace("{missing}", missing));
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (pending) return;
      var drop = event.submitter && event.submitter.name === "drop_refused";
      if (drop) {
        list.querySelectorAll("[data-row].bad, [data-row].dup").forEach(function (row) { row.remove(); });
        refresh();
      }
      if (codes().length === 0) { input.focus(); return; }
      if (!confirmed()) return;
      var pairs = [];
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrfmiddlewaretoken" && name !== "idempotency_key") pairs.push([name, value]);
      });
      if (drop) pairs.push(["drop_refused", "1"]);
      pending = { key: newKey(), pairs: pairs };
      attempt = 0;
      persist();
      lock(true);
      send();
    });

    // --- scanning -------------------------------------------------------------------------------

    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      if (pending) return;
      var raw = input.value;
      input.value = "";
      addCode(raw);
    });

    // Extra fields (box code, batch…): Enter moves to the scan field instead of submitting.
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.closest("#scan-extra") && event.target.tagName === "INPUT") {
        event.preventDefault();
        input.focus();
      }
    });
    form.addEventListener("change", persist);

    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove]");
      if (!button || pending) return;
      button.closest("[data-row]").remove();
      refresh();
      persist();
      input.focus();
    });

    document.body.addEventListener("htmx:afterSwap", function (event) {
      var row = event.target.closest && event.target.closest("[data-row]");
      if (!row) return;
      var status = row.querySelector("[data-ok]");
      row.classList.remove("check-waiting");
      row.classList.toggle("ok", !!status && status.dataset.ok === "1");
      row.classList.toggle("bad", !!status && status.dataset.ok === "0");
      if (status && status.dataset.ok === "0") beep(form);
      refresh();
    });

    // A check that could not reach the server says so, and is asked again when the connection is back.
    document.body.addEventListener("htmx:sendError", function (event) {
      var result = event.target.closest && event.target.closest(".scan-result");
      if (!result) return;
      result.closest("[data-row]").classList.add("check-waiting");
      result.innerHTML = "";
      var span = document.createElement("span");
      span.className = "scan-status pending";
      span.textContent = "\u23F3 " + form.dataset.checkWaitingLabel;
      result.appendChild(span);
    });
    function recheck() {
      if (!window.htmx) return;
      list.querySelectorAll("[data-row].check-waiting .scan-result").forEach(function (result) {
        window.htmx.trigger(result, "recheck");
      });
    }
    window.addEventListener("online", function () { recheck(); if (pending) { attempt = 0; send(); } });
    window.setInterval(function () { if (navigator.onLine !== false) recheck(); }, 10000);

    // --- back from the device: the list, its fields, and a submission still to send ---------------

    var draft = saved.load();
    if (!list.children.length) {
      Object.keys(draft.fields || {}).forEach(function (name) {
        var field = form.querySelector("#scan-extra [name='" + name + "']");
        if (field && draft.fields[name] !== "") {
          field.value = draft.fields[name];
          if (field.tagName === "SELECT") field.dispatchEvent(new Event("change"));
        }
      });
      (draft.codes || []).forEach(function (raw) { addCode(raw, true); });
    }
    if (draft.pending && draft.pending.key) {
      pending = draft.pending;
      lock(true);
      send();
    }

    // Receiving: the count is kept on the device, so it can be left and finished later.
    var later = form.querySelector("[data-save-later]");
    if (later) later.hidden = false;

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
