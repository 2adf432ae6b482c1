// Small enhancements for the admin dashboard; every page works without them.
// - <button class="copy" data-copy="#id"> copies the text of the element #id.
// - <form data-confirm="message"> asks before submitting (deletes, rotations).
// - <form data-autosubmit> submits when one of its selects changes.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button.copy[data-copy]");
    if (!btn) return;
    var el = document.querySelector(btn.getAttribute("data-copy"));
    if (!el || !navigator.clipboard) return;
    ev.preventDefault();
    var text = el.value !== undefined && el.tagName !== "PRE" && el.tagName !== "CODE" ? el.value : el.textContent;
    navigator.clipboard.writeText(text).then(function () {
      var old = btn.textContent;
      btn.textContent = "Copied";
      setTimeout(function () { btn.textContent = old; }, 1500);
    });
  });
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  }, true);
  document.addEventListener("change", function (ev) {
    var form = ev.target.form;
    if (form && form.hasAttribute("data-autosubmit") && ev.target.tagName === "SELECT") form.requestSubmit();
  });
})();
