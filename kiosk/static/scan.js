// The scan screen's preview (scan.html): a tap zooms 2x around the tapped point, the next tap
// goes back to the page's width. A finger drag pans (the box scrolls natively); a mouse drag
// pans too, so the demo works on a laptop. No tap counts after a drag. The page is turned
// straight as the signed PDF will show it (data-turn: hundredths of a degree counter-clockwise;
// the sheet cuts the corners the turn moves out, as the PDF page does).
(function () {
  "use strict";
  var box = document.getElementById("preview");
  if (!box) { return; }
  var img = box.querySelector("img");
  var turn = parseInt(img.getAttribute("data-turn") || "0", 10);
  if (turn) { img.style.transform = "rotate(" + (-turn / 100) + "deg)"; }
  var drag = null;
  var dragged = false;

  box.addEventListener("click", function (e) {
    if (dragged) { dragged = false; return; }
    var before = img.getBoundingClientRect();
    var fx = (e.clientX - before.left) / before.width;
    var fy = (e.clientY - before.top) / before.height;
    box.classList.toggle("zoomed");
    var frame = box.getBoundingClientRect();
    var after = img.getBoundingClientRect();
    // Keep the tapped point of the page under the finger.
    box.scrollLeft = fx * after.width - (e.clientX - frame.left);
    box.scrollTop = fy * after.height - (e.clientY - frame.top);
  });

  box.addEventListener("pointerdown", function (e) {
    if (e.pointerType !== "mouse") { return; }
    drag = { x: e.clientX, y: e.clientY, left: box.scrollLeft, top: box.scrollTop };
    dragged = false;
  });
  window.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    var dx = e.clientX - drag.x;
    var dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 8) { dragged = true; }
    box.scrollLeft = drag.left - dx;
    box.scrollTop = drag.top - dy;
  });
  window.addEventListener("pointerup", function () { drag = null; });
  img.addEventListener("dragstart", function (e) { e.preventDefault(); });
})();
