// The login screen waits for a card: when one arrives or leaves, or a tap could not be read,
// reload so the server decides.
(function () {
  var el = document.querySelector("[data-card-poll]");
  if (!el) { return; }
  var seen = el.dataset.cardPoll;
  setInterval(function () {
    fetch(el.dataset.url, {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (s) { if ((s.card || "") !== seen || s.failed) { window.location.reload(); } })
      .catch(function () {});
  }, 1000);
})();
