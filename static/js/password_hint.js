// A strength hint under a new-password field, updated as the user types. Only a hint: the
// server decides (length, a list of common and breached passwords, the account's own email
// and name). Without JavaScript the field shows the rules as plain text.
(function () {
  "use strict";

  function words(form, input) {
    var text = (input.getAttribute("data-personal") || "") + " ";
    ["email", "first_name", "last_name", "username"].forEach(function (name) {
      var field = form && form.elements.namedItem(name);
      if (field && field.value) text += field.value + " ";
    });
    return text.toLowerCase().split(/[\s@._+-]+/).filter(function (w) { return w.length >= 3; });
  }

  // The very commonest passwords and their stems (the server checks a list of thousands).
  var COMMON = ["password", "passw0rd", "qwerty", "qwertyuiop", "letmein", "iloveyou", "welcome", "admin", "monkey",
    "dragon", "football", "baseball", "sunshine", "princess", "superman", "trustno1", "starwars", "whatever",
    "abc123", "123456", "1234567", "12345678", "123456789", "1234567890", "111111", "000000", "123123", "654321"];

  function isCommon(lower) {
    var stem = lower.replace(/[^a-z]+$/, "").replace(/^[^a-z]+/, "");
    return COMMON.indexOf(lower) !== -1 || (stem.length >= 4 && COMMON.indexOf(stem) !== -1);
  }

  function isRun(p) {
    for (var len = 1; len <= p.length / 2; len++) {
      if (p.length % len === 0 && p.slice(0, len).repeat(p.length / len) === p) return true;
    }
    var up = true, down = true;
    for (var i = 1; i < p.length; i++) {
      var d = p.charCodeAt(i) - p.charCodeAt(i - 1);
      if (d !== 1) up = false;
      if (d !== -1) down = false;
    }
    return p.length > 2 && (up || down);
  }

  // Rough guessing entropy: the alphabet size the characters suggest, to the length.
  function bits(p) {
    var pool = 0;
    if (/[a-z]/.test(p)) pool += 26;
    if (/[A-Z]/.test(p)) pool += 26;
    if (/[0-9]/.test(p)) pool += 10;
    if (/[^a-zA-Z0-9]/.test(p)) pool += 33;
    var unique = new Set(p).size;
    return Math.log2(Math.max(pool, 2)) * Math.min(p.length, unique * 2);
  }

  function assess(input) {
    var p = input.value, min = parseInt(input.getAttribute("minlength"), 10) || 8;
    var lower = p.toLowerCase();
    if (!p) return ["", ""];
    if (p.length < min) return ["weak", (min - p.length) + " more character" + (min - p.length === 1 ? "" : "s") + " needed."];
    if (isCommon(lower)) return ["weak", "Weak: this is one of the most common passwords."];
    if (isRun(lower)) return ["weak", "Weak: a repeated or sequential run is easy to guess."];
    var personal = words(input.form, input).filter(function (w) { return lower.indexOf(w) !== -1; });
    if (personal.length) return ["weak", "Weak: avoid your own email address or name."];
    var b = bits(p);
    if (b < 40) return ["fair", "Fair: a longer password or a few unrelated words would be stronger."];
    if (b < 60) return ["good", "Good."];
    return ["strong", "Strong."];
  }

  function attach(input) {
    var hint = document.getElementById(input.getAttribute("aria-describedby"));
    if (!hint) return;
    var rules = hint.textContent;
    input.addEventListener("input", function () {
      var result = assess(input);
      hint.setAttribute("data-strength", result[0]);
      hint.textContent = result[1] ? result[1] + " " + rules : rules;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-password-hint]"), attach);
  });
})();
