// On-screen numeric keypad: no keyboard is needed anywhere. Digits go into the form's hidden
// input; the display shows dots for PINs and the number otherwise.
document.querySelectorAll("[data-keypad]").forEach(function (pad) {
  var input = document.getElementById(pad.dataset.keypad);
  var display = document.getElementById(pad.dataset.display);
  var secret = pad.dataset.secret === "1";
  var max = parseInt(pad.dataset.max || "6", 10);
  function show() {
    display.textContent = secret ? "●".repeat(input.value.length) : input.value;
  }
  pad.querySelectorAll("button[data-key]").forEach(function (btn) {
    btn.addEventListener("click", function (ev) {
      var key = btn.dataset.key;
      if (key === "back") { input.value = input.value.slice(0, -1); ev.preventDefault(); }
      else if (key === "clear") { input.value = ""; ev.preventDefault(); }
      else if (/^[0-9]$/.test(key)) {
        if (input.value.length < max) { input.value += key; }
        ev.preventDefault();
      }
      show();
    });
  });
  show();
});
