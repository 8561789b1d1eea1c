// The penalty registration form looks the enterprise up in the registry: typing a code or a name offers the
// registered enterprises; choosing one (or typing a full code) fills in its registered name and legal representative.
(function () {
  var box = document.getElementById("enterprise-lookup");
  if (!box) { return; }
  var url = box.getAttribute("data-lookup");
  var uscc = document.getElementById("uscc-input");
  var name = document.getElementById("enterprise-name-input");
  var legal = document.getElementById("legal-representative");
  var note = document.getElementById("registry-note");
  var list = document.getElementById("enterprise-options");
  var names = document.getElementById("enterprise-names");
  var found = {};
  var timer = null;

  function show(e) {
    legal.value = e.legal_representative || "";
    note.textContent = "企业登记名称：" + e.name;
  }

  function apply() {
    var code = uscc.value.trim().toUpperCase();
    if (found[code]) {
      uscc.value = code;
      if (name.value.trim() === "") { name.value = found[code].name; }
      show(found[code]);
      return;
    }
    var byName = found["name:" + name.value.trim()];
    if (byName && uscc.value.trim() === "") {
      uscc.value = byName.uscc;
      show(byName);
    }
  }

  function lookup(q) {
    q = q.trim();
    if (q.length < 2) { return; }
    fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) {
        while (list.firstChild) { list.removeChild(list.firstChild); }
        while (names.firstChild) { names.removeChild(names.firstChild); }
        (data.items || []).forEach(function (e) {
          found[e.uscc] = e;
          found["name:" + e.name] = e;
          var o = document.createElement("option");
          o.value = e.uscc;
          o.label = e.name;
          list.appendChild(o);
          var n = document.createElement("option");
          n.value = e.name;
          names.appendChild(n);
        });
        apply();
      })
      .catch(function () {});
  }

  function onInput(ev) {
    clearTimeout(timer);
    var q = ev.target.value;
    apply();
    timer = setTimeout(function () { lookup(q); }, 250);
  }

  uscc.addEventListener("input", onInput);
  name.addEventListener("input", onInput);
  uscc.addEventListener("change", apply);
  name.addEventListener("change", apply);
})();
