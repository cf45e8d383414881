// C.Hasil entry: tap a box, type on the keypad; every change is checked by the server's
// /api/chasil/check and the failed rules are listed with their boxes marked.
(function () {
  var form = document.getElementById("chasil-form");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input.box"));
  var target = document.getElementById("keypad-target");
  var shown = document.getElementById("box-value");
  var name = document.getElementById("box-name");
  var active = null;
  var timer = null;

  function select(el) {
    if (active) { active.classList.remove("active"); }
    active = el;
    el.classList.add("active");
    target.value = el.value;
    name.textContent = el.getAttribute("aria-label");
    shown.textContent = el.value;
  }
  function collect() {
    var out = {};
    boxes.forEach(function (b) { if (b.value !== "") { out[b.dataset.box] = b.value; } });
    return out;
  }
  function check() {
    fetch(form.dataset.checkUrl, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf},
      body: JSON.stringify({ballot: form.dataset.ballot, boxes: collect()})
    }).then(function (r) { return r.json(); }).then(function (res) {
      var list = document.getElementById("findings");
      list.innerHTML = "";
      var marked = {};
      (res.findings || []).forEach(function (f) {
        var li = document.createElement("li");
        li.className = f.blocking ? "bad" : "warn";
        li.dataset.rule = f.rule;
        li.textContent = f.message;
        list.appendChild(li);
        f.boxes.forEach(function (b) {
          // An empty box is not wrong while the sheet is still being typed in.
          var el = form.querySelector("input[data-box='" + b + "']");
          if (f.rule !== 8 || (el && el.value !== "")) { marked[b] = true; }
        });
      });
      boxes.forEach(function (b) { b.classList.toggle("bad", !!marked[b.dataset.box]); });
    }).catch(function () {});
  }
  boxes.forEach(function (b) { b.addEventListener("click", function () { select(b); }); });
  form.querySelectorAll(".keypad button[data-key]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      // keypad.js has already updated target; copy it into the active box.
      if (!active) { select(boxes[0]); }
      active.value = target.value;
      clearTimeout(timer);
      timer = setTimeout(check, 250);
    });
  });
  document.getElementById("next-box").addEventListener("click", function () {
    var i = active ? boxes.indexOf(active) : -1;
    select(boxes[Math.min(i + 1, boxes.length - 1)]);
  });
  select(boxes[0]);
})();
