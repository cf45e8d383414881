// A reminder cut short on the panel turned to portrait (a few words and an ellipsis) opens whole
// on the first tap, over the top of the step; the next tap, or its ✕ at once, puts it away. In
// landscape the line shows the gist and a tap puts it away at once (../shared/TOUCH.md).
(function () {
  var portrait = window.matchMedia("(orientation: portrait)");
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("button.reminder") : null;
    if (!button || !portrait.matches || button.classList.contains("open")) { return; }
    if (ev.target.closest(".reminder-x")) { return; }
    var text = button.querySelector(".reminder-text");
    if (!text || text.scrollWidth <= text.clientWidth) { return; }
    ev.preventDefault();
    button.classList.add("open");
    button.setAttribute("aria-expanded", "true");
  });
})();
