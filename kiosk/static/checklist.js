// A checklist step's number boxes with the keypad docked beside them. The keypad types into the
// chosen box (tap a box to choose it; at the start, the first empty or refused one). "The same
// for every type" copies the chosen box to the others; an offered number fills them all.
(function () {
  var form = document.querySelector("form.step-form");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[data-count]"));
  var pad = form.querySelector(".keypad");
  if (!boxes.length || !pad) { return; }
  var active = boxes.filter(function (b) { return b.classList.contains("bad"); })[0] ||
    boxes.filter(function (b) { return !b.value; })[0] || boxes[0];
  function choose(box) {
    boxes.forEach(function (b) { b.classList.toggle("active", b === box); });
    active = box;
  }
  boxes.forEach(function (box) {
    box.addEventListener("click", function () { choose(box); });
  });
  pad.querySelectorAll("button[data-key]").forEach(function (btn) {
    btn.addEventListener("click", function (ev) {
      ev.preventDefault();
      var key = btn.dataset.key;
      var max = parseInt(active.getAttribute("maxlength") || "5", 10);
      if (key === "back") { active.value = active.value.slice(0, -1); }
      else if (key === "clear") { active.value = ""; }
      else if (/^[0-9]$/.test(key) && active.value.length < max) { active.value += key; }
      active.classList.remove("bad");
    });
  });
  var same = form.querySelector("[data-same-all]");
  if (same) {
    same.addEventListener("click", function () {
      boxes.forEach(function (b) { b.value = active.value; b.classList.remove("bad"); });
    });
  }
  var fill = form.querySelector("[data-fill-all]");
  if (fill) {
    fill.addEventListener("click", function () {
      boxes.forEach(function (b) { b.value = fill.dataset.fillAll; b.classList.remove("bad"); });
    });
  }
  choose(active);
})();
