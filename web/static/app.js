// teleconsult pages work without this script; it only prevents a form from being sent twice
// by an impatient tap (booth touch screens) and moves focus to the error summary after a
// failed submit so screen-reader users hear what to fix.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.sent === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  // Re-enable after a while in case the user comes back with the Back button.
  setTimeout(() => { delete form.dataset.sent; }, 8000);
});

document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
});
