/* Small progressive enhancements shared by every page. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.submit();
    });
  });
})();
