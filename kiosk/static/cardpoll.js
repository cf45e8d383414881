// Wait for a card. On the login screen: when one arrives or leaves, or a tap could not be read,
// reload so the server decides. On the home screen (data-go): a card that arrives, or a tap that
// could not be read, goes to the login screen, which opens that officer's PIN screen or says
// why it cannot. Home takes what the reader shows at first as the baseline, so a card left on
// the reader after a logout does not pull the screen back to the PIN.
(function () {
  var el = document.querySelector("[data-card-poll]");
  if (!el) { return; }
  var go = el.dataset.go;
  var seen = go ? null : el.dataset.cardPoll;
  var failedSeen = false;
  function poll() {
    fetch(el.dataset.url, {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (s) {
        var card = s.card || "";
        if (seen === null) { seen = card; failedSeen = !!s.failed; return; }
        if (go) {
          if ((card && card !== seen) || (s.failed && !failedSeen)) { window.location.assign(go); }
          seen = card;
          failedSeen = !!s.failed;
          return;
        }
        if (card !== seen || s.failed) { window.location.reload(); }
      })
      .catch(function () {});
  }
  poll();  // at once: the baseline is what the reader shows when the page opens
  setInterval(poll, 1000);
})();
