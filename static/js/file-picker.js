// The file picker macro: list the chosen files' names under the button, so a resident sees what will be sent.
// Without JavaScript the button still opens the chooser and the form sends the files.
(function () {
  "use strict";
  function show(picker) {
    var input = picker.querySelector("input[type=file]");
    var names = picker.querySelector(".file-picker-names");
    if (!input || !names) { return; }
    var files = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
    var separator = /^zh/i.test(document.documentElement.lang || "") ? "、" : ", ";
    names.textContent = files.length
      ? picker.getAttribute("data-chosen").replace("{n}", String(files.length)).replace("{names}", files.join(separator))
      : "";
  }
  function bind(picker) {
    if (picker.getAttribute("data-file-picker-bound")) { return; }
    picker.setAttribute("data-file-picker-bound", "1");
    var input = picker.querySelector("input[type=file]");
    if (input) { input.addEventListener("change", function () { show(picker); }); }
    show(picker);
  }
  function start() { Array.prototype.forEach.call(document.querySelectorAll("[data-file-picker]"), bind); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
