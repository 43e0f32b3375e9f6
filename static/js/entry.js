/* Resident entry: the slip's QR opens /r/<community>#<code>. The fragment never reaches the server, so this script
   copies it into the form, removes it from the address bar and history, and submits the form as if typed.
   Without JavaScript the page still works: the resident types the code. */
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (!form) {
    return;
  }
  var field = form.querySelector("input[name=code]");

  function submitFromFragment() {
    var hash = window.location.hash ? window.location.hash.slice(1) : "";
    if (!hash || !field) {
      return;
    }
    var code = hash;
    try {
      code = decodeURIComponent(hash);
    } catch (ignored) { /* a malformed escape is sent as it is; the server explains what is wrong */ }
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    field.value = code.slice(0, 40);
    form.submit();
  }

  submitFromFragment();
  // A slip scanned while this page is already open only changes the fragment: no new page load.
  window.addEventListener("hashchange", submitFromFragment);
}());
