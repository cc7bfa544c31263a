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

// Parts of a page that follow something changing elsewhere (the booth console's cabin and
// line, a practitioner's queue, a patient's place in the line) carry `data-refresh` with the
// page to read them from: every 10 s they are replaced by the same part of a fresh copy,
// unless the user is working inside them. Without this script a reload shows the same.
const REFRESH_MS = 10000;
function refreshParts() {
  const parts = Array.from(document.querySelectorAll("[data-refresh][id]"));
  const sources = new Set(parts.map((p) => p.dataset.refresh));
  sources.forEach((source) => {
    fetch(source, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then((r) => (r.ok ? r.text() : null))
      .then((html) => {
        if (!html) return;
        const fresh = new DOMParser().parseFromString(html, "text/html");
        parts.filter((p) => p.dataset.refresh === source).forEach((part) => {
          const next = fresh.getElementById(part.id);
          if (!next || part.contains(document.activeElement)) return;
          if (part.innerHTML !== next.innerHTML) part.innerHTML = next.innerHTML;
        });
      })
      .catch(() => {});
  });
}
document.addEventListener("DOMContentLoaded", () => {
  if (document.querySelector("[data-refresh][id]")) setInterval(refreshParts, REFRESH_MS);
});
