// The index table: sort by any column (header buttons, aria-sort), filter by text, label, licence
// and safety (rows toggled with `hidden`), pick 2 to 4 rows to compare. Sort keys are precomputed
// in each row's data-k, and a sort re-appends the existing rows in one DocumentFragment, so
// 10,000 rows stay responsive (benchmarks/index_site.py).
(function () {
  "use strict";
  var table = document.getElementById("releases");
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var n = rows.length;
  var keys = new Array(n), label = new Array(n), licence = new Array(n), safety = new Array(n), text = null;
  for (var i = 0; i < n; i++) {
    var r = rows[i];
    keys[i] = JSON.parse(r.getAttribute("data-k"));
    label[i] = r.getAttribute("data-label");
    licence[i] = r.getAttribute("data-licence");
    safety[i] = r.getAttribute("data-safety");
  }
  var heads = Array.prototype.slice.call(table.tHead.rows[0].querySelectorAll("th[data-col]"));
  var current = { col: 0, dir: 1 };

  function sortBy(col, dir) {
    var order = new Array(n);
    for (var i = 0; i < n; i++) { order[i] = i; }
    order.sort(function (a, b) {
      var x = keys[a][col], y = keys[b][col];
      if (x < y) { return -dir; }
      if (x > y) { return dir; }
      return a - b;
    });
    var frag = document.createDocumentFragment();
    for (var j = 0; j < n; j++) { frag.appendChild(rows[order[j]]); }
    tbody.appendChild(frag);
    current = { col: col, dir: dir };
    heads.forEach(function (th) {
      var c = Number(th.getAttribute("data-col"));
      th.setAttribute("aria-sort", c === col ? (dir > 0 ? "ascending" : "descending") : "none");
    });
    table.caption.textContent = "Releases and their verdicts, sorted by " + heads[col].textContent.trim() + (dir > 0 ? ", ascending" : ", descending");
  }

  heads.forEach(function (th) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(b);
    b.addEventListener("click", function () {
      var col = Number(th.getAttribute("data-col"));
      sortBy(col, current.col === col ? -current.dir : 1);
    });
  });

  var fText = document.getElementById("f-text"), fLabel = document.getElementById("f-label"),
      fLicence = document.getElementById("f-licence"), fSafety = document.getElementById("f-safety"),
      status = document.getElementById("status");

  function applyFilter() {
    var q = fText.value.trim().toLowerCase(), L = fLabel.value, Li = fLicence.value, S = fSafety.value, shown = 0;
    if (q && text === null) { text = rows.map(function (r) { return r.textContent.toLowerCase(); }); }
    for (var i = 0; i < n; i++) {
      var ok = (!L || label[i] === L) && (!Li || licence[i] === Li) && (!S || safety[i] === S) && (!q || text[i].indexOf(q) >= 0);
      if (rows[i].hidden === ok) { rows[i].hidden = !ok; }
      if (ok) { shown++; }
    }
    status.textContent = shown + " of " + n + " releases shown";
  }
  [fLabel, fLicence, fSafety].forEach(function (el) { el.addEventListener("change", applyFilter); });
  fText.addEventListener("input", applyFilter);
  document.getElementById("controls").addEventListener("submit", function (e) { e.preventDefault(); });

  var link = document.getElementById("compare"), picked = [];
  function updateLink() {
    if (picked.length >= 2 && picked.length <= 4) {
      link.href = "compare.html#ids=" + picked.join(",");
      link.removeAttribute("aria-disabled");
      link.removeAttribute("role");
      link.textContent = "Compare " + picked.length + " releases";
    } else {
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
      link.setAttribute("role", "link");
      link.textContent = picked.length > 4 ? "Compare (4 at most)" : "Compare (choose 2 to 4)";
    }
  }
  tbody.addEventListener("change", function (e) {
    var cb = e.target;
    if (!cb || cb.type !== "checkbox") { return; }
    var at = picked.indexOf(cb.value);
    if (cb.checked && at < 0) {
      if (picked.length >= 4) { cb.checked = false; status.textContent = "At most 4 releases can be compared"; return; }
      picked.push(cb.value);
    } else if (!cb.checked && at >= 0) {
      picked.splice(at, 1);
    }
    updateLink();
  });
  // A page restored from history keeps its ticks: start from them.
  Array.prototype.forEach.call(tbody.querySelectorAll("input[type=checkbox]:checked"), function (cb) {
    if (picked.length < 4) { picked.push(cb.value); } else { cb.checked = false; }
  });
  updateLink();
  if (fText.value || fLabel.value || fLicence.value || fSafety.value) { applyFilter(); }
  window.trueopenIndex = { sortBy: sortBy, applyFilter: applyFilter };
}());
