// Submits the OAuth form_post response to the client (OAuth 2.0 Form Post Response Mode).
document.addEventListener("DOMContentLoaded", function () {
  document.getElementById("form-post").submit();
});
