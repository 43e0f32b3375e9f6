/* Survey answering, progressive enhancement of the paged form the server renders (which works without this: there
   every "next page" is a post that saves a draft and shows the next page).

   - Pages the form on the phone (the pages the server cut: sections, the item block's categories), with "previous"
     / "next", "page n of m", a progress bar and the list of pages to jump to.
   - Tap-to-rank: the priorities question offers only the items marked 需要 on earlier pages; taps number them
     1, 2, 3 … and a second tap takes one out. The order goes in hidden fields named as the selects were.
   - "Rows not answered yet: X" answers a grid's empty rows on the phone.
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
          element.disabled || element.tagName === "BUTTON") {
        return;   // buttons (page steps, "rows not answered yet") are actions, not answers
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
    ranks.forEach(function (rank) { rank.set(byName[rank.name] || []); });
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      var name = element.name;
      if (!name || name === "csrf_token" || name === "action" || name === "page" || element.type === "file" ||
          element.type === "hidden" || element.tagName === "BUTTON") {
        return;   // hidden fields: the ranks, set above
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
    refreshEmpty();
  }

  // The simple conditions (${need_I02} = 'need') are followed on the phone at once, offline too; the server's
  // answer to "check" follows and wins.
  function followSimpleConditions() {
    Array.prototype.forEach.call(form.querySelectorAll(".question[data-if-name]"), function (box) {
      var picked = form.querySelector('input[name="' + box.getAttribute("data-if-name") + '"]:checked');
      box.hidden = !picked || picked.value !== box.getAttribute("data-if-value");
    });
    refreshEmpty();
  }

  function refreshEmpty() {
    Array.prototype.forEach.call(form.querySelectorAll(".answer-grid"), function (grid) {
      grid.hidden = !Array.prototype.some.call(grid.querySelectorAll(".grid-row"), function (row) {
        return !row.hidden;
      });
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

  // --- tap-to-rank ------------------------------------------------------------------------------------------------

  function needed(button) {
    var need = button.getAttribute("data-need");
    if (!need) {
      return true;
    }
    var picked = form.querySelector('input[name="' + need + '"]:checked');
    return !!picked && picked.value === "need";
  }

  function Rank(fieldset) {
    var self = this;
    this.name = fieldset.getAttribute("data-name");
    this.top = parseInt(fieldset.getAttribute("data-top"), 10) || 5;
    this.fieldset = fieldset;
    this.buttons = Array.prototype.slice.call(fieldset.querySelectorAll("button.rank-tap"));
    this.order = [];
    var list = fieldset.querySelector(".rank-list");
    this.placeLabel = list ? list.getAttribute("data-label-place") : "{n}";
    this.full = fieldset.querySelector(".rank-full");
    this.none = fieldset.querySelector(".rank-none");
    this.store = document.createElement("div");
    fieldset.appendChild(this.store);
    Array.prototype.forEach.call(fieldset.querySelectorAll(".rank-selects select"), function (select) {
      if (select.value) {
        self.order.push(select.value);
      }
      select.disabled = true;   // the hidden fields below carry the order instead
    });
    fieldset.querySelector(".rank-selects").hidden = true;
    fieldset.querySelector(".rank-taps").hidden = false;
    this.buttons.forEach(function (button) {
      button.addEventListener("click", function () { self.tap(button.getAttribute("data-choice")); });
    });
    this.draw();
  }

  Rank.prototype.set = function (order) {
    this.order = order.slice(0, this.top);
    this.draw();
  };

  Rank.prototype.tap = function (choice) {
    var at = this.order.indexOf(choice);
    if (at !== -1) {
      this.order.splice(at, 1);
    } else if (this.order.length < this.top) {
      this.order.push(choice);
    } else {
      this.full.hidden = false;
      return;
    }
    this.draw();
    form.dispatchEvent(new Event("change", {bubbles: true}));
  };

  Rank.prototype.draw = function () {
    var self = this;
    var offered = 0;
    var allowed = {};
    this.buttons.forEach(function (button) {
      var ok = needed(button);
      button.parentNode.hidden = !ok;
      if (ok) {
        offered += 1;
        allowed[button.getAttribute("data-choice")] = true;
      }
    });
    this.order = this.order.filter(function (choice) { return allowed[choice]; });
    this.buttons.forEach(function (button) {
      var place = self.order.indexOf(button.getAttribute("data-choice"));
      var name = button.querySelector(".rank-name").textContent;
      button.setAttribute("aria-pressed", place === -1 ? "false" : "true");
      button.querySelector(".rank-badge").textContent = place === -1 ? "" : String(place + 1);
      if (place === -1) {
        button.removeAttribute("aria-label");
      } else {
        button.setAttribute("aria-label", self.placeLabel.replace("{n}", String(place + 1)) + " " + name);
      }
    });
    if (this.none) {
      this.none.hidden = offered > 0;
    }
    this.fieldset.querySelector(".rank-taps").hidden = offered === 0;
    if (this.order.length < this.top) {
      this.full.hidden = true;
    }
    this.store.textContent = "";
    this.order.forEach(function (choice) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = self.name;
      input.value = choice;
      self.store.appendChild(input);
    });
  };

  var ranks = Array.prototype.slice.call(form.querySelectorAll("fieldset.rank[data-top]")).map(function (fieldset) {
    return new Rank(fieldset);
  });

  function redrawRanks() {
    ranks.forEach(function (rank) { rank.draw(); });
  }

  // --- "rows not answered yet: X" -------------------------------------------------------------------------------

  function fillGrid(value) {
    var cut = value.lastIndexOf(":");
    var grid = form.querySelector('.answer-grid[data-grid="' + value.slice(0, cut) + '"]');
    var choice = value.slice(cut + 1);
    if (!grid) {
      return;
    }
    Array.prototype.forEach.call(grid.querySelectorAll(".grid-row"), function (row) {
      if (row.hidden || row.querySelector("input[type=radio]:checked")) {
        return;
      }
      var input = row.querySelector('input[type=radio][value="' + choice + '"]');
      if (input) {
        input.checked = true;
      }
    });
    form.dispatchEvent(new Event("change", {bubbles: true}));
  }

  // --- paging ----------------------------------------------------------------------------------------------------

  var pager = document.getElementById("survey-pager");
  var back = pager ? pager.querySelector(".survey-back") : null;
  var next = pager ? pager.querySelector(".survey-next") : null;
  var progress = document.getElementById("survey-progress");
  var pageField = document.getElementById("survey-page-number");
  var submitButton = form.querySelector(".survey-submit");
  if (submitButton) {
    submitButton.hidden = false;   // shown on the last page by the "on-last-page" class
  }
  var current = 0;
  var startAt = parseInt(form.getAttribute("data-current"), 10) || 1;
  pages.forEach(function (page, index) {
    if (String(index + 1) === String(startAt)) {
      current = index;
    }
  });

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
    if (back) {
      back.hidden = current === 0;
    }
    if (next) {
      next.hidden = last;
    }
    form.classList.toggle("on-last-page", last);
    if (pageField && list[current]) {
      pageField.value = list[current].getAttribute("data-page");
    }
    if (progress) {
      progress.querySelector(".progress-count").textContent = form.getAttribute("data-label-page")
        .replace("{n}", String(current + 1)).replace("{total}", String(list.length));
      var bar = progress.querySelector("progress");
      bar.max = list.length;
      bar.value = current + 1;
      Array.prototype.forEach.call(progress.querySelectorAll("li[data-step]"), function (step) {
        var page = form.querySelector('section.survey-page[data-page="' + step.getAttribute("data-step") + '"]');
        var button = step.querySelector("button");
        step.hidden = !page || page.getAttribute("data-empty") === "true";
        if (page === list[current]) {
          button.setAttribute("aria-current", "step");
        } else {
          button.removeAttribute("aria-current");
        }
      });
    }
  }

  function go(index) {
    current = index;
    render();
    var details = progress && progress.querySelector("details");
    if (details) {
      details.open = false;
    }
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

  // A page step: a draft is saved on the server as the resident goes (kept on the phone if that fails); once
  // submitted, changes wait for "save my changes", and the server is only asked what to hide.
  function step(target) {
    var move = function () {
      var list = visiblePages();
      var index = list.indexOf(target);
      go(index === -1 ? Math.min(list.length - 1, current + 1) : index);
    };
    if (form.getAttribute("data-submitted") === "true") {
      check().then(move);
      return;
    }
    store(true, "draft");
    send("draft").then(function (ok) {
      if (ok || !form.querySelector(".question.has-error")) {
        move();
      }
    });
  }

  function pageAfter(offset) {
    var list = visiblePages();
    return list[Math.max(0, Math.min(list.length - 1, current + offset))];
  }

  function remember() {
    var saved = load();
    var offline = navigator.onLine === false;
    store(offline || (saved ? saved.pending : false), saved && saved.pending ? saved.action : "draft");
    if (offline) {
      say(msg("offline"), "warn");
    }
  }

  form.addEventListener("change", function () {
    followSimpleConditions();
    redrawRanks();
    remember();
    window.clearTimeout(checkTimer);
    checkTimer = window.setTimeout(check, 300);
  });
  form.addEventListener("input", remember);

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.name === "go") {
      event.preventDefault();
      if (button === back) {
        go(Math.max(0, current - 1));
      } else if (button === next) {
        step(pageAfter(1));
      } else {
        step(form.querySelector('section.survey-page[data-page="' + button.value + '"]'));
      }
      return;
    }
    if (button && button.name === "fill") {
      event.preventDefault();
      fillGrid(button.value);
      return;
    }
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
