/* Kapstone dosing room: nothing typed is lost when the tablet drops its connection.
 *
 * - Every entry form carries an idempotency key; the server stores an entry once per key, so a retry
 *   never duplicates it.
 * - A form marked data-queue whose POST fails for want of a connection (or a 5xx) is queued in
 *   localStorage with its key and listed under "Entries on this tablet" as NOT SAVED YET; the queue is
 *   retried every 10 s and when the browser comes back online. Each entry then shows "saved", or
 *   "NOT saved: refused" with the server's reason (it is put back into its form to fix).
 * - Forms marked data-draft keep what is typed in localStorage until it is saved, and restore it
 *   after a reload.
 * - 422 (refused, field named) and 409 (stale) answers are swapped in like any other, so the errors
 *   and the typed values show.
 * - An answer adds only its new timeline rows on top of the list; the list is kept newest first.
 * No inline script or style anywhere (CSP): this file is loaded with <script src defer>.
 */
(function () {
  "use strict";
  var room = document.getElementById("dosing-room");
  if (!room) return;
  var scope = room.getAttribute("data-scope") || "dosing";
  var boardUrl = room.getAttribute("data-board-url");
  var QUEUE = "kapstone-queue-" + scope;
  var DRAFT = "kapstone-draft-";
  var store = window.localStorage;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }
  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }
  function load(name, fallback) {
    try {
      var raw = store.getItem(name);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }
  function save(name, value) {
    try {
      store.setItem(name, JSON.stringify(value));
    } catch (e) {
      /* storage full or disabled: the entry state line says so below */
    }
  }
  function pairs(form) {
    var out = [];
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrfmiddlewaretoken") out.push([key, String(value)]);
    });
    return out;
  }
  function clock(date) {
    return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
  }
  function summary(entry) {
    var shown = entry.fields
      .filter(function (p) { return p[1] && p[0] !== "idempotency_key" && p[0] !== "version"; })
      .map(function (p) { return p[0] + " " + p[1]; });
    return shown.join(", ");
  }

  /* --- the list of entries on this tablet -------------------------------------------------- */
  var pending = document.getElementById("pending");
  var list = document.getElementById("pending-list");
  var states = {}; // key -> {entry, state, detail}

  function render() {
    if (!pending || !list) return;
    var keys = Object.keys(states);
    pending.hidden = keys.length === 0;
    list.textContent = "";
    keys.forEach(function (key) {
      var s = states[key];
      var li = document.createElement("li");
      li.className = "pending-" + s.state;
      li.setAttribute("data-key", key);
      var label = s.state === "queued" ? "NOT SAVED YET (will retry)" :
                  s.state === "saved" ? "saved" : "NOT saved: " + (s.detail || "refused");
      li.textContent = s.entry.label + " typed " + s.entry.typed + " (" + summary(s.entry) + "): " + label;
      list.appendChild(li);
    });
  }
  load(QUEUE, []).forEach(function (entry) { states[entry.key] = { entry: entry, state: "queued" }; });
  render();

  function queued() {
    return Object.keys(states).filter(function (k) { return states[k].state === "queued"; })
      .map(function (k) { return states[k].entry; });
  }
  function persist() { save(QUEUE, queued()); }

  function enqueue(form) {
    var fields = pairs(form);
    var key = (fields.filter(function (p) { return p[0] === "idempotency_key"; })[0] || [])[1] || newKey();
    var entry = {
      key: key, url: form.getAttribute("action"), fields: fields, form: form.id,
      label: form.getAttribute("data-queue") || "Entry", typed: clock(new Date()),
    };
    states[key] = { entry: entry, state: "queued" };
    persist();
    render();
    // The form is free for the next entry (the queued one keeps its own key).
    form.reset();
    var keyInput = form.querySelector("input[name=idempotency_key]");
    if (keyInput) keyInput.value = newKey();
    clearDraft(form);
    setState(form, "Not saved yet: no connection. Kept on this tablet and retried automatically.", "queued");
  }

  function refreshBoard() {
    if (boardUrl && window.htmx) window.htmx.ajax("GET", boardUrl, { swap: "none", source: room });
  }

  var flushing = false;
  function flush() {
    if (flushing) return;
    var entries = queued();
    if (!entries.length) return;
    flushing = true;
    var chain = Promise.resolve();
    var any = false;
    entries.forEach(function (entry) {
      chain = chain.then(function () {
        var body = new URLSearchParams();
        entry.fields.forEach(function (p) { body.append(p[0], p[1]); });
        body.append("csrfmiddlewaretoken", csrfToken());
        return fetch(entry.url, {
          method: "POST", body: body, credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true", "X-Kapstone-Retry": "1" },
        }).then(function (response) {
          var signedOut = response.redirected || response.status === 401 || response.status === 403 ||
            response.headers.get("HX-Redirect");
          if (signedOut) {
            states[entry.key].detail = "sign in again to send it";
            return; // still queued
          }
          if (response.status === 200) {
            states[entry.key].state = "saved";
            any = true;
            return;
          }
          if (response.status === 422 || response.status === 409 || response.status === 404) {
            return response.text().then(function (html) {
              states[entry.key].state = "refused";
              states[entry.key].detail = reason(html) || "refused by the server";
              restore(entry);
            });
          }
          // 5xx: keep it queued
        }).catch(function () { /* still offline */ });
      });
    });
    chain.then(function () {
      flushing = false;
      persist();
      render();
      if (any) refreshBoard();
    });
  }

  function reason(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var errors = doc.querySelectorAll(".errorlist li, .form-errors p");
    return Array.prototype.map.call(errors, function (e) { return e.textContent.trim(); })
      .filter(Boolean).slice(0, 3).join("; ");
  }

  function restore(entry) {
    var form = document.getElementById(entry.form);
    if (!form) return;
    fill(form, entry.fields);
    setState(form, "This entry was refused when it was sent: check it and save again.", "refused");
  }

  /* --- drafts: what is typed survives a reload --------------------------------------------- */
  function draftName(form) { return DRAFT + form.getAttribute("data-draft"); }
  function clearDraft(form) { if (form.hasAttribute("data-draft")) store.removeItem(draftName(form)); }
  function fill(form, fields) {
    var seen = {};
    fields.forEach(function (p) {
      var inputs = form.querySelectorAll("[name='" + p[0] + "']");
      Array.prototype.forEach.call(inputs, function (input) {
        if (input.type === "checkbox" || input.type === "radio") {
          if (!seen[p[0]]) { input.checked = false; }
          if (input.value === p[1]) input.checked = true;
        } else if (input.type !== "hidden" || p[0] === "idempotency_key") {
          input.value = p[1];
        }
      });
      seen[p[0]] = true;
    });
  }
  function hasTyped(form) {
    return Array.prototype.some.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit") return false;
      if (el.type === "checkbox" || el.type === "radio") return el.checked && !el.defaultChecked;
      return el.value && el.value !== el.defaultValue;
    });
  }
  function watch(form) {
    if (!form.hasAttribute("data-draft") || form.getAttribute("data-watched")) return;
    form.setAttribute("data-watched", "1");
    var draft = load(draftName(form), null);
    if (draft && !form.querySelector(".errorlist, .form-errors") && !hasTyped(form)) {
      fill(form, draft.filter(function (p) { return p[0] !== "idempotency_key"; }));
      setState(form, "Restored what was typed here before the page reloaded: not saved yet.", "queued");
    }
    form.addEventListener("input", function () {
      if (hasTyped(form)) save(draftName(form), pairs(form));
      else clearDraft(form);
    });
  }
  function setState(form, text, kind) {
    var line = form.querySelector("[data-entry-state]");
    if (!line) return;
    line.textContent = text;
    line.className = "entry-state entry-" + kind;
  }
  function watchAll(root) {
    Array.prototype.forEach.call(root.querySelectorAll("form[data-draft]"), watch);
  }

  /* --- htmx hooks -------------------------------------------------------------------------- */
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var source = (event.detail.requestConfig && event.detail.requestConfig.elt) || event.detail.elt;
    if (status === 200 && source && source.tagName === "FORM") clearDraft(source);
    if (status === 422 || status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  function failed(event) {
    var form = event.detail.elt;
    if (form && form.tagName === "FORM" && form.hasAttribute("data-queue")) {
      enqueue(form);
    } else if (form && form.tagName === "FORM") {
      setState(form, "Not saved: no connection. What you typed is still here; try again.", "refused");
    }
  }
  document.body.addEventListener("htmx:sendError", failed);
  document.body.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status >= 500) failed(event);
  });
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.tagName === "FORM") setState(form, "Saving…", "saving");
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.tagName === "FORM" && event.detail.xhr && event.detail.xhr.status === 200) {
      clearDraft(form);
    }
  });
  /* --- the timeline: an answer adds its new rows on top; keep the list newest first ----------- */
  function when(row) {
    var time = row.querySelector("time[datetime]");
    return time ? Date.parse(time.getAttribute("datetime")) : NaN;
  }
  function orderTimeline() {
    var list = document.getElementById("timeline-list");
    if (!list) return;
    var rows = Array.prototype.slice.call(list.children);
    var dated = rows.filter(function (row) { return !isNaN(when(row)); });
    if (!dated.length) return;
    rows.forEach(function (row) { if (isNaN(when(row))) list.removeChild(row); }); // "Nothing recorded yet"
    var sorted = dated.map(function (row, i) { return { row: row, i: i, at: when(row) }; })
      .sort(function (a, b) { return b.at - a.at || a.i - b.i; });
    sorted.forEach(function (s) { list.appendChild(s.row); });
  }

  document.body.addEventListener("htmx:afterSwap", function () { watchAll(document); });
  document.body.addEventListener("htmx:oobAfterSwap", function () { watchAll(document); orderTimeline(); });

  // Drafts of this session's forms that are no longer on the page (e.g. the pre-dose checklist once
  // the session started) are not kept on the tablet.
  var suffix = "-" + scope.replace(/^dosing-/, "");
  Object.keys(store).forEach(function (name) {
    if (name.indexOf(DRAFT) !== 0 || name.slice(-suffix.length) !== suffix) return;
    var draft = name.slice(DRAFT.length);
    if (!document.querySelector("form[data-draft='" + draft + "']")) store.removeItem(name);
  });

  window.addEventListener("online", flush);
  window.addEventListener("beforeunload", function (event) {
    if (queued().length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  window.setInterval(flush, 10000);
  watchAll(document);
  flush();
})();
