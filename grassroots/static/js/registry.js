/* The base database's pages: small enhancements over server-rendered forms.
 * - the batch page's progress bar is polled by htmx (hx-get/hx-trigger in the template);
 * - forms with data-confirm ask before an undo or a refusal;
 * - the upload form warns at once when the chosen file is over the size limit.
 * Everything works without this script (plain forms, a reload link for the progress). */
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    var note = document.getElementById(input.getAttribute("aria-describedby") + "-live");
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var tooBig = Boolean(file && max && file.size > max);
      input.setCustomValidity(tooBig ? input.getAttribute("data-too-big") : "");
      input.setAttribute("aria-invalid", tooBig ? "true" : "false");
      if (note) note.textContent = tooBig ? input.getAttribute("data-too-big") : "";
    });
  });
})();
