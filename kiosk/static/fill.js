// One tap puts a known value into a field: `<button data-fill="FIELD-ID" data-value="...">`.
// The field stays editable on the on-screen keyboard.
document.querySelectorAll("button[data-fill]").forEach(function (btn) {
  btn.addEventListener("click", function () {
    var field = document.getElementById(btn.dataset.fill);
    if (!field) { return; }
    field.value = btn.dataset.value;
    document.querySelectorAll("button[data-fill='" + btn.dataset.fill + "']").forEach(function (b) {
      b.classList.toggle("chosen", b === btn);
    });
  });
});
