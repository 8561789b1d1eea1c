// Irreversible actions ask first: a form with data-confirm submits only after the user agrees to its message.
document.addEventListener("submit", function (e) {
  var form = e.target;
  var msg = form && form.getAttribute && form.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    e.preventDefault();
  }
}, true);

// A page that answers a form with a one-time result asks to be remembered as a plain address: reloading it then
// shows that page again and never submits the form a second time.
(function () {
  var url = document.body && document.body.getAttribute("data-replace-url");
  if (url && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", url);
  }
})();
