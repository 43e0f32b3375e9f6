/* 语音阅读 (issue 17, DESIGN §11): read a page or one question aloud with the browser's own speech synthesis —
   a Chinese voice, nothing sent anywhere. The buttons come from templates/_macros/readaloud.html, hidden; they are
   shown only where window.speechSynthesis exists, so a browser without it shows nothing that does not work.
   A button reads its data-read-target element, or without one the page's [data-read-main] or <main>; pressed
   again it stops (aria-pressed says which). */
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  if (!synth || typeof window.SpeechSynthesisUtterance !== "function") return;

  var LANG = "zh-CN", RATE = 0.9;
  // What a listener does not need: navigation, the buttons themselves, form fields, hidden and decorative parts.
  var SKIP = "nav, button, select, input, textarea, script, style, noscript, template, svg, .read-aloud, .skip, " +
             "[hidden], [aria-hidden=true], .no-read";
  var BLOCK = /^(P|LI|H[1-6]|DT|DD|TR|TD|TH|LEGEND|LABEL|FIGCAPTION|CAPTION|SECTION|ARTICLE|DIV|BLOCKQUOTE|SUMMARY)$/;
  var current = null;          // the button whose text is being read

  function shown(el) {
    if (typeof el.checkVisibility === "function") return el.checkVisibility({visibilityProperty: true});
    return el.getClientRects().length > 0;
  }

  function collect(node, parts) {
    for (var child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === Node.TEXT_NODE) {
        parts.push(child.textContent);
      } else if (child.nodeType === Node.ELEMENT_NODE && !child.matches(SKIP) && shown(child)) {
        var block = BLOCK.test(child.tagName);
        if (block) parts.push("\n");
        collect(child, parts);
        if (block) parts.push("\n");
      }
    }
    return parts;
  }

  /* The words of an element as a listener should hear them: one sentence per block, spaces tidied. */
  function textOf(el) {
    return collect(el, []).join("").split("\n")
      .map(function (line) { return line.replace(/\s+/g, " ").trim(); })
      .filter(Boolean)
      .map(function (line) { return /[。！？.!?：:；;，,]$/.test(line) ? line : line + "。"; })
      .join("\n");
  }

  /* Chrome stops a long utterance after about fifteen seconds: speak sentence by sentence. */
  function sentences(text) {
    return (text.match(/[^。！？!?\n]+[。！？!?]*/g) || []).map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function chineseVoice() {
    var voices = synth.getVoices ? synth.getVoices() : [];
    for (var i = 0; i < voices.length; i++) if (/^zh[-_]CN/i.test(voices[i].lang)) return voices[i];
    for (var j = 0; j < voices.length; j++) if (/^zh/i.test(voices[j].lang)) return voices[j];
    return null;
  }

  /* Pressed or not, in words as well as colour: 停止朗读 while it reads. */
  function press(button, on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    var words = button.querySelector(".read-label");
    if (!words) return;
    if (!button.hasAttribute("data-read-label")) button.setAttribute("data-read-label", words.textContent);
    words.textContent = on ? (button.getAttribute("data-stop-label") || words.textContent)
                           : button.getAttribute("data-read-label");
  }

  function release() {
    if (current) press(current, false);
    current = null;
  }

  function stop() {
    release();
    synth.cancel();
  }

  function targetOf(button) {
    var selector = button.getAttribute("data-read-target");
    if (selector) {
      try { return document.querySelector(selector); } catch (e) { return null; }
    }
    return document.querySelector("[data-read-main]") || document.querySelector("main");
  }

  function read(button) {
    var was = current;
    stop();
    if (was === button) return;                 // pressed again: stop only
    var target = targetOf(button);
    var parts = target ? sentences(textOf(target)) : [];
    if (!parts.length) return;
    var voice = chineseVoice();
    current = button;
    press(button, true);
    parts.forEach(function (part, index) {
      var utterance = new window.SpeechSynthesisUtterance(part);
      utterance.lang = LANG;
      utterance.rate = RATE;
      if (voice) utterance.voice = voice;
      if (index === parts.length - 1) {
        utterance.onend = function () { if (current === button) release(); };
      }
      utterance.onerror = function () { if (current === button) release(); };
      synth.speak(utterance);
    });
  }

  function start() {
    var buttons = document.querySelectorAll("button.read-aloud");
    Array.prototype.forEach.call(buttons, function (button) {
      if (!targetOf(button)) return;             // nothing to read: the button stays hidden
      button.setAttribute("aria-pressed", "false");
      button.hidden = false;
      button.addEventListener("click", function () { read(button); });
    });
    window.addEventListener("pagehide", stop);
    synth.cancel();                              // a page left mid-sentence does not go on talking here
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
