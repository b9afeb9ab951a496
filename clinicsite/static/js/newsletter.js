// Progressive enhancement for newsletter sign-up forms: send without leaving the page and show
// the answer in place. Without this script the form posts normally and the server answers with
// the same messages on the newsletter page.
(function () {
  "use strict";
  function clearErrors(form) {
    form.querySelectorAll(".js-error").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      var ids = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id.slice(-6) !== "_error";
      });
      if (ids.length) { el.setAttribute("aria-describedby", ids.join(" ")); }
      else { el.removeAttribute("aria-describedby"); }
    });
    form.querySelectorAll(".field--error").forEach(function (el) { el.classList.remove("field--error"); });
    form.querySelectorAll(".error-summary, .error-message").forEach(function (el) { el.remove(); });
  }
  function showErrors(form, errors) {
    Object.keys(errors).forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      if (!input) { return; }
      var field = input.closest(".field");
      var id = (input.id || name) + "_error";
      var p = document.createElement("p");
      p.className = "error-message js-error";
      p.id = id;
      p.textContent = errors[name].join(" ");
      if (field) { field.classList.add("field--error"); field.insertBefore(p, input); }
      input.setAttribute("aria-invalid", "true");
      var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      ids.push(id);
      input.setAttribute("aria-describedby", ids.join(" "));
    });
    var first = form.querySelector("[aria-invalid]");
    if (first) { first.focus(); }
  }
  function say(form, text, ok) {
    var status = form.querySelector(".newsletter-form__status");
    status.textContent = "";
    var p = document.createElement("p");
    p.className = ok ? "notice" : "notice notice--problem";
    p.textContent = text;
    status.appendChild(p);
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-newsletter]") || !window.fetch) { return; }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json();
    }).then(function (data) {
      clearErrors(form);
      if (data.form_token) { form.querySelector('[name="form_token"]').value = data.form_token; }
      if (data.ok) {
        form.querySelector('[name="email"]').value = "";
      } else {
        showErrors(form, data.errors || {});
      }
      say(form, data.message, data.ok);
    }).catch(function () {
      say(form, "We could not reach the site. Check your connection and try again: what you typed is still here.", false);
    }).then(function () { button.disabled = false; });
  });
})();
