// Irreversible actions ask first: a form with data-confirm submits only after the user agrees to its message.
document.addEventListener("submit", function (e) {
  var form = e.target;
  var msg = form && form.getAttribute && form.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    e.preventDefault();
  }
}, true);
