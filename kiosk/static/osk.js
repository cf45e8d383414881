// On-screen keyboard for touch: every field marked data-osk="text" gets a keyboard docked at
// the bottom of the screen when tapped, so no physical keyboard is needed.
// The field being typed always stays in view above the keys: the page gets room below for the
// keyboard, then scrolls so the field (with its label) sits just above it.
// (Numbers are typed on keypads of their own, docked beside their boxes: keypad.js.)
(function () {
  var fields = document.querySelectorAll("[data-osk]");
  if (!fields.length) { return; }
  var labels = document.body.dataset;
  var rows = [
    ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"],
    ["q", "w", "e", "r", "t", "y", "u", "i", "o", "p"],
    ["a", "s", "d", "f", "g", "h", "j", "k", "l", "-"],
    ["shift", "z", "x", "c", "v", "b", "n", "m", ",", "."],
    ["back", "space", "done"]
  ];
  var pad = document.createElement("div");
  pad.className = "osk osk-text";
  pad.hidden = true;
  pad.setAttribute("role", "group");
  document.body.appendChild(pad);
  var field = null;
  var upper = false;

  function label(key) {
    if (key === "back") { return "⌫"; }
    if (key === "done") { return labels.oskDone || "OK"; }
    if (key === "space") { return labels.oskSpace || "␣"; }
    if (key === "shift") { return "⇧"; }
    return upper ? key.toUpperCase() : key;
  }
  function draw() {
    pad.innerHTML = "";
    rows.forEach(function (row) {
      var line = document.createElement("div");
      line.className = "osk-row";
      row.forEach(function (key) {
        var b = document.createElement("button");
        b.type = "button";
        b.dataset.oskKey = key;
        b.textContent = label(key);
        if (key === "done") { b.className = "primary"; }
        if (key === "space") { b.className = "osk-space"; }
        if (key === "back") { b.setAttribute("aria-label", labels.oskDelete || "Delete"); }
        line.appendChild(b);
      });
      pad.appendChild(line);
    });
  }
  function open(el) {
    if (field) { field.classList.remove("active"); }
    field = el;
    el.classList.add("active");
    upper = el.value === "";  // a name or a note starts with a capital
    draw();
    pad.hidden = false;
    document.body.classList.add("osk-open");
    keepInView();
  }
  // Room below the page as tall as the keys, then the field between the top of the screen and
  // the top of the keys, its label too when there is room. Instant, not smooth: a tap on a key
  // must land on the key the finger saw.
  function keepInView() {
    if (!field) { return; }
    var main = document.querySelector("main") || document.body;
    main.style.paddingBottom = (pad.offsetHeight + 16) + "px";
    var keysTop = pad.getBoundingClientRect().top;
    var label = field.closest("label");
    var box = field.getBoundingClientRect();
    var top = label ? Math.min(label.getBoundingClientRect().top, box.top) : box.top;
    var margin = 8;
    if (box.bottom + margin > keysTop) {
      window.scrollBy(0, box.bottom + margin - keysTop);
    } else if (top < margin) {
      window.scrollBy(0, top - margin);
    }
    box = field.getBoundingClientRect();
    if (label && box.top > 0) {  // show the label above the field if it fits
      var labelTop = label.getBoundingClientRect().top;
      if (labelTop < margin && box.bottom + (margin - labelTop) + margin <= keysTop) {
        window.scrollBy(0, labelTop - margin);
      }
    }
  }
  function close() {
    if (field) { field.classList.remove("active"); }
    field = null;
    pad.hidden = true;
    document.body.classList.remove("osk-open");
    var main = document.querySelector("main");
    if (main) { main.style.paddingBottom = ""; }
  }
  pad.addEventListener("click", function (ev) {
    var key = ev.target.dataset && ev.target.dataset.oskKey;
    if (!key || !field) { return; }
    ev.preventDefault();
    var max = parseInt(field.getAttribute("maxlength") || "500", 10);
    if (key === "done") { close(); return; }
    if (key === "back") { field.value = field.value.slice(0, -1); }
    else if (key === "shift") { upper = !upper; draw(); return; }
    else if (field.value.length < max) {
      field.value += key === "space" ? " " : (upper ? key.toUpperCase() : key);
      if (upper && key !== "space") { upper = false; draw(); }
    }
    field.dispatchEvent(new Event("input", {bubbles: true}));
    keepInView();
  });
  window.addEventListener("resize", keepInView);
  fields.forEach(function (el) {
    el.setAttribute("inputmode", "none");
    el.addEventListener("focus", function () { open(el); });
    el.addEventListener("click", function () { if (field !== el) { open(el); } });
  });
  document.addEventListener("submit", close);
})();
