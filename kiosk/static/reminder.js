// A reminder cut short by a narrow screen (the panel turned to portrait) opens whole on the
// first tap, over the top of the step; the next tap, or its ✕ at once, puts it away as a
// reminder shown whole does on the first tap.
(function () {
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("button.reminder") : null;
    if (!button || button.classList.contains("open") || ev.target.closest(".reminder-x")) { return; }
    var text = button.querySelector(".reminder-text");
    if (!text || text.scrollWidth <= text.clientWidth) { return; }
    ev.preventDefault();
    button.classList.add("open");
    button.setAttribute("aria-expanded", "true");
  });
})();
