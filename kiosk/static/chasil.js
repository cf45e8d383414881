// C.Hasil entry, box by box (kiosk/templates/chasil_entry.html). One box at a time with the
// keypad beside it: the third digit moves on by itself (the paper has three cells per box),
// "Lanjut ›" moves on with a shorter number. What the kiosk knows of a box (data-offers: the
// DPT, the checklist's counts, the first confirmed ballot) and the sums of the boxes typed so
// far (data-relations) are offered, one tap to accept, never filled silently. Every change is
// checked by the server's /api/chasil/check; its findings are listed and their boxes marked.
// When no box is left empty, the review shows every number with "Simpan".
(function () {
  var form = document.getElementById("chasil-form");
  if (!form) { return; }
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input.box"));
  var byBox = {};
  inputs.forEach(function (i) { byBox[i.dataset.box] = i; });
  var known = JSON.parse(form.dataset.offers || "{}");
  var relations = JSON.parse(form.dataset.relations || "[]");
  var target = document.getElementById("keypad-target");
  var display = document.getElementById("box-value");
  var entry = document.getElementById("ch-entry");
  var review = document.getElementById("ch-review");
  var pad = entry.querySelector(".keypad");
  var offerOne = document.getElementById("offer-one");
  var offerAll = document.getElementById("offer-all");
  var $ = function (id) { return document.getElementById(id); };
  var MAX = parseInt(pad.dataset.max || "3", 10);
  var active = null;
  var fresh = false;  // the box shows its old number; the first digit typed replaces it
  var timer = null;
  var asked = 0;  // the newest check request; older answers are dropped
  var marks = {};  // box -> "bad" | "warn", from the newest check

  function tile(box) { return form.querySelector(".tile[data-tile='" + box + "']"); }
  function cell(box) { return form.querySelector(".cell[data-cell='" + box + "']"); }
  function number(v) { return /^[0-9]+$/.test(v) ? parseInt(v, 10) : null; }
  function values() {
    var out = {};
    inputs.forEach(function (i) { out[i.dataset.box] = number(i.value); });
    return out;
  }
  function setValue(input, v) {
    input.value = v;
    tile(input.dataset.box).querySelector("b").textContent = v;
    var c = cell(input.dataset.box);
    if (c) { c.textContent = v; }
  }

  // What the kiosk offers for an empty box: a known number, else the first sum whose parts
  // are all in (the relations come from kiosk/chasil/offers.py).
  function offerFor(box, vals) {
    if (vals[box] !== null) { return null; }
    if (known[box]) { return {value: known[box].value, source: known[box].source}; }
    for (var k = 0; k < relations.length; k++) {
      var r = relations[k];
      if (r.box !== box) { continue; }
      var parts = r.plus.concat(r.minus);
      if (parts.some(function (p) { return vals[p] === null || vals[p] === undefined; })) { continue; }
      var n = 0;
      r.plus.forEach(function (p) { n += vals[p]; });
      r.minus.forEach(function (p) { n -= vals[p]; });
      if (n < 0) { continue; }
      var how = r.plus.map(function (p) { return vals[p]; }).join(" + ");
      r.minus.forEach(function (p) { how += " − " + vals[p]; });
      return {value: n, source: "= " + how};
    }
    return null;
  }
  // Every box of the section the kiosk can fill now, a sum counting the offers before it.
  function allKnown(section) {
    var vals = values();
    var out = [];
    var more = true;
    while (more) {
      more = false;
      inputs.forEach(function (i) {
        if (i.dataset.section !== section) { return; }
        var o = offerFor(i.dataset.box, vals);
        if (o) { vals[i.dataset.box] = o.value; out.push([i, o.value]); more = true; }
      });
    }
    return out;
  }
  function showOffers() {
    var o = offerFor(active.dataset.box, values());
    offerOne.hidden = !o;
    if (o) {
      $("offer-value").textContent = o.value;
      $("offer-source").textContent = o.source;
    }
    // The whole section at once, when this box is offered and more with it; a box the kiosk
    // cannot offer is typed first (its offers come when the box is reached).
    var all = o ? allKnown(active.dataset.section) : [];
    offerAll.hidden = all.length < 2;
    $("offer-count").textContent = all.length;
  }
  function showMarks() {
    inputs.forEach(function (i) {
      var box = i.dataset.box;
      // An empty box is not wrong while the sheet is still being typed in.
      var mark = marks[box] && (i.value !== "" || !review.hidden) ? marks[box] : "";
      var t = tile(box);
      t.classList.toggle("bad", mark === "bad");
      t.classList.toggle("warn", mark === "warn");
      var c = cell(box);
      if (c) {
        c.classList.toggle("bad", mark === "bad");
        c.classList.toggle("warn", mark === "warn");
      }
    });
    if (active) {
      display.classList.toggle("bad", active.value !== "" && marks[active.dataset.box] === "bad");
    }
  }
  function list(el, findings, withEmpty) {
    el.innerHTML = "";
    findings.forEach(function (f) {
      if (f.rule === 8 && !withEmpty) { return; }
      var li = document.createElement("li");
      li.className = f.blocking ? "bad" : "warn";
      li.dataset.rule = f.rule;
      li.textContent = f.message;
      el.appendChild(li);
    });
  }
  function check() {
    var boxes = {};
    inputs.forEach(function (i) { if (i.value !== "") { boxes[i.dataset.box] = i.value; } });
    var mine = ++asked;
    fetch(form.dataset.checkUrl, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf},
      body: JSON.stringify({ballot: form.dataset.ballot, boxes: boxes})
    }).then(function (r) { return r.json(); }).then(function (res) {
      if (mine !== asked) { return; }
      marks = {};
      (res.findings || []).forEach(function (f) {
        f.boxes.forEach(function (b) {
          if (f.blocking || marks[b] !== "bad") { marks[b] = f.blocking ? "bad" : "warn"; }
        });
      });
      list($("findings"), res.findings || [], false);
      list($("review-findings"), res.findings || [], true);
      showMarks();
    }).catch(function () {});
  }
  function checkSoon() { clearTimeout(timer); timer = setTimeout(check, 150); }

  function show(input) {
    active = input;
    fresh = true;
    target.value = input.value;
    display.textContent = input.value;
    $("box-name").textContent = input.dataset.words;
    $("box-code").textContent = input.dataset.box;
    $("box-where").textContent = input.dataset.where;
    $("box-step").textContent = input.dataset.step;
    var section = input.dataset.section;
    form.dataset.screen = "entry-" + section;
    entry.hidden = false;
    review.hidden = true;
    form.querySelectorAll(".tile").forEach(function (t) {
      t.hidden = t.dataset.section !== section;
      t.classList.toggle("active", t.dataset.tile === input.dataset.box);
    });
    form.querySelectorAll(".tab[data-tab]").forEach(function (t) {
      t.classList.toggle("current", t.dataset.tab === section);
    });
    showOffers();
    showMarks();
  }
  function showReview() {
    active = null;
    form.dataset.screen = "review";
    entry.hidden = true;
    review.hidden = false;
    showMarks();
    check();
  }
  function firstEmpty(from) {
    for (var k = from; k < inputs.length; k++) { if (inputs[k].value === "") { return inputs[k]; } }
    return null;
  }
  // On from the active box: after a number, to the next empty box (the first one left empty
  // before, once the end is reached); after a box left empty, to the very next box. When no
  // box is empty, the review.
  function advance(skipped) {
    var i = inputs.indexOf(active);
    var next = skipped ? inputs[i + 1] || firstEmpty(0) : firstEmpty(i + 1) || firstEmpty(0);
    if (next && next !== active) { show(next); } else { showReview(); }
    checkSoon();
  }

  // Before keypad.js types: the first key on a box that shows its old number starts afresh.
  pad.addEventListener("click", function (ev) {
    var key = ev.target.closest("button") && ev.target.closest("button").dataset.key;
    if (!fresh || !key) { return; }
    if (/^[0-9]$/.test(key)) { target.value = ""; }
    if (key !== "next") { fresh = false; }
  }, true);
  // After keypad.js: the typed number into the box, on at the third digit or "Lanjut ›".
  pad.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button");
    if (!btn || !active) { return; }
    var key = btn.dataset.key;
    if (key === "next") { advance(active.value === ""); return; }
    setValue(active, target.value);
    showOffers();
    checkSoon();
    if (/^[0-9]$/.test(key) && target.value.length >= MAX) { advance(false); }
  });
  offerOne.addEventListener("click", function () {
    var o = offerFor(active.dataset.box, values());
    if (!o) { return; }
    setValue(active, String(o.value));
    advance(false);
  });
  offerAll.addEventListener("click", function () {
    allKnown(active.dataset.section).forEach(function (p) { setValue(p[0], String(p[1])); });
    advance(false);
  });
  form.querySelectorAll(".tile").forEach(function (t) {
    t.addEventListener("click", function () { show(byBox[t.dataset.tile]); });
  });
  form.querySelectorAll(".cell").forEach(function (c) {
    c.addEventListener("click", function () { show(byBox[c.dataset.cell]); });
  });
  form.querySelectorAll(".tab[data-tab]").forEach(function (t) {
    t.addEventListener("click", function () {
      var mine = inputs.filter(function (i) { return i.dataset.section === t.dataset.tab; });
      show(mine.filter(function (i) { return i.value === ""; })[0] || mine[0]);
    });
  });
  $("to-review").addEventListener("click", showReview);

  if (!review.hidden) {  // numbers saved before: start from all of them
    showReview();
  } else {
    show(firstEmpty(0) || inputs[0]);
  }
})();
