// Account form: show only the scope fields that apply to the chosen role. Without JavaScript every field is
// shown with a hint saying which roles it is for, and the server ignores the ones that do not apply.
(function () {
  "use strict";
  var role = document.getElementById("role");
  if (!role) { return; }
  var fields = document.querySelectorAll(".scope-field[data-roles]");
  function update() {
    Array.prototype.forEach.call(fields, function (field) {
      field.hidden = field.getAttribute("data-roles").split(" ").indexOf(role.value) === -1;
    });
  }
  role.addEventListener("change", update);
  update();
}());
