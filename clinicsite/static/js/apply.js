// Progressive enhancement for /apply/: hide questions that do not apply. Without this script
// every question is shown and the server ignores answers that were not needed.
(function () {
  "use strict";
  function radioValue(name) {
    var checked = document.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : "";
  }
  function update() {
    document.querySelectorAll("[data-follow-up-of]").forEach(function (el) {
      if (el.querySelector(".error-message")) { el.hidden = false; return; }
      el.hidden = radioValue(el.getAttribute("data-follow-up-of")) !== "yes";
    });
    var condition = radioValue("condition");
    document.querySelectorAll("[data-condition-group]").forEach(function (el) {
      if (el.querySelector(".error-message")) { el.hidden = false; return; }
      el.hidden = condition !== "" && el.getAttribute("data-condition-group") !== condition;
    });
  }
  document.addEventListener("change", update);
  document.addEventListener("DOMContentLoaded", function () {
    update();
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
