/* The residents' plan page: choosing 支持 / 反对 / 其他意见 opens that item's comment box, so a reason can follow
   without another tap. Without this script the box opens from its own summary, and nothing else changes. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".comment-form input[name=stance]")) { return; }
    var box = input.form && input.form.querySelector("details.say-more");
    if (box && !box.open) { box.open = true; }
  });
}());
