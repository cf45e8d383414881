// On-screen keyboard for touch: every field marked data-osk="numeric" or data-osk="text" gets
// a keypad docked at the bottom of the screen when tapped, so no physical keyboard is needed.
// (The C.Hasil sheet and the PIN screen have their own keypads: keypad.js.)
(function () {
  var fields = document.querySelectorAll("[data-osk]");
  if (!fields.length) { return; }
  var labels = document.body.dataset;
  var rows = {
    numeric: [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], ["back", "0", "done"]],
    text: [
      ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"],
      ["q", "w", "e", "r", "t", "y", "u", "i", "o", "p"],
      ["a", "s", "d", "f", "g", "h", "j", "k", "l", "-"],
      ["shift", "z", "x", "c", "v", "b", "n", "m", ",", "."],
      ["back", "space", "done"]
    ]
  };
  var pad = document.createElement("div");
  pad.className = "osk";
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
  function draw(mode) {
    pad.innerHTML = "";
    pad.className = "osk osk-" + mode;
    rows[mode].forEach(function (row) {
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
    upper = el.dataset.osk === "text" && el.value === "";
    draw(el.dataset.osk);
    pad.hidden = false;
    document.body.classList.add("osk-open");
    el.scrollIntoView({block: "center"});
  }
  function close() {
    if (field) { field.classList.remove("active"); }
    field = null;
    pad.hidden = true;
    document.body.classList.remove("osk-open");
  }
  pad.addEventListener("click", function (ev) {
    var key = ev.target.dataset && ev.target.dataset.oskKey;
    if (!key || !field) { return; }
    ev.preventDefault();
    var max = parseInt(field.getAttribute("maxlength") || "500", 10);
    if (key === "done") { close(); return; }
    if (key === "back") { field.value = field.value.slice(0, -1); }
    else if (key === "shift") { upper = !upper; draw(field.dataset.osk); return; }
    else if (field.value.length < max) {
      field.value += key === "space" ? " " : (upper ? key.toUpperCase() : key);
      if (upper && key !== "space") { upper = false; draw(field.dataset.osk); }
    }
    field.dispatchEvent(new Event("input", {bubbles: true}));
  });
  fields.forEach(function (el) {
    el.setAttribute("inputmode", "none");
    el.addEventListener("focus", function () { open(el); });
    el.addEventListener("click", function () { if (field !== el) { open(el); } });
  });
  document.addEventListener("submit", close);
})();
