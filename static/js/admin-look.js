// Look & Feel: refresh the framed previews from the form's unsaved values as the admin types.
// Without JavaScript the previews show the saved values.
(function () {
  "use strict";
  var form = document.getElementById("look-form");
  if (!form) return;
  var keys = ["product_name", "logo_url", "primary_color", "support_email", "show_sidebar"];
  var frames = [["preview-login", "/admin/look-and-feel/preview/login"], ["preview-account", "/admin/look-and-feel/preview/account"]];
  var timer = null;
  function refresh() {
    var params = new URLSearchParams();
    keys.forEach(function (k) {
      var el = form.elements[k];
      if (!el) return;
      params.set(k, el.type === "checkbox" ? (el.checked ? "true" : "false") : el.value);
    });
    frames.forEach(function (f) {
      var frame = document.getElementById(f[0]);
      if (frame) frame.src = f[1] + "?" + params.toString();
    });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
