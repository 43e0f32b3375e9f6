/* Resident entry: the slip's QR opens /r/<community>#<code>. The fragment never reaches the server, so this script
   copies it into the form, removes it from the address bar and history, and submits the form as if typed.
   When the page carries a check (many wrong codes from this network: operations/entry_challenge.py), the script
   finds a counter such that sha256(nonce + counter) starts with the asked number of zero bits and sends it with the
   form; it starts at once, so the check is usually done before the code is typed.
   Without JavaScript the page still works: the resident types the code, and after a check waits the seconds shown. */
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (!form) {
    return;
  }
  var field = form.querySelector("input[name=code]");
  var proof = form.querySelector("input[name=proof]");
  var nonce = form.getAttribute("data-nonce");
  var difficulty = parseInt(form.getAttribute("data-difficulty"), 10);
  var checking = !!(nonce && proof && difficulty > 0 && window.crypto && window.crypto.subtle &&
                    window.TextEncoder && window.Promise);
  var solved = false;
  var sendWhenSolved = false;

  function show(id, visible) {
    var element = document.getElementById(id);
    if (element) {
      element.hidden = !visible;
    }
  }

  function leadingZeroBits(buffer) {
    var bytes = new Uint8Array(buffer);
    var bits = 0;
    for (var i = 0; i < bytes.length; i += 1) {
      if (bytes[i] === 0) {
        bits += 8;
        continue;
      }
      for (var mask = 0x80; mask && !(bytes[i] & mask); mask >>= 1) {
        bits += 1;
      }
      break;
    }
    return bits;
  }

  // Hashes in batches: one digest at a time spends most of its time waiting for the promise.
  function solve() {
    var encoder = new TextEncoder();
    var batch = 512;
    var next = 0;
    function round() {
      var start = next;
      var digests = [];
      for (var i = 0; i < batch; i += 1) {
        digests.push(window.crypto.subtle.digest("SHA-256", encoder.encode(nonce + (start + i))));
      }
      next += batch;
      return Promise.all(digests).then(function (results) {
        for (var j = 0; j < results.length; j += 1) {
          if (leadingZeroBits(results[j]) >= difficulty) {
            return start + j;
          }
        }
        return round();
      });
    }
    return round();
  }

  function send() {
    if (checking && !solved) {
      sendWhenSolved = true;
      return;
    }
    form.submit();
  }

  if (checking) {
    show("entry-check-wait", false);
    show("entry-check-working", true);
    var started = Date.now();
    solve().then(function (counter) {
      proof.value = String(counter);
      proof.setAttribute("data-ms", String(Date.now() - started));
      solved = true;
      show("entry-check-working", false);
      show("entry-check-done", true);
      if (sendWhenSolved) {
        form.submit();
      }
    }, function () {
      // The browser would not hash: the waited form still works.
      checking = false;
      show("entry-check-working", false);
      show("entry-check-wait", true);
    });
    form.addEventListener("submit", function (event) {
      if (!solved && checking) {
        event.preventDefault();
        sendWhenSolved = true;
      }
    });
    if (form.getAttribute("data-resend") === "1" && field && field.value) {
      // The last try was sent before the check was asked for: it goes again once the check is done.
      send();
    }
  }

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
    send();
  }

  submitFromFragment();
  // A slip scanned while this page is already open only changes the fragment: no new page load.
  window.addEventListener("hashchange", submitFromFragment);
}());
