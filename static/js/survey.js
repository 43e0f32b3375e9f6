/* Survey answering, progressive enhancement of the one long form the server renders (which works without this).

   - Pages the survey section by section, with "previous" / "next" buttons and "page n of m".
   - Asks the server which questions the answers so far hide (action=check; nothing is saved) and hides them; the
     server checks everything again when the answers arrive, so nothing here matters for what is accepted.
   - Keeps every answer in localStorage as it changes, per survey and household. When sending fails (no network,
     or navigator.onLine is false) the answers stay on the phone with a visible note, and are sent as soon as the
     network returns (the "online" event, a retry every 30 s, and at the next page load).
   Photos cannot be kept on the phone; they are sent only with an online save. */
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var note = document.getElementById("survey-offline");
  var storageKey = form.getAttribute("data-storage-key");
  var version = form.getAttribute("data-version");
  var endpoint = form.getAttribute("action");
  var pages = Array.prototype.slice.call(form.querySelectorAll("section.survey-page"));
  var current = 0;
  var hidden = {};
  var sending = false;
  var checkTimer = null;

  function msg(name) {
    return form.getAttribute("data-msg-" + name) || "";
  }

  function say(text, kind) {
    if (!note) {
      return;
    }
    note.textContent = text;
    note.hidden = !text;
    note.className = "offline-note" + (kind ? " " + kind : "");
  }

  // --- keeping answers on the phone ------------------------------------------------------------------------------

  function fields() {
    var pairs = [];
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || element.name === "csrf_token" || element.name === "action" || element.type === "file" ||
          element.disabled) {
        return;
      }
      if ((element.type === "checkbox" || element.type === "radio") && !element.checked) {
        return;
      }
      pairs.push([element.name, element.value]);
    });
    return pairs;
  }

  function load() {
    try {
      return JSON.parse(window.localStorage.getItem(storageKey) || "null");
    } catch (ignored) {
      return null;
    }
  }

  function store(pending, action) {
    try {
      window.localStorage.setItem(storageKey, JSON.stringify({
        version: version, pending: pending, action: action || "draft", pairs: fields(), at: Date.now()
      }));
    } catch (ignored) { /* private mode or full storage: the form still works online */ }
  }

  function forget() {
    try {
      window.localStorage.removeItem(storageKey);
    } catch (ignored) { /* nothing kept */ }
  }

  function restore(saved) {
    var byName = {};
    saved.pairs.forEach(function (pair) {
      (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]);
    });
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      var name = element.name;
      if (!name || name === "csrf_token" || name === "action" || element.type === "file") {
        return;
      }
      var values = byName[name] || [];
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = values.indexOf(element.value) !== -1;
      } else {
        var index = seen[name] || 0;   // rank places: several selects with one name, in order
        element.value = values[index] !== undefined ? values[index] : "";
        seen[name] = index + 1;
      }
    });
  }

  // --- talking to the server --------------------------------------------------------------------------------------

  function body(action, pairs) {
    var data = new FormData();
    data.append("csrf_token", form.elements.csrf_token.value);
    data.append("action", action);
    if (pairs) {
      pairs.forEach(function (pair) { data.append(pair[0], pair[1]); });
    } else {
      var full = new FormData(form);
      full.forEach(function (value, name) {
        if (name !== "csrf_token" && name !== "action") {
          data.append(name, value);
        }
      });
    }
    return data;
  }

  function post(data) {
    return fetch(endpoint, {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": form.elements.csrf_token.value}
    });
  }

  function showErrors(errors) {
    Array.prototype.forEach.call(form.querySelectorAll(".question"), function (box) {
      var name = box.getAttribute("data-name");
      var slot = box.querySelector("p.error");
      var text = errors && errors[name];
      box.classList.toggle("has-error", !!text);
      if (slot) {
        slot.textContent = text || "";
        slot.hidden = !text;
      }
    });
  }

  function applyHidden(names) {
    hidden = {};
    (names || []).forEach(function (name) { hidden[name] = true; });
    Array.prototype.forEach.call(form.querySelectorAll(".question"), function (box) {
      box.hidden = !!hidden[box.getAttribute("data-name")];
    });
    pages.forEach(function (page) {
      var boxes = page.querySelectorAll(".question");
      var shown = Array.prototype.some.call(boxes, function (box) { return !box.hidden; });
      page.setAttribute("data-empty", shown ? "false" : "true");
    });
    render();
  }

  function check() {
    if (navigator.onLine === false) {
      return Promise.resolve(null);
    }
    return post(body("check")).then(function (reply) {
      return reply.ok ? reply.json() : null;
    }).then(function (data) {
      if (data && data.hidden) {
        applyHidden(data.hidden);
      }
      return data;
    }).catch(function () { return null; });
  }

  function send(action, pairs) {
    if (sending) {
      return Promise.resolve(false);
    }
    if (navigator.onLine === false) {
      say(msg("offline"), "warn");
      return Promise.resolve(false);
    }
    sending = true;
    say(msg("sending"));
    return post(body(action, pairs)).then(function (reply) {
      return reply.json().catch(function () { return {ok: false}; }).then(function (data) {
        sending = false;
        if (reply.ok && data.ok) {
          forget();
          if (data.next) {
            window.location.assign(data.next);
          } else {
            version = String(data.version);
            form.setAttribute("data-version", version);
            showErrors({});
            if (data.hidden) {
              applyHidden(data.hidden);
            }
            say(data.message || msg("sent"), "ok");
          }
          return true;
        }
        // Errors have the application's one JSON shape: {"error": {"code", "message", "fields"}}.
        var refused = data.error || {};
        if (reply.status === 400 && refused.fields) {
          store(false, action);
          showErrors(refused.fields);
          if (data.hidden) {
            applyHidden(data.hidden);
          }
          goToFirstError();
          say(msg("fix"), "bad");
          return false;
        }
        // A closed survey, a lost session, an expired token: keep the answers and say so.
        say(refused.message || msg("reload"), "bad");
        return false;
      });
    }).catch(function () {
      sending = false;
      store(true, action);
      say(msg("offline"), "warn");
      return false;
    });
  }

  function flush() {
    var saved = load();
    if (saved && saved.pending && navigator.onLine !== false) {
      send(saved.action, saved.pairs);
    }
  }

  // --- paging ----------------------------------------------------------------------------------------------------

  var nav = document.createElement("div");
  nav.className = "survey-nav";
  var back = document.createElement("button");
  back.type = "button";
  back.className = "button";
  back.textContent = form.getAttribute("data-label-back");
  var next = document.createElement("button");
  next.type = "button";
  next.className = "button primary";
  next.textContent = form.getAttribute("data-label-next");
  var counter = document.createElement("p");
  counter.className = "survey-progress";
  counter.setAttribute("aria-live", "polite");
  nav.appendChild(back);
  nav.appendChild(next);
  var actions = form.querySelector(".survey-actions");
  form.insertBefore(counter, pages[0] || actions);
  form.insertBefore(nav, actions);

  function visiblePages() {
    return pages.filter(function (page) { return page.getAttribute("data-empty") !== "true"; });
  }

  function render() {
    var list = visiblePages();
    if (current >= list.length) {
      current = Math.max(0, list.length - 1);
    }
    pages.forEach(function (page) { page.hidden = page !== list[current]; });
    var last = current >= list.length - 1;
    back.hidden = current === 0;
    next.hidden = last;
    form.classList.toggle("on-last-page", last);
    counter.textContent = form.getAttribute("data-label-page")
      .replace("{n}", String(current + 1)).replace("{total}", String(list.length));
  }

  function go(index) {
    current = index;
    render();
    var heading = visiblePages()[current] && visiblePages()[current].querySelector("h2");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
    window.scrollTo(0, 0);
  }

  function goToFirstError() {
    var list = visiblePages();
    for (var i = 0; i < list.length; i += 1) {
      if (list[i].querySelector(".question.has-error")) {
        go(i);
        return;
      }
    }
  }

  back.addEventListener("click", function () { go(Math.max(0, current - 1)); });
  // Next page: a draft is saved on the server as the resident goes (kept on the phone if that fails); once
  // submitted, changes wait for "save my changes", and the server is only asked what to hide.
  next.addEventListener("click", function () {
    var step = function () { go(Math.min(visiblePages().length - 1, current + 1)); };
    if (form.getAttribute("data-submitted") === "true") {
      check().then(step);
      return;
    }
    store(true, "draft");
    send("draft").then(function (ok) {
      if (ok || !form.querySelector(".question.has-error")) {
        step();
      }
    });
  });

  function remember() {
    var saved = load();
    var offline = navigator.onLine === false;
    store(offline || (saved ? saved.pending : false), saved && saved.pending ? saved.action : "draft");
    if (offline) {
      say(msg("offline"), "warn");
    }
  }

  form.addEventListener("change", function () {
    remember();
    window.clearTimeout(checkTimer);
    checkTimer = window.setTimeout(check, 300);
  });
  form.addEventListener("input", remember);

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    var action = button && button.value ? button.value : "submit";
    if (form.querySelector("input[type=file]") && Array.prototype.some.call(
        form.querySelectorAll("input[type=file]"), function (input) { return input.files && input.files.length; })) {
      return;   // a photo goes with an ordinary form post
    }
    event.preventDefault();
    store(true, action);
    send(action);
  });

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () {
    var saved = load();
    if (saved && saved.pending) {
      say(msg("offline"), "warn");
    }
  });
  window.setInterval(flush, 30000);

  // At load: answers kept on this phone for the version the server shows are put back and sent.
  var saved = load();
  if (saved && saved.version === version && saved.pairs) {
    restore(saved);
    if (saved.pending) {
      say(msg("restored"), "warn");
      flush();
    }
  } else if (saved) {
    forget();   // the server has a newer version (saved elsewhere): it wins, the history keeps both
  }
  form.classList.add("paged");
  render();
  check();
}());
