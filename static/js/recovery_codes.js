// Copy and download buttons for the recovery codes (shown only when JavaScript runs; the
// codes themselves are plain text on the page).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var actions = document.getElementById("recovery-actions");
    var status = document.getElementById("recovery-actions-status");
    if (!actions) return;
    var codes = Array.prototype.map.call(document.querySelectorAll("#recovery-codes code"), function (c) {
      return c.textContent.trim();
    });
    var text = actions.getAttribute("data-heading") + "\n\n" + codes.join("\n") + "\n\nEach code signs you in once.\n";
    actions.hidden = false;

    document.getElementById("copy-codes").addEventListener("click", function () {
      var done = function () { status.textContent = "Copied " + codes.length + " codes."; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () {
          status.textContent = "Copying is not allowed here; select the codes and copy them.";
        });
      } else {
        status.textContent = "Copying is not available in this browser; select the codes and copy them.";
      }
    });

    document.getElementById("download-codes").addEventListener("click", function () {
      var url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
      var a = document.createElement("a");
      a.href = url;
      a.download = actions.getAttribute("data-filename") || "recovery-codes.txt";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      status.textContent = "Downloaded " + a.download + ".";
    });
  });
})();
